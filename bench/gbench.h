/*
 * gbench.h - a small C API over Google Benchmark.
 *
 * Benchmarks are written in C; this shim (gbench.cc) is the only C++.
 * The timed loop stays in C and crosses the boundary once per batch:
 *
 *	static void bm_walk(gbench_state_t *st, void *arg)
 *	{
 *		while (gbench_keep_running_batch(st, 64))
 *			for (int i = 0; i < 64; i++)
 *				do_one_walk(arg);
 *		gbench_counter(st, "walks", 64.0, GBENCH_RATE);
 *	}
 *	gbench_t *b = gbench_register("walk/raw", bm_walk, NULL);
 *	gbench_range(b, 1, 64);
 *	return gbench_main(argc, argv);
 *
 * Console and JSON output (--benchmark_format=json, --benchmark_out=F) are
 * Google Benchmark's own.
 */
#ifndef THPSIM_GBENCH_H
#define THPSIM_GBENCH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gbench gbench_t;		/* a registered benchmark */
typedef struct gbench_state gbench_state_t; /* one run of it */
typedef void (*gbench_fn)(gbench_state_t *st, void *arg);

enum gbench_counter_flags {
	GBENCH_DEFAULT = 0,
	GBENCH_RATE = 1 << 0,		/* divide by seconds */
	GBENCH_AVG_THREADS = 1 << 1,	/* average over threads */
	GBENCH_AVG_ITERATIONS = 1 << 2,	/* divide by iterations */
};

enum gbench_unit { GBENCH_NS, GBENCH_US, GBENCH_MS, GBENCH_S };

gbench_t *gbench_register(const char *name, gbench_fn fn, void *arg);
gbench_t *gbench_arg(gbench_t *b, int64_t a);
gbench_t *gbench_args2(gbench_t *b, int64_t a, int64_t c);
gbench_t *gbench_range(gbench_t *b, int64_t lo, int64_t hi);
gbench_t *gbench_dense_range(gbench_t *b, int64_t lo, int64_t hi);
/* Name the first argument: "name/arg:8" instead of "name/8". */
gbench_t *gbench_arg_name(gbench_t *b, const char *arg_name);
gbench_t *gbench_threads(gbench_t *b, int n);
gbench_t *gbench_real_time(gbench_t *b);
gbench_t *gbench_unit(gbench_t *b, enum gbench_unit u);
gbench_t *gbench_iterations(gbench_t *b, int64_t n);
gbench_t *gbench_min_time(gbench_t *b, double seconds);

/* Runs the next batch of n iterations?  Returns false when done. */
bool gbench_keep_running_batch(gbench_state_t *st, uint64_t n);
int64_t gbench_state_arg(gbench_state_t *st, int i);
int gbench_thread_index(gbench_state_t *st);
int gbench_nr_threads(gbench_state_t *st);
uint64_t gbench_iterations_done(gbench_state_t *st);
void gbench_pause(gbench_state_t *st);
void gbench_resume(gbench_state_t *st);
/* Report per-iteration time measured by the benchmark itself. */
void gbench_set_iteration_time(gbench_state_t *st, double seconds);
gbench_t *gbench_manual_time(gbench_t *b);
void gbench_counter(gbench_state_t *st, const char *name, double value,
		    unsigned flags);
void gbench_label(gbench_state_t *st, const char *label);
void gbench_error(gbench_state_t *st, const char *msg);

/*
 * Parses Google Benchmark's flags and runs what was registered.  Returns 0,
 * 1 when any benchmark reported gbench_error() (the run goes on), 2 for an
 * unknown flag.
 */
int gbench_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_GBENCH_H */
