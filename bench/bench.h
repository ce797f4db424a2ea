/* bench.h - registration entry points of the C benchmark files. */
#ifndef THPSIM_BENCH_H
#define THPSIM_BENCH_H

#include "thpsim/thpsim.h"
#include "gbench.h"

/* The machine every benchmark thread registers with (bench/main.c). */
extern thpsim_machine_t *bench_machine;

/*
 * Register the calling benchmark thread as a CPU (false, with the error
 * reported to the framework, on failure); pair with thpsim_cpu_unregister()
 * before the benchmark function returns: its thread may exit.
 */
bool bench_cpu_enter(gbench_state_t *st);

void bench_register_irq(void);

#endif
