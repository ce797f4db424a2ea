/*
 * lab/scale.h - the virtual clock of the scale engine (scale_clock.c) and
 * what the workloads (scale.c) share with it.
 *
 * Times are integer picoseconds internally (costs below a nanosecond add
 * up exactly); results are reported in nanoseconds.
 */
#ifndef THPSIM_LAB_SCALE_H
#define THPSIM_LAB_SCALE_H

#include <stdbool.h>
#include <stdint.h>

#include "thpsim/scale.h"
#include "machine/detsched.h"
#include "machine/sched.h"

#define VC_PS 1000u		/* picoseconds per nanosecond */

/* A growable sample of durations (ps), for percentiles. */
struct vc_samples {
	uint64_t *v;
	size_t n, cap;
};

struct vclock {
	struct detsched *s;
	uint64_t point_cost[THPSIM_SP__NR];	/* ps */
	uint64_t cost[THPSIM_COST__NR];		/* ps */
	uint64_t page_size;
	unsigned nr_cpus;
	bool counting;				/* the measured phase */
	/* per CPU */
	uint64_t now[THPSIM_NR_CPUS_MAX];
	uint64_t busy_until[THPSIM_NR_CPUS_MAX];
	uint64_t ack_at[THPSIM_NR_CPUS_MAX];
	uint64_t stolen[THPSIM_NR_CPUS_MAX];
	uint64_t op_start[THPSIM_NR_CPUS_MAX];
	uint64_t walk_start[THPSIM_NR_CPUS_MAX];
	bool paused[THPSIM_NR_CPUS_MAX];	/* charge nothing (setup work) */
	int cpu_thread[THPSIM_NR_CPUS_MAX];	/* its thread's index, -1 */
	/* an IPI running on irq_cpu's behalf inside the sender's step */
	int irq_cpu;
	uint64_t irq_start, irq_now;
	/* the run queue: a binary heap of (time, thread) */
	struct vc_entry { uint64_t t; int idx; } *heap;
	size_t heap_n, heap_cap;
	/* figures */
	struct vc_samples ops, walks;
	uint64_t gp_start, gp_total, gps;
	bool gp_measured, gp_all;
	uint64_t ops_ok;
	uint8_t *rcu_frames;			/* frames awaiting an RCU free */
	size_t nr_frames;
	uint64_t pending, pending_peak, pending_last_t;
	long double pending_area;		/* byte-ps */
	int op_event;				/* event kind that starts an op */
};

int vclock_init(struct vclock *vc, struct detsched *s,
		const thpsim_cost_table_t *costs, unsigned nr_cpus,
		uint64_t page_size, size_t nr_frames);
void vclock_fini(struct vclock *vc);
/* Install on s (detsched_init done) and subscribe to the events. */
int vclock_attach(struct vclock *vc);
void vclock_detach(struct vclock *vc);
/* The policy: the runnable thread with the least clock, ties by index. */
extern const struct det_policy vclock_policy_proto;
/* Every thread spawned so far enters the run queue (call once all
 * are spawned: it also maps CPUs to threads). */
void vclock_enqueue_all(struct vclock *vc);
/* The running thread spends ns of its own work, then yields. */
void vclock_sleep(struct vclock *vc, uint64_t ns);
/* The running thread's clock, ps. */
uint64_t vclock_now(const struct vclock *vc);
void vclock_pause(struct vclock *vc, bool paused);
/* Percentile q (0..1) of a sample, ps (0 when empty). */
uint64_t vc_percentile(struct vc_samples *s, double q);
int vc_sample_add(struct vc_samples *s, uint64_t v);

#endif
