/*
 * main.c - the thpsim benchmark binary: one machine shared by every
 * benchmark, then Google Benchmark's own flags and output.  The helpers
 * every benchmark file uses (bench.h) live in util.c.
 */
#include <stdio.h>

#include "bench.h"

thpsim_machine_t *bench_machine;

int main(int argc, char **argv)
{
	thpsim_machine_config_t cfg;
	int err;

	thpsim_machine_config_init(&cfg);
	cfg.nr_frames = BENCH_NR_FRAMES;
	err = thpsim_machine_create(&cfg, &bench_machine);
	if (err) {
		fprintf(stderr, "thpsim-bench: %s: %s\n", thpsim_strerror(err),
			thpsim_errmsg());
		return 3;
	}
	bench_register_floor();
	bench_register_irq();
	bench_register_walk();
	bench_register_ipi();
	bench_register_urcu();
	bench_register_collapse();
	bench_register_irqs();
	bench_register_storm();
	bench_register_explore();
	bench_register_scale();
	bench_register_explore_policy();
	err = gbench_main(argc, argv);
	thpsim_machine_destroy(bench_machine);
	return err;
}
