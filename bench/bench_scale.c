/*
 * bench_scale.c - B7, the virtual-time engine's speed (docs/SCALE.md):
 * one thpsim_scale_run per iteration, khugepaged-scan with ipi-sync on
 * x86-paravirt, kernel-x86-64 costs, 4x512.
 *
 *   scale/khugepaged-scan/cpus:N/collapses:C
 *	wall time of the run (the goal: 256 CPUs x 1,000 collapses under
 *	10 s on the 2-core development machine); counters steps_per_s
 *	(scheduler decisions a second), virtual_per_wall (virtual seconds
 *	simulated per wall second) and cal_per_collapse (a check that the
 *	run did what it should: cpus - 1).
 */
#include <stdio.h>

#include "bench.h"
#include "thpsim/scale.h"

static void bm_scale(gbench_state_t *st, void *arg)
{
	thpsim_scale_config_t c;
	thpsim_scale_result_t r = { 0 };
	uint64_t steps = 0, virt = 0;

	thpsim_scale_config_init(&c);
	c.cpus = (unsigned)(uintptr_t)arg;
	c.ops = 1000;
	while (gbench_keep_running_batch(st, 1)) {
		if (thpsim_scale_run(&c, &r)) {
			gbench_error(st, thpsim_errmsg());
			break;
		}
		steps += r.steps;
		virt += r.makespan_ns;
		thpsim_scale_result_fini(&r);
	}
	gbench_counter(st, "steps_per_s", (double)steps, GBENCH_RATE);
	gbench_counter(st, "virtual_per_wall", (double)virt / 1e9, GBENCH_RATE);
	gbench_counter(st, "cal_per_collapse", r.cal_per_op, GBENCH_DEFAULT);
}

void bench_register_scale(void)
{
	static const unsigned cpus[] = { 2, 64, 256 };

	for (unsigned i = 0; i < 3; i++) {
		char name[64];
		gbench_t *b;

		snprintf(name, sizeof(name),
			 "scale/khugepaged-scan/cpus:%u/collapses:1000", cpus[i]);
		b = gbench_register(name, bm_scale, (void *)(uintptr_t)cpus[i]);
		gbench_real_time(b);
		gbench_unit(b, GBENCH_S);
		gbench_iterations(b, 1);
	}
}
