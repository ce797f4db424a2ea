/* machine/rcu_det.h - simulated RCU for deterministic mode (rcu_det.c). */
#ifndef THPSIM_MACHINE_RCU_DET_H
#define THPSIM_MACHINE_RCU_DET_H

#include <stdbool.h>
#include <stddef.h>

#include "machine/rcu.h"

extern const struct thpsim_rcu_ops thpsim_rcu_det_ops;

/* Forget all state (a new run); ignore_readers is the gp mutant. */
void rcu_det_reset(bool ignore_readers);
/* The whole state, for a snapshot (machine/snapshot.h). */
void rcu_det_state_region(void **p, size_t *n);
/*
 * The scheduler ran a preempted vCPU again: a grace period that waits
 * for it (a guest machine's preempted vCPU is not quiescent) may end.
 */
void rcu_det_vcpu_resumed(int cpu);
/*
 * The RCU thread's body: spawn it as a daemon thread of the run
 * (detsched_spawn_daemon).  It never returns.
 */
void rcu_det_thread(void *arg);

#endif
