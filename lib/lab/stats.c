/*
 * stats.c - log-linear latency histograms (thpsim/stats.h).
 *
 * Bucket i < 64 holds exactly the value i.  Above, a value v with its top
 * bit at position e (6..63) falls in one of 32 buckets for [2^e, 2^(e+1)),
 * chosen by the 5 bits under the top one: the bucket's width is 2^(e-5),
 * under 1/32 of any value in it.
 */
#include <stdlib.h>
#include <string.h>

#include "thpsim/stats.h"
#include "machine/errors.h"

#define HIST_EXACT	64u
#define HIST_SUB_BITS	5u
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_BUCKETS	(HIST_EXACT + (64u - 6u) * HIST_SUB)

struct thpsim_hist {
	uint64_t count;
	uint64_t min, max;
	long double sum;
	uint64_t bucket[HIST_BUCKETS];
};

static unsigned bucket_of(uint64_t v)
{
	unsigned e, sub;

	if (v < HIST_EXACT)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1);
	return HIST_EXACT + (e - 6u) * HIST_SUB + sub;
}

/* The lowest value of bucket i, and its width. */
static uint64_t bucket_low(unsigned i, uint64_t *width)
{
	unsigned e, sub;

	if (i < HIST_EXACT) {
		*width = 1;
		return i;
	}
	e = (i - HIST_EXACT) / HIST_SUB + 6u;
	sub = (i - HIST_EXACT) % HIST_SUB;
	*width = UINT64_C(1) << (e - HIST_SUB_BITS);
	return (UINT64_C(1) << e) + (uint64_t)sub * *width;
}

/* The value reported for bucket i: its middle, clamped to [min, max]. */
static uint64_t bucket_value(const thpsim_hist_t *h, unsigned i)
{
	uint64_t width, v = bucket_low(i, &width);

	v += (width - 1) / 2;
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

thpsim_hist_t *thpsim_hist_create(void)
{
	thpsim_hist_t *h = malloc(sizeof(*h));

	if (h)
		thpsim_hist_reset(h);
	return h;
}

void thpsim_hist_destroy(thpsim_hist_t *h)
{
	free(h);
}

void thpsim_hist_reset(thpsim_hist_t *h)
{
	if (!h)
		return;
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void thpsim_hist_record_n(thpsim_hist_t *h, uint64_t value, uint64_t n)
{
	if (!h || !n)
		return;
	h->bucket[bucket_of(value)] += n;
	h->count += n;
	h->sum += (long double)value * (long double)n;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
}

void thpsim_hist_record(thpsim_hist_t *h, uint64_t value)
{
	thpsim_hist_record_n(h, value, 1);
}

void thpsim_hist_merge(thpsim_hist_t *dst, const thpsim_hist_t *src)
{
	if (!dst || !src || !src->count)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t thpsim_hist_count(const thpsim_hist_t *h)
{
	return h ? h->count : 0;
}

uint64_t thpsim_hist_percentile(const thpsim_hist_t *h, double pct)
{
	uint64_t rank, seen = 0;

	if (!h || !h->count)
		return 0;
	if (!(pct > 0))		/* NaN too */
		return h->min;
	if (pct >= 100)
		return h->max;
	/* The rank-th smallest sample, rank = ceil(pct% of count). */
	rank = (uint64_t)((long double)pct / 100.0L * (long double)h->count);
	if ((long double)rank < (long double)pct / 100.0L * h->count)
		rank++;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			return bucket_value(h, i);
	}
	return h->max;
}

void thpsim_hist_summary(const thpsim_hist_t *h, thpsim_hist_summary_t *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!h)
		return;
	out->count = h->count;
	if (!h->count)
		return;
	out->min = h->min;
	out->max = h->max;
	out->mean = (double)(h->sum / (long double)h->count);
	out->p50 = thpsim_hist_percentile(h, 50.0);
	out->p90 = thpsim_hist_percentile(h, 90.0);
	out->p99 = thpsim_hist_percentile(h, 99.0);
	out->p999 = thpsim_hist_percentile(h, 99.9);
}

void thpsim_hist_for_each(const thpsim_hist_t *h, thpsim_hist_bucket_fn fn,
			  void *arg)
{
	uint64_t cum = 0;

	if (!h || !fn)
		return;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		cum += h->bucket[i];
		fn(bucket_value(h, i), h->bucket[i], cum, arg);
	}
}

struct csv_ctx {
	const thpsim_hist_t *h;
	const char *name;
	FILE *out;
	int err;
};

static void csv_bucket(uint64_t value, uint64_t count, uint64_t cum,
		       void *arg)
{
	struct csv_ctx *c = arg;

	if (fprintf(c->out, "%s,%llu,%llu,%.6f\n", c->name,
		    (unsigned long long)value, (unsigned long long)count,
		    (double)cum / (double)c->h->count) < 0)
		c->err = -1;
}

int thpsim_hist_write_csv(const thpsim_hist_t *h, const char *name,
			  FILE *out)
{
	struct csv_ctx c = { h, name ? name : "", out, 0 };

	if (!h || !out)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_hist_write_csv: %s is NULL",
				   h ? "out" : "the histogram");
	thpsim_hist_for_each(h, csv_bucket, &c);
	return c.err;
}
