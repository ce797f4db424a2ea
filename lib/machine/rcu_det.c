/*
 * rcu_det.c - simulated RCU for deterministic mode.
 *
 * A grace period ends when every CPU that was inside a read-side section
 * when it began has left that section.  CPUs outside a section — running,
 * idle, or blocked — are quiescent already.  An IRQ-masked section is a
 * read-side section (irq.c enters one at the outermost mask), as in the
 * kernel where IRQs off hold off the grace period.  A guest's vCPU that
 * the host has preempted is not quiescent either, section or not: it
 * reports nothing until it runs again (a vCPU preempted in guest kernel
 * code has not passed a quiescent state), so it holds the grace period
 * until the scheduler resumes it (rcu_det_vcpu_resumed()).
 *
 * Callbacks do not run at the end of the run: they run on a schedulable
 * RCU thread (rcu_det_thread(), spawned by whoever sets up a run), so a
 * policy decides when the grace period machinery makes progress, like any
 * other thread.  synchronize_rcu() queues a callback and waits for it.
 *
 * Mutant gp-ignores-readers (tests only): grace periods wait for nobody.
 */
#include <stdatomic.h>
#include <stddef.h>

#include "machine/cpu.h"
#include "machine/event.h"
#include "machine/internal.h"
#include "machine/lock.h"
#include "machine/rcu.h"
#include "machine/rcu_det.h"
#include "machine/sched.h"

struct rcu_det_state {
	int nesting[THPSIM_NR_CPUS_MAX];
	_Atomic uint32_t exits[THPSIM_NR_CPUS_MAX]; /* bumped at each exit */
	_Atomic uint32_t resumes[THPSIM_NR_CPUS_MAX]; /* vCPU resumed */
	struct rcu_head *head, **tail;	/* callbacks, FIFO */
	_Atomic uint32_t nr_pending;	/* callbacks queued, futex word */
	uint64_t gp_seq;		/* grace periods completed */
	bool ignore_readers;
};

static struct rcu_det_state rs = { .tail = &rs.head };

/* opaque[0] links the callback list. */
#define rcu_next(h) (*(struct rcu_head **)&(h)->opaque[0])

void rcu_det_state_region(void **p, size_t *n)
{
	*p = &rs;
	*n = sizeof(rs);
}

void rcu_det_reset(bool ignore_readers)
{
	/* No run is in progress: nobody reads these meanwhile. */
	for (int i = 0; i < THPSIM_NR_CPUS_MAX; i++) {
		rs.nesting[i] = 0;
		atomic_store_explicit(&rs.exits[i], 0, memory_order_relaxed);
		atomic_store_explicit(&rs.resumes[i], 0, memory_order_relaxed);
	}
	rs.head = NULL;
	rs.tail = &rs.head;
	atomic_store(&rs.nr_pending, 0);
	rs.gp_seq = 0;
	rs.ignore_readers = ignore_readers;
}

static void det_read_lock(void)
{
	struct cpu *c = this_cpu();

	if (!c)
		return;
	sched_access(&rs.nesting[c->id], true);
	rs.nesting[c->id]++;
}

static void det_read_unlock(void)
{
	struct cpu *c = this_cpu();

	if (!c)
		return;
	sched_access(&rs.nesting[c->id], true);
	if (rs.nesting[c->id] <= 0)
		return;
	if (--rs.nesting[c->id] == 0) {
		atomic_fetch_add(&rs.exits[c->id], 1);
		sched_wake(&rs.exits[c->id], INT32_MAX);
	}
}

static void det_call(struct rcu_head *head, rcu_callback_t func)
{
	sched_access(&rs.head, true);
	head->func = func;
	rcu_next(head) = NULL;
	*rs.tail = head;
	rs.tail = &rcu_next(head);
	atomic_fetch_add(&rs.nr_pending, 1);
	sched_wake(&rs.nr_pending, INT32_MAX);
}

struct sync_waiter {
	struct rcu_head head;
	_Atomic uint32_t done;
};

static void sync_done(struct rcu_head *head)
{
	struct sync_waiter *w = (struct sync_waiter *)head;

	atomic_store(&w->done, 1);
	sched_wake(&w->done, INT32_MAX);
}

static void det_synchronize(void)
{
	struct sync_waiter w = { .done = 0 };
	struct sched_wait_info info = { "a grace period", -1 };

	det_call(&w.head, sync_done);
	while (!atomic_load(&w.done))
		sched_wait_for(&w.done, 0, 0, &info);
}

static void det_barrier(void)
{
	struct sched_wait_info info = { "RCU callbacks to run", -1 };
	uint32_t n;

	sched_access(&rs.head, true);
	while ((n = atomic_load(&rs.nr_pending)) != 0)
		sched_wait_for(&rs.nr_pending, n, 0, &info);
}

void rcu_det_vcpu_resumed(int cpu)
{
	if (cpu < 0 || cpu >= THPSIM_NR_CPUS_MAX)
		return;
	sched_access(&rs.resumes[cpu], true);
	atomic_fetch_add(&rs.resumes[cpu], 1);
	sched_wake(&rs.resumes[cpu], INT32_MAX);
}

/* CPU i of the running thread's machine, or NULL. */
static const void *per_cpu_or_null(int i)
{
	struct cpu *self = this_cpu();

	return self ? (const void *)per_cpu(self->machine, i) : NULL;
}

/* Is CPU i of the grace-period thread's machine a preempted guest vCPU? */
static bool vcpu_held(int i)
{
	struct cpu *self = this_cpu();
	struct cpu *c = self ? per_cpu(self->machine, i) : NULL;

	return c && thpsim__vcpu_held(c);
}

/*
 * Wait for every reader present at the start of this grace period, and
 * for every guest vCPU preempted then to have run again.  The two waits
 * are independent: each event is counted since the snapshot, so waiting
 * for one after the other waits for both.
 */
static void gp_wait_readers(void)
{
	uint32_t snap[THPSIM_NR_CPUS_MAX], rsnap[THPSIM_NR_CPUS_MAX];
	bool holdout[THPSIM_NR_CPUS_MAX], held[THPSIM_NR_CPUS_MAX];
	struct cpu *self = this_cpu();
	/* Slots past the machine's CPUs are never in a section nor held,
	 * and never written: reading them would only fill DPOR's footprint
	 * (256 CPUs: past its 48 objects, so every grace period was
	 * dependent with every step). */
	int nr = !self ? THPSIM_NR_CPUS_MAX : (int)self->machine->cfg.nr_cpus;

	for (int i = 0; i < nr; i++) {
		sched_access(&rs.nesting[i], false);
		sched_access(&rs.resumes[i], false);
		sched_access(per_cpu_or_null(i), false);	/* its vCPU state */
		holdout[i] = !rs.ignore_readers && rs.nesting[i] > 0;
		held[i] = !rs.ignore_readers && vcpu_held(i);
		snap[i] = atomic_load(&rs.exits[i]);
		rsnap[i] = atomic_load(&rs.resumes[i]);
	}
	for (int i = 0; i < nr; i++) {
		struct sched_wait_info info = { "a reader to leave its section", i };
		struct sched_wait_info vinfo = {
			"a preempted vCPU to run again (no quiescent state meanwhile)", i };

		while (held[i] && atomic_load(&rs.resumes[i]) == rsnap[i])
			sched_wait_for(&rs.resumes[i], rsnap[i], 0, &vinfo);
		while (holdout[i] && atomic_load(&rs.exits[i]) == snap[i])
			sched_wait_for(&rs.exits[i], snap[i], 0, &info);
	}
}

/* One grace period, then the callbacks queued before it began. */
static void rcu_gp_and_callbacks(void)
{
	struct rcu_head *list = rs.head, *next;

	sched_access(&rs.head, true);
	rs.head = NULL;
	rs.tail = &rs.head;
	emit(.kind = THPSIM_EV_RCU_GP_START, .val = rs.gp_seq + 1);
	sched_point(RCU_GP_START);
	gp_wait_readers();
	rs.gp_seq++;
	emit(.kind = THPSIM_EV_RCU_GP_END, .val = rs.gp_seq);
	sched_point(RCU_GP_END);
	for (; list; list = next) {
		next = rcu_next(list);
		list->func(list);
		emit(.kind = THPSIM_EV_RCU_CALLBACK, .what = "callback");
		atomic_fetch_sub(&rs.nr_pending, 1);
	}
	sched_wake(&rs.nr_pending, INT32_MAX);
}

void rcu_det_thread(void *arg)
{
	struct sched_wait_info info = { "RCU callbacks to be queued", -1 };

	(void)arg;
	for (;;) {
		sched_access(&rs.head, false);
		while (!rs.head)
			sched_wait_for(&rs.nr_pending,
				       atomic_load(&rs.nr_pending), 0, &info);
		rcu_gp_and_callbacks();
	}
}

static void det_register(void)
{
}

const struct thpsim_rcu_ops thpsim_rcu_det_ops = {
	.name = "deterministic",
	.register_thread = det_register,
	.unregister_thread = det_register,
	.read_lock = det_read_lock,
	.read_unlock = det_read_unlock,
	.synchronize = det_synchronize,
	.call = det_call,
	.barrier = det_barrier,
};
