/*
 * thpsim/stats.h - latency histograms (the lab layer's "stats").
 *
 * API overview, in call order:
 *
 *   thpsim_hist_t *h = thpsim_hist_create();
 *   thpsim_hist_record(h, ns);              one sample (any uint64 unit)
 *   thpsim_hist_merge(total, h);            per-thread histograms into one
 *   thpsim_hist_summary(h, &s);             count, min, max, mean, p50/p90/p99/p999
 *   thpsim_hist_percentile(h, 99.0);        any percentile
 *   thpsim_hist_for_each(h, fn, arg);       buckets, ascending (CDFs, plots)
 *   thpsim_hist_write_csv(h, "name", out);  value,count,cumulative fraction
 *   thpsim_hist_reset(h);
 *   thpsim_hist_destroy(h);
 *
 * Buckets are log-linear: exact below 64, then 32 buckets per power of two,
 * so a reported percentile is within 1/32 (about 3%) of the true sample and
 * never above the largest sample recorded.  min, max, count and the sum are
 * exact.  Recording is one increment, no allocation and no system call; a
 * histogram is not thread-safe: keep one per thread and merge.
 */
#ifndef THPSIM_STATS_H
#define THPSIM_STATS_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct thpsim_hist thpsim_hist_t;

typedef struct thpsim_hist_summary {
	uint64_t count;
	uint64_t min, max;	/* 0 when empty */
	double mean;
	uint64_t p50, p90, p99, p999;
} thpsim_hist_summary_t;

/* NULL when out of memory. */
thpsim_hist_t *thpsim_hist_create(void);
void thpsim_hist_destroy(thpsim_hist_t *h);
void thpsim_hist_reset(thpsim_hist_t *h);
void thpsim_hist_record(thpsim_hist_t *h, uint64_t value);
/* Record value n times. */
void thpsim_hist_record_n(thpsim_hist_t *h, uint64_t value, uint64_t n);
/* dst += src. */
void thpsim_hist_merge(thpsim_hist_t *dst, const thpsim_hist_t *src);
uint64_t thpsim_hist_count(const thpsim_hist_t *h);
/*
 * The smallest recorded value v such that at least pct percent of the
 * samples are <= v (to bucket precision); pct in [0, 100].  0 when empty.
 */
uint64_t thpsim_hist_percentile(const thpsim_hist_t *h, double pct);
void thpsim_hist_summary(const thpsim_hist_t *h, thpsim_hist_summary_t *out);

/* Called per non-empty bucket, ascending: a representative value (never
 * above max), its count, and the samples <= it so far. */
typedef void (*thpsim_hist_bucket_fn)(uint64_t value, uint64_t count,
				      uint64_t cumulative, void *arg);
void thpsim_hist_for_each(const thpsim_hist_t *h, thpsim_hist_bucket_fn fn,
			  void *arg);
/* "name,value,count,cdf" lines, one per non-empty bucket (no header).
 * Returns 0, -1 on a write error, -THPSIM_EINVAL when h or out is NULL.
 * Every other function takes NULL as an empty histogram (no-op). */
int thpsim_hist_write_csv(const thpsim_hist_t *h, const char *name,
			  FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_STATS_H */
