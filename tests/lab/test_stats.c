/*
 * test_stats.c - the latency histogram: exact small values, percentiles
 * within bucket precision, merge, CDF export, empty and extreme values.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/stats.h"

static thpsim_hist_t *new_hist(void)
{
	thpsim_hist_t *h = thpsim_hist_create();

	cr_assert_not_null(h);
	return h;
}

Test(stats, empty)
{
	thpsim_hist_t *h = new_hist();
	thpsim_hist_summary_t s;

	thpsim_hist_summary(h, &s);
	cr_expect_eq(s.count, 0);
	cr_expect_eq(s.min, 0);
	cr_expect_eq(s.max, 0);
	cr_expect_eq(s.p50, 0);
	cr_expect_eq(thpsim_hist_percentile(h, 99.0), 0);
	thpsim_hist_destroy(h);
}

Test(stats, small_values_exact)
{
	thpsim_hist_t *h = new_hist();
	thpsim_hist_summary_t s;

	for (uint64_t v = 1; v <= 50; v++)
		thpsim_hist_record(h, v);
	thpsim_hist_summary(h, &s);
	cr_expect_eq(s.count, 50);
	cr_expect_eq(s.min, 1);
	cr_expect_eq(s.max, 50);
	cr_expect_eq(s.p50, 25);
	cr_expect_eq(s.p90, 45);
	cr_expect_eq(s.p99, 50);
	cr_expect_float_eq(s.mean, 25.5, 1e-9);
	cr_expect_eq(thpsim_hist_percentile(h, 0), 1);
	cr_expect_eq(thpsim_hist_percentile(h, 100), 50);
	thpsim_hist_destroy(h);
}

static uint64_t within(uint64_t got, uint64_t want)
{
	uint64_t d = got > want ? got - want : want - got;

	return d * 32 <= want;
}

Test(stats, percentiles_within_precision)
{
	thpsim_hist_t *h = new_hist();
	thpsim_hist_summary_t s;

	/* 1 us .. 100 us uniformly, then 10 samples of 5 ms. */
	for (uint64_t v = 1000; v < 100000; v += 10)
		thpsim_hist_record(h, v);
	thpsim_hist_record_n(h, 5000000, 10);
	thpsim_hist_summary(h, &s);
	cr_expect_eq(s.count, 9900 + 10);
	cr_expect(within(s.p50, 50500), "p50 %llu", (unsigned long long)s.p50);
	cr_expect(within(s.p90, 90100), "p90 %llu", (unsigned long long)s.p90);
	cr_expect(within(s.p99, 99000), "p99 %llu", (unsigned long long)s.p99);
	cr_expect_eq(s.p999, 5000000);
	cr_expect_eq(s.max, 5000000);
	thpsim_hist_destroy(h);
}

Test(stats, never_above_max_nor_below_min)
{
	thpsim_hist_t *h = new_hist();

	thpsim_hist_record(h, 1000001);
	cr_expect_eq(thpsim_hist_percentile(h, 50), 1000001);
	thpsim_hist_record(h, UINT64_MAX);
	cr_expect_eq(thpsim_hist_percentile(h, 100), UINT64_MAX);
	cr_expect(within(thpsim_hist_percentile(h, 1), 1000001));
	thpsim_hist_destroy(h);
}

Test(stats, merge_and_reset)
{
	thpsim_hist_t *a = new_hist(), *b = new_hist();
	thpsim_hist_summary_t s;

	for (int i = 0; i < 100; i++)
		thpsim_hist_record(a, 10);
	for (int i = 0; i < 100; i++)
		thpsim_hist_record(b, 30);
	thpsim_hist_merge(a, b);
	thpsim_hist_summary(a, &s);
	cr_expect_eq(s.count, 200);
	cr_expect_eq(s.min, 10);
	cr_expect_eq(s.max, 30);
	cr_expect_eq(s.p50, 10);
	cr_expect_eq(s.p90, 30);
	thpsim_hist_reset(a);
	cr_expect_eq(thpsim_hist_count(a), 0);
	thpsim_hist_merge(a, b);
	cr_expect_eq(thpsim_hist_percentile(a, 50), 30);
	thpsim_hist_destroy(a);
	thpsim_hist_destroy(b);
}

Test(stats, csv_cdf_ends_at_one)
{
	thpsim_hist_t *h = new_hist();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	thpsim_hist_record(h, 5);
	thpsim_hist_record(h, 5);
	thpsim_hist_record(h, 7000);
	thpsim_hist_record(h, 9000);
	cr_expect_eq(thpsim_hist_write_csv(h, "x", f), 0);
	fclose(f);
	cr_expect(strstr(buf, "x,5,2,0.500000\n") == buf, "%s", buf);
	cr_expect(strstr(buf, ",1.000000\n") != NULL, "%s", buf);
	free(buf);
	thpsim_hist_destroy(h);
}
