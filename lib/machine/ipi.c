/*
 * ipi.c - pseudo-IPIs: smp_call_function_many() and friends by signal.
 *
 * Models kernel/smp.c: smp_call_function_many_cond(), csd_lock_wait(),
 * __flush_smp_call_function_queue().  Simplified: no per-CPU cfd masks
 * (the sender walks the caller's mask), no CSD_TYPE_*, no cond_func; the
 * "interrupt" is a real-time signal sent with pthread_kill; added: a
 * watchdog that bounds every wait and can withdraw a call (CSD_CANCEL).
 *
 * Protocol (each step names its counterpart):
 *  1. The sender owns one call_single_data per target (its csd[] row).  It
 *     waits until that csd is unlocked (the target released the previous
 *     call; see csd_release()), fills fn/info and sets CSD_LOCK.
 *  2. It pushes the csd onto the target's call_queue, a lock-free LIFO
 *     (llist_add); only a push onto an empty queue sends the signal, since
 *     a non-empty queue already has a signal or a pending drain coming
 *     (the kernel sends the IPI only then, too).
 *  3. The target's handler (ipi_handler()): if the target's soft mask is
 *     held it sets ipi_pending and returns; local_irq_restore() drains
 *     later (irq.c).  Otherwise it takes the whole queue with one exchange
 *     (llist_del_all), reverses it to arrival order and runs each call:
 *     a wait=1 call is released after fn returned, a wait=0 call is copied
 *     and released before fn runs.
 *  4. A wait=1 sender waits on each csd's flags: spins briefly, then sets
 *     CSD_WAITING and sleeps on the flags word; the release wakes it only
 *     when it saw CSD_WAITING.  Both the CAS that sets the bit (only while
 *     CSD_LOCK is set) and the release's exchange are atomic on the same
 *     word, so a wake-up cannot be lost.
 *  5. Past the watchdog bound the sender reports the target (where it
 *     masked interrupts) and withdraws the call with CSD_CANCEL, unless the
 *     target already marked it CSD_RUNNING (then it waits for that run).
 *     A withdrawn csd stays locked in the target's queue until the target
 *     drains it without running fn; the next call to that target waits for
 *     it in step 1, so a late ack is harmless.
 *
 * Assumptions: a target that blocks in a system call still runs the
 * handler (SA_RESTART restarts the call), so idle CPUs ack; fn is
 * async-signal-safe; callers never call with their own IRQs masked
 * (-THPSIM_EDEADLK: two masked CPUs calling each other would deadlock).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "machine/errors.h"
#include "machine/event.h"
#include "machine/internal.h"
#include "machine/mutant.h"
#include "machine/sched.h"

#include "machine/tsan.h"

/* ---- handler side ------------------------------------------------------ */

static void csd_release(struct call_single_data *csd)
{
	uint32_t old;

	tsan_release(csd);
	old = atomic_exchange_explicit(&csd->flags, 0, memory_order_acq_rel);
	if (old & CSD_WAITING)
		sched_wake(&csd->flags, 1);
}

/* The target took one call: its CAL count (__sysvec_call_function). */
static void csd_count(thpsim_machine_t *m, const struct call_single_data *csd)
{
	atomic_fetch_add_explicit(&m->cpus[csd->dst].irq_stat.irq_call_count,
				  1, memory_order_relaxed);
	machine_stat_inc(m, ipi_handled);
}

/* Run one call; csd may be refilled by its sender once released. */
static void csd_run(thpsim_machine_t *m, struct call_single_data *csd)
{
	uint32_t f;
	thpsim_smp_call_func_t fn;
	void *info;

	sched_access(csd, true);
	f = atomic_load_explicit(&csd->flags, memory_order_acquire);

	tsan_acquire(csd);
	fn = csd->fn;
	info = csd->info;
	if (!(f & CSD_SYNC)) {
		int src = csd->src;

		csd_release(csd);
		emit(.kind = THPSIM_EV_IPI_RUN, .arg = src,
		     .what = fn ? "call" : "sync");
		csd_count(m, csd);
		if (fn)
			fn(info);
		return;
	}
	/* Claim the run, unless the sender withdrew the call (step 5). */
	do {
		if (f & CSD_CANCEL) {
			csd_release(csd);
			return;
		}
	} while (!atomic_compare_exchange_weak_explicit(&csd->flags, &f,
							f | CSD_RUNNING,
							memory_order_acquire,
							memory_order_acquire));
	emit(.kind = THPSIM_EV_IPI_RUN, .arg = csd->src,
	     .what = fn ? "call" : "sync");
	csd_count(m, csd);
	if (fn)
		fn(info);
	csd_release(csd);
}

void thpsim__ipi_run_queue(struct cpu *c)
{
	struct call_single_data *list, *fifo = NULL, *next;

	list = atomic_exchange_explicit(&c->call_queue, NULL,
					memory_order_acquire);
	/* The queue is newest first; run calls in the order they came. */
	while (list) {
		next = list->next;
		list->next = fifo;
		fifo = list;
		list = next;
	}
	while (fifo) {
		next = fifo->next;	/* before the release hands it back */
		csd_run(c->machine, fifo);
		fifo = next;
	}
}

/*
 * Does c's soft mask defer an IPI arriving now?  The one place that
 * decides, for the signal handler here and the deterministic kick alike.
 * Mutant ipi-ignores-mask: never (the IPI runs inside the masked section,
 * which is exactly what GUP-fast's IRQ-off walk relies on not happening).
 * A preempted vCPU of a guest defers it too, whatever its mask: the
 * interrupt is injected when the host runs the vCPU again.
 */
static _Atomic bool ipi_ignores_mask;	/* the mutant, read at install */

bool thpsim__ipi_deferred(const struct cpu *c)
{
	return (irq_depth_read(c) &&
		!atomic_load_explicit(&ipi_ignores_mask, memory_order_relaxed)) ||
	       thpsim__vcpu_held(c);
}

static void ipi_handler(int sig, siginfo_t *si, void *uctx)
{
	struct cpu *c = this_cpu();
	int saved_errno = errno;

	(void)sig;
	(void)si;
	(void)uctx;
	/* NULL: a late signal to a thread that has unregistered meanwhile. */
	if (!c)
		return;
	if (thpsim__ipi_deferred(c)) {
		/* seq_cst: pairs with a resume on another thread, which
		 * clears preempted, then reads ipi_pending. */
		atomic_store(&c->ipi_pending, true);
		machine_stat_inc(c->machine, ipi_deferred);
		/* Resumed meanwhile: its resume may have missed the flag. */
		if (!irq_depth_read(c) && !thpsim__vcpu_held(c))
			thpsim__ipi_drain(c);
	} else if (irq_depth_read(c)) {
		/* Mutant: run the calls inside the masked section. */
		thpsim__ipi_run_queue(c);
	} else {
		thpsim__ipi_drain(c);
	}
	errno = saved_errno;
}

static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static bool installed[_NSIG];

int thpsim__ipi_install(int sig)
{
	struct sigaction sa;
	int ret = 0;

	/* Read THPSIM_MUTANT here (machine creation), never in the handler. */
	atomic_store(&ipi_ignores_mask, thpsim__mutant("ipi-ignores-mask"));
	pthread_mutex_lock(&install_lock);
	if (!installed[sig]) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = ipi_handler;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(sig, &sa, NULL))
			ret = thpsim__err(-THPSIM_EINTERNAL,
					  "ipi_signal: sigaction(%d) failed: %s",
					  sig, strerror(errno));
		else
			installed[sig] = true;
	}
	pthread_mutex_unlock(&install_lock);
	return ret;
}

void thpsim__ipi_kick_signal(struct cpu *target)
{
	machine_stat_inc(target->machine, ipi_signals);
	pthread_kill(target->thread, target->machine->cfg.ipi_signal);
}

/* ---- sender side -------------------------------------------------------- */

/* One smp_call_function_many() in flight. */
struct ipi_call {
	thpsim_machine_t *m;
	struct cpu *self;
	uint64_t start;
	uint64_t deadline;
	bool slept;
};

static bool cpu_get_online(struct cpu *t)
{
	atomic_fetch_add(&t->ipi_refs, 1);
	if (atomic_load(&t->online))
		return true;
	atomic_fetch_sub(&t->ipi_refs, 1);
	return false;
}

static void cpu_put(struct cpu *t)
{
	atomic_fetch_sub_explicit(&t->ipi_refs, 1, memory_order_release);
}

/* Spin up to THPSIM_IPI_SPIN_NS for flags & CSD_LOCK to clear. */
static bool csd_spin(struct call_single_data *csd)
{
	uint64_t end = 0;

	if (!sched_is_free_running())
		return false;	/* one fiber at a time: spinning cannot help */
	for (unsigned i = 0;; i++) {
		if (!(atomic_load_explicit(&csd->flags, memory_order_acquire) &
		      CSD_LOCK))
			return true;
		if ((i & 31) == 0) {
			uint64_t now = thpsim__now_ns();

			if (!end)
				end = now + THPSIM_IPI_SPIN_NS;
			else if (now >= end)
				return false;
		}
		cpu_relax();
	}
}

/* Tell the releaser to wake us; false: flags changed, f reloaded. */
static bool csd_mark_waiting(struct call_single_data *csd, uint32_t *f)
{
	if (*f & CSD_WAITING)
		return true;
	return atomic_compare_exchange_weak_explicit(&csd->flags, f,
						     *f | CSD_WAITING,
						     memory_order_acquire,
						     memory_order_acquire);
}

/*
 * Sleep until csd is unlocked or the deadline passes (deadline 0: no
 * bound).  Returns 0 once unlocked, -THPSIM_ETIMEDOUT otherwise.
 */
static int csd_sleep(struct ipi_call *call, struct call_single_data *csd,
		     uint64_t deadline)
{
	struct sched_wait_info info = { .what = "IPI ack", .owner_cpu = csd->dst };
	struct cpu *t = &call->m->cpus[csd->dst];
	uint32_t f = atomic_load_explicit(&csd->flags, memory_order_acquire);
	uint64_t now;

	while (f & CSD_LOCK) {
		now = thpsim__now_ns();
		if (deadline && now >= deadline)
			return -THPSIM_ETIMEDOUT;
		if (!csd_mark_waiting(csd, &f))
			continue;
		f |= CSD_WAITING;
		call->slept = true;
		info.what = thpsim__vcpu_held(t) ?
			    "IPI ack (its vCPU is preempted: until the host runs it)" :
			    "IPI ack";
		sched_wait_for(&csd->flags, f, deadline ? deadline - now : 0,
			       &info);
		f = atomic_load_explicit(&csd->flags, memory_order_acquire);
	}
	return 0;
}

static int csd_lock_wait(struct ipi_call *call, struct call_single_data *csd)
{
	int ret = 0;

	sched_access(csd, true);
	if (!csd_spin(csd))
		ret = csd_sleep(call, csd, call->deadline);
	tsan_acquire(csd);
	return ret;
}

/*
 * Step 5: the wait overran.  Withdraw the call unless the target is
 * running it; returns true if it was withdrawn (fn did not and will not
 * run there), false if it completed after all.
 */
static bool csd_withdraw(struct ipi_call *call, struct call_single_data *csd)
{
	uint32_t f = atomic_load_explicit(&csd->flags, memory_order_acquire);

	for (;;) {
		if (!(f & CSD_LOCK))
			return false;
		if (f & CSD_RUNNING) {
			/* fn is running in its handler: it will return. */
			csd_sleep(call, csd, 0);
			return false;
		}
		if (atomic_compare_exchange_weak_explicit(&csd->flags, &f,
							  f | CSD_CANCEL,
							  memory_order_acq_rel,
							  memory_order_acquire))
			return true;
	}
}

static void ipi_timed_out(struct ipi_call *call, int cpu)
{
	thpsim__watchdog_report(call->m, call->self->id, cpu,
				thpsim__now_ns() - call->start);
}

/* Steps 1-2 for one target; returns 1 if queued, 0 if skipped, or error. */
static int ipi_queue(struct ipi_call *call, struct cpu *t,
		     thpsim_smp_call_func_t fn, void *info, bool wait)
{
	struct call_single_data *csd = &call->self->csd[t->id];
	struct call_single_data *old;

	sched_access(t, true);	/* its IPI queue */
	if (csd_lock_wait(call, csd)) {
		ipi_timed_out(call, t->id);
		return -THPSIM_ETIMEDOUT;
	}
	if (!cpu_get_online(t))
		return 0;
	csd->fn = fn;
	csd->info = info;
	atomic_store_explicit(&csd->flags, CSD_LOCK | (wait ? CSD_SYNC : 0),
			      memory_order_relaxed);
	tsan_release(csd);
	old = atomic_load_explicit(&t->call_queue, memory_order_relaxed);
	do {
		csd->next = old;
	} while (!atomic_compare_exchange_weak_explicit(&t->call_queue, &old,
							csd,
							memory_order_release,
							memory_order_relaxed));
	machine_stat_inc(call->m, ipi_sent);
	emit(.kind = THPSIM_EV_IPI_SEND, .arg = t->id,
	     .what = fn ? "call" : "sync");
	if (!old)
		thpsim__sched_backend->kick(t);
	cpu_put(t);
	return 1;
}

/* Step 4-5 for one target that was queued with wait=1. */
static int __ipi_wait_one(struct ipi_call *call, struct cpu *t)
{
	struct call_single_data *csd = &call->self->csd[t->id];

	if (!csd_lock_wait(call, csd))
		return 0;
	if (!csd_withdraw(call, csd))
		return 0;	/* acked while we were giving up */
	ipi_timed_out(call, t->id);
	return -THPSIM_ETIMEDOUT;
}

/*
 * The wait, bracketed by IPI_WAIT / IPI_WAIT_END events: val bit 0 says
 * the target had interrupts masked when the wait began (the oracle's
 * BLOCKED rule: the sender waits on a walker's IRQ-off section), bit 1
 * that it was a guest's preempted vCPU (the wait lasts until the host
 * runs it again).
 */
static int ipi_wait_one(struct ipi_call *call, struct cpu *t)
{
	struct call_single_data *csd = &call->self->csd[t->id];
	bool pending;
	int ret;

	sched_access(t, false);		/* its mask and vCPU state */
	sched_access(csd, true);
	pending = atomic_load(&csd->flags) & CSD_LOCK;

	emit(.kind = THPSIM_EV_IPI_WAIT, .arg = t->id,
	     .val = (pending && irq_depth_read(t) ? 1u : 0u) |
		    (pending && thpsim__vcpu_held(t) ? 2u : 0u));
	ret = __ipi_wait_one(call, t);
	emit(.kind = THPSIM_EV_IPI_WAIT_END, .arg = t->id);
	return ret;
}

int thpsim__ipi_check_caller(thpsim_machine_t *m, struct cpu **self)
{
	struct cpu *c = this_cpu();
	const thpsim_site_t *site;

	if (!m)
		return thpsim__err(-THPSIM_EINVAL, "machine: NULL");
	if (!c)
		return thpsim__err(-THPSIM_ENOTCPU,
				   "IPI: calling thread is not a registered CPU (thpsim_cpu_register first)");
	if (c->machine != m)
		return thpsim__err(-THPSIM_EINVAL,
				   "IPI: caller is CPU %d of another machine",
				   c->id);
	if (irq_depth_read(c)) {
		site = __atomic_load_n(&c->irq_site, __ATOMIC_RELAXED);
		return thpsim__err(-THPSIM_EDEADLK,
				   "IPI: CPU %d has interrupts masked (at %s); waiting for acks could deadlock",
				   c->id, site ? site->func : "?");
	}
	*self = c;
	return 0;
}

int thpsim_smp_call_function_many(thpsim_machine_t *m,
				  const thpsim_cpumask_t *mask,
				  thpsim_smp_call_func_t fn, void *info,
				  bool wait)
{
	struct ipi_call call = { .m = m };
	thpsim_cpumask_t queued;
	unsigned n, i;
	int ret, r;

	ret = thpsim__ipi_check_caller(m, &call.self);
	if (ret)
		return ret;
	if (!mask)
		return thpsim__err(-THPSIM_EINVAL, "mask: NULL");
	n = m->cfg.nr_cpus;
	call.start = thpsim__now_ns();
	call.deadline = thpsim__ipi_deadline(m, call.start);
	thpsim_cpumask_clear(&queued);
	sched_point(IPI_SEND);
	for (i = 0; i < n; i++) {
		if (i == (unsigned)call.self->id ||
		    !thpsim_cpumask_test(mask, i))
			continue;
		r = ipi_queue(&call, &m->cpus[i], fn, info, wait);
		if (r < 0)
			ret = r;
		else if (r)
			thpsim_cpumask_set(&queued, i);
	}
	if (wait) {
		sched_point(IPI_WAIT);
		for (i = 0; i < n; i++) {
			if (!thpsim_cpumask_test(&queued, i))
				continue;
			r = ipi_wait_one(&call, &m->cpus[i]);
			if (r)
				ret = r;
		}
	}
	if (call.slept)
		machine_stat_inc(m, ipi_waits_slept);
	if (ret == -THPSIM_ETIMEDOUT)
		thpsim__err(ret, "IPI: a target did not ack within the watchdog bound of %llu ns (see the watchdog report)",
			    (unsigned long long)thpsim__watchdog_bound(m));
	return ret;
}

int thpsim_smp_call_function(thpsim_machine_t *m, thpsim_smp_call_func_t fn,
			     void *info, bool wait)
{
	thpsim_cpumask_t all;

	if (!m)
		return thpsim__err(-THPSIM_EINVAL, "machine: NULL");
	thpsim_cpu_online_mask(m, &all);
	return thpsim_smp_call_function_many(m, &all, fn, info, wait);
}

int thpsim_smp_call_function_single(thpsim_machine_t *m, int cpu,
				    thpsim_smp_call_func_t fn, void *info,
				    bool wait)
{
	struct cpu *self = NULL;
	thpsim_cpumask_t one;
	unsigned long flags;
	int ret;

	ret = thpsim__ipi_check_caller(m, &self);
	if (ret)
		return ret;
	if (cpu < 0 || (unsigned)cpu >= m->cfg.nr_cpus)
		return thpsim__err(-THPSIM_EINVAL, "cpu: %d out of range 0..%u",
				   cpu, m->cfg.nr_cpus - 1);
	if (cpu == self->id) {
		/* As the kernel: run it here, with interrupts masked. */
		flags = thpsim__irq_save(THPSIM_SITE_HERE);
		if (fn)
			fn(info);
		thpsim__irq_restore(flags);
		return 0;
	}
	if (!atomic_load(&m->cpus[cpu].online))
		return thpsim__err(-THPSIM_EINVAL, "cpu: %d is not online", cpu);
	thpsim_cpumask_clear(&one);
	thpsim_cpumask_set(&one, (unsigned)cpu);
	return thpsim_smp_call_function_many(m, &one, fn, info, wait);
}

int thpsim_ipi_sync(thpsim_machine_t *m, const thpsim_cpumask_t *mask)
{
	if (m && m->cfg.sync_backend == THPSIM_IPI_MEMBARRIER)
		return thpsim__ipi_sync_membarrier(m, mask);
	return thpsim_smp_call_function_many(m, mask, NULL, NULL, true);
}
