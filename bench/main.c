/*
 * main.c - the thpsim benchmark binary: one machine shared by every
 * benchmark, then Google Benchmark's own flags and output.
 */
#include <stdio.h>

#include "bench.h"

thpsim_machine_t *bench_machine;

bool bench_cpu_enter(gbench_state_t *st)
{
	int id;

	if (thpsim_cpu_register(bench_machine, &id) == 0)
		return true;
	gbench_error(st, thpsim_errmsg());
	return false;
}

int main(int argc, char **argv)
{
	thpsim_machine_config_t cfg;
	int err;

	thpsim_machine_config_init(&cfg);
	err = thpsim_machine_create(&cfg, &bench_machine);
	if (err) {
		fprintf(stderr, "thpsim-bench: %s: %s\n", thpsim_strerror(err),
			thpsim_errmsg());
		return 3;
	}
	bench_register_irq();
	err = gbench_main(argc, argv);
	thpsim_machine_destroy(bench_machine);
	return err;
}
