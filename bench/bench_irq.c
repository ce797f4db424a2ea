/*
 * bench_irq.c - the cost of masking interrupts on a walker's path.
 *
 *   irq/none      an empty critical section (the floor)
 *   irq/softmask  thpsim_irq_save/restore: the design (no system call)
 *   irq/sigmask   pthread_sigmask block/unblock: the slow baseline the soft
 *                 mask replaces (two system calls per section)
 */
#include <signal.h>
#include <pthread.h>

#include "bench.h"

#define BATCH 256

static volatile unsigned long sink;

static void bm_none(gbench_state_t *st, void *arg)
{
	(void)arg;
	while (gbench_keep_running_batch(st, BATCH))
		for (int i = 0; i < BATCH; i++) {
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
			sink++;
			__atomic_signal_fence(__ATOMIC_SEQ_CST);
		}
}

static void bm_softmask(gbench_state_t *st, void *arg)
{
	(void)arg;
	if (!bench_cpu_enter(st))
		return;
	while (gbench_keep_running_batch(st, BATCH))
		for (int i = 0; i < BATCH; i++) {
			unsigned long flags = thpsim_irq_save();

			sink++;
			thpsim_irq_restore(flags);
		}
	thpsim_cpu_unregister();
}

static void bm_sigmask(gbench_state_t *st, void *arg)
{
	sigset_t all, old;

	(void)arg;
	sigfillset(&all);
	while (gbench_keep_running_batch(st, BATCH))
		for (int i = 0; i < BATCH; i++) {
			pthread_sigmask(SIG_BLOCK, &all, &old);
			sink++;
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		}
}

void bench_register_irq(void)
{
	gbench_register("irq/none", bm_none, NULL);
	gbench_register("irq/softmask", bm_softmask, NULL);
	gbench_register("irq/sigmask", bm_sigmask, NULL);
}
