/*
 * detsched.c - the deterministic scheduler (see detsched.h).
 *
 * Star topology: the scheduler (the OS thread's own stack) switches into a
 * fiber for one step; the fiber switches back at its next scheduling point,
 * when it blocks, or when it ends.  Fibers never switch to each other.
 * A step that ends at a point is ended on the fiber itself (step_end(),
 * decide()), and when the policy picks the same thread again the fiber
 * goes on without a switch (det_point_in_place): a random schedule
 * switches threads at a few percent of its points, and a switch pair
 * was a fifth of a 4x512 run.  The decisions, their order and every hook
 * call are those of the scheduler's own loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/cpu.h"
#include "machine/detsched.h"
#include "machine/errors.h"
#include "machine/event.h"
#include "machine/internal.h"
#include "machine/mutant.h"
#include "machine/phys.h"
#include "machine/rcu_det.h"
#include "machine/sched.h"

/* Fiber stacks: generous under ASan, whose frames are larger. */
#if defined(__SANITIZE_ADDRESS__)
#define DET_STACK (512 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DET_STACK (512 * 1024)
#endif
#endif
#ifndef DET_STACK
#define DET_STACK (128 * 1024)
#endif

/* The scheduler running on this OS thread (one at a time). */
static _Thread_local struct detsched *running;
/* Mutant ipi-ignores-mask (tests only), read once per run. */
static bool ipi_ignores_mask;

thpsim_machine_t *detsched_running_machine(void)
{
	return running ? running->m : NULL;
}

struct dthread *detsched_current(void)
{
	return running ? running->current : NULL;
}

const char *det_result_name(enum det_result r)
{
	static const char *const names[] = {
		"FINISHED", "DEADLOCK", "STEP_LIMIT", "STOPPED", "ERROR",
		"BUG",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

static int det_current_point(void)
{
	struct dthread *t = detsched_current();

	return t ? t->at_point : -1;
}

/* Back to the scheduler: the running fiber parks here. */
static void det_yield(struct dthread *t)
{
	fiber_switch(&t->fiber, &running->main);
}

static void det_point_in_place(struct detsched *s, struct dthread *t);

static void det_point(int point, void *arg)
{
	struct dthread *t = detsched_current();

	(void)arg;
	if (!t)
		return;	/* the scheduler itself (setup code) passes points */
	t->at_point = point;
	if (running->clock && running->clock->point)
		running->clock->point(running->clock->arg, t, point);
	if (t->no_yield)
		return;
	if (running->in_place && !t->daemon && running->policy)
		det_point_in_place(running, t);
	else
		det_yield(t);
}

void detsched_yield(void)
{
	struct dthread *t = detsched_current();

	if (t && running->on_fiber)
		det_yield(t);
}

static int det_wait(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns,
		    const struct sched_wait_info *info)
{
	struct dthread *t = detsched_current();

	(void)timeout_ns;	/* no time here: deadlock detection instead */
	if (!t)
		return thpsim__err(-THPSIM_EDEADLK,
				   "deterministic mode: the scheduler itself tried to block");
	sched_access(word, true);
	while (atomic_load(word) == val) {
		t->state = DT_BLOCKED;
		running->nr_runnable--;
		running->nr_runnable_daemons -= t->daemon;
		t->wait_word = word;
		t->wait_val = val;
		t->wait_what = info ? info->what : "a wait";
		t->wait_owner_cpu = info ? info->owner_cpu : -1;
		t->wait_point = t->at_point;
		det_yield(t);
		sched_access(word, true);	/* the recheck after the wake */
	}
	return 0;
}

static void det_wake(_Atomic uint32_t *word, int n)
{
	struct detsched *s = running;

	sched_access(word, true);
	for (int i = 0; i < s->nr_threads && n > 0; i++) {
		struct dthread *t = &s->threads[i];

		if (t->state == DT_BLOCKED && t->wait_word == word) {
			t->state = DT_RUNNABLE;
			s->nr_runnable++;
			s->nr_runnable_daemons += t->daemon;
			t->wait_word = NULL;
			n--;
			if (s->clock && s->clock->wake)
				s->clock->wake(s->clock->arg, s->current, t);
		}
	}
}

/*
 * A target with interrupts unmasked takes the IPI at once: run its queued
 * calls on its behalf (this_cpu() is the target meanwhile) without
 * advancing its code, as a real CPU takes an interrupt while it sleeps
 * or waits.  A masked target keeps the IPI pending until its
 * local_irq_restore(), and only then does the sender wait.
 *
 * A preempted vCPU of a guest machine (a KVM guest) keeps it pending
 * whatever its mask, until the scheduler runs it again (run_step()): the
 * host injects the interrupt at the next VM entry, and the sender's
 * csd_lock_wait() spins until then (kernel/smp.c; KVM's
 * kvm_smp_send_call_func_ipi() merely yields to the preempted vCPU).  On
 * bare metal a "preempted" CPU is only a stalled one: with interrupts on
 * it takes the IPI at once.
 */
static void det_kick(struct cpu *target)
{
	struct cpu *self = this_cpu();

	sched_access(target, true);
	target->ipi_pending = true;
	if ((target->irq_depth && !ipi_ignores_mask) ||
	    thpsim__vcpu_held(target))
		return;
	if (running->clock && running->clock->kick)
		running->clock->kick(running->clock->arg, running->current,
				     target, false);
	thpsim__set_this_cpu(target);
	thpsim__ipi_drain(target);
	thpsim__set_this_cpu(self);
	if (running->clock && running->clock->kick)
		running->clock->kick(running->clock->arg, running->current,
				     target, true);
}

static const struct sched_backend det_backend = {
	.name = "deterministic",
	.wait = det_wait,
	.wake = det_wake,
	.kick = det_kick,
};

int detsched_init(struct detsched *s, thpsim_machine_t *m, uint64_t max_steps)
{
	*s = (struct detsched){ .m = m, .max_steps = max_steps, .end = -1 };
	s->in_place = thpsim__fastpath();
	s->threads = s->inline_threads;
	s->threads_cap = DET_THREADS_MAX;
	fiber_init_main(&s->main);
	rcu_det_reset(thpsim__mutant("gp-ignores-readers"));
	ipi_ignores_mask = thpsim__mutant("ipi-ignores-mask");
	event_set_step(0);
	return 0;
}

int detsched_reserve(struct detsched *s, int n)
{
	struct dthread *t;

	if (n <= s->threads_cap)
		return 0;
	if (n > DET_THREADS_CAP || s->nr_threads)
		return thpsim__err(-THPSIM_EINVAL,
				   "detsched: room for %d threads (allowed: up to %d, before the first spawn)",
				   n, DET_THREADS_CAP);
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return thpsim__err(-THPSIM_ENOMEM, "detsched: out of memory");
	s->threads = t;
	s->threads_cap = n;
	return 0;
}

static void dthread_body(void *arg)
{
	struct dthread *t = arg;

	t->fn(t->arg);
}

static int spawn(struct detsched *s, const char *name, int cpu_id,
		 void (*fn)(void *arg), void *arg, bool daemon)
{
	struct dthread *t;
	int err;

	if (s->nr_threads >= s->threads_cap)
		return thpsim__err(-THPSIM_EINVAL, "detsched: more than %d threads%s",
				   s->threads_cap, s->threads_cap < DET_THREADS_CAP ?
				   " (detsched_reserve() makes room)" : "");
	t = &s->threads[s->nr_threads];
	*t = (struct dthread){ .idx = s->nr_threads, .name = name,
			       .state = DT_RUNNABLE, .at_point = -1,
			       .wait_owner_cpu = -1, .fn = fn, .arg = arg,
			       .daemon = daemon };
	err = thpsim__cpu_attach(s->m, cpu_id, &t->cpu);
	if (err)
		return err;
	err = fiber_create(&t->fiber, DET_STACK, dthread_body, t);
	if (err) {
		thpsim__cpu_detach(t->cpu);
		return err;
	}
	s->nr_threads++;
	s->nr_runnable++;
	s->nr_runnable_daemons += daemon;
	s->nr_left += !daemon;
	return 0;
}

int detsched_spawn(struct detsched *s, const char *name, int cpu_id,
		   void (*fn)(void *arg), void *arg)
{
	return spawn(s, name, cpu_id, fn, arg, false);
}

int detsched_spawn_daemon(struct detsched *s, const char *name, int cpu_id,
			  void (*fn)(void *arg), void *arg)
{
	return spawn(s, name, cpu_id, fn, arg, true);
}

int detsched_spawn_rcu(struct detsched *s, int cpu_id)
{
	return spawn(s, "R", cpu_id, rcu_det_thread, NULL, true);
}

static struct dthread *thread_on_cpu(struct detsched *s, int cpu)
{
	for (int i = 0; i < s->nr_threads; i++)
		if (s->threads[i].cpu->id == cpu)
			return &s->threads[i];
	return NULL;
}

/* "G (CPU 1) waits at IRQ_RESTORE on ... held by K (CPU 0)" per thread. */
static void deadlock_report(struct detsched *s)
{
	size_t off = 0;

	for (int i = 0; i < s->nr_threads; i++) {
		struct dthread *t = &s->threads[i], *owner;

		if (t->state != DT_BLOCKED)
			continue;
		owner = t->wait_owner_cpu >= 0 ?
			thread_on_cpu(s, t->wait_owner_cpu) : NULL;
		off += (size_t)snprintf(s->report + off, sizeof(s->report) - off,
			"%s%s (CPU %d) waits after %s on %s%s%s%s",
			off ? "; " : "", t->name, t->cpu->id,
			thpsim_sched_point_name(t->wait_point), t->wait_what,
			owner ? " held by " : "", owner ? owner->name : "",
			owner && owner->state == DT_BLOCKED ? " (itself blocked)" : "");
		if (off >= sizeof(s->report))
			break;
	}
}

/*
 * A policy writes *d as two 4-byte stores, and the copies after it (the
 * log, s->cur) are 8-byte loads, which the store buffer cannot forward
 * from two narrower stores: a stall at every point, 7% of a 4x512 run
 * (perf).  Stored back once as one 8-byte word, the copies forward.
 */
static inline void decision_settle(struct det_decision *d)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t k = (uint32_t)d->kind, t = (uint32_t)d->thread;
	uint64_t w;

	/* Two loads the compiler must not merge back into one. */
	__asm__("" : "+r"(k), "+r"(t));
	w = k | (uint64_t)t << 32;
	_Static_assert(sizeof(*d) == sizeof(w), "a decision is two ints");
	memcpy(d, &w, sizeof(w));
#else
	(void)d;
#endif
}

static int log_decision(struct detsched *s, const struct det_decision *d)
{
	if (s->log_len == s->log_cap) {
		size_t cap = s->log_cap ? s->log_cap * 2 : 256;
		struct det_decision *n = realloc(s->log, cap * sizeof(*n));

		if (!n)
			return -THPSIM_ENOMEM;
		s->log = n;
		s->log_cap = cap;
	}
	s->log[s->log_len++] = *d;
	return 0;
}

/* The host preempts t's vCPU: it stays parked until chosen again. */
static void preempt_vcpu(struct dthread *t)
{
	sched_access_vcpu(t->cpu->id, true);
	t->cpu->preempted = true;
	thpsim__set_this_cpu(t->cpu);	/* the event belongs to its CPU */
	emit(.kind = THPSIM_EV_VCPU_PREEMPT, .arg = 1, .val = (uint64_t)t->cpu->id);
	thpsim__set_this_cpu(NULL);
}

static void thread_done(struct detsched *s, struct dthread *t)
{
	if (t->state == DT_RUNNABLE) {
		s->nr_runnable--;
		s->nr_runnable_daemons -= t->daemon;
	}
	if (t->state != DT_DONE && !t->daemon)
		s->nr_left--;
	t->state = DT_DONE;
}

/* Back on the scheduler's side of a step of t (on either stack). */
static void step_leave(struct detsched *s, struct dthread *t)
{
	s->on_fiber = false;
	thpsim__set_this_cpu(NULL);
	s->current = NULL;
	t->steps++;
}

/* One step of thread t: from its parked point to the next one. */
static void run_step(struct detsched *s, struct dthread *t)
{
	s->current = t;
	thpsim__set_this_cpu(t->cpu);
	/* Whether it was preempted is read at every step of a guest's vCPU:
	 * a preemption before the step or after it are different states. */
	if (t->cpu->machine->cfg.guest)
		sched_access_vcpu(t->cpu->id, false);
	if (t->cpu->preempted) {	/* a vCPU that runs is not preempted */
		sched_access_vcpu(t->cpu->id, true);
		t->cpu->preempted = false;
		emit(.kind = THPSIM_EV_VCPU_PREEMPT, .arg = 0, .val = (uint64_t)t->cpu->id);
		rcu_det_vcpu_resumed(t->cpu->id);
	}
	/* What pended while it was preempted (or masked) is taken now. */
	if (t->cpu->ipi_pending && !t->cpu->irq_depth)
		thpsim__ipi_drain(t->cpu);
	s->on_fiber = true;
	fiber_switch(&s->main, &t->fiber);
	if (!s->fiber_ended_step)	/* else det_point_in_place() did */
		step_leave(s, t);
	if (t->fiber.done)
		thread_done(s, t);
}

static enum det_result check_state(struct detsched *s)
{
	int left = s->nr_left, runnable = s->nr_runnable;

	if (!left && !runnable)
		return DET_FINISHED;
	if (!runnable) {
		deadlock_report(s);
		return DET_DEADLOCK;
	}
	if (s->max_steps && s->step >= s->max_steps)
		return DET_STEP_LIMIT;
	return (enum det_result)-1;
}

static enum det_result bad_decision(struct detsched *s,
				    const struct det_decision *d)
{
	snprintf(s->report, sizeof(s->report),
		 "policy chose %s of thread %d, which is not runnable",
		 d->kind == DET_RUN ? "a run" : "a preemption", d->thread);
	return DET_ERROR;
}

void detsched_recover_bug(const char *msg, const char *file, int line)
{
	struct detsched *s = running;
	struct dthread *t;
	struct cpu *c = this_cpu();
	size_t off;

	if (!s || s->bugged)
		return;
	t = s->current;
	if (t)
		off = (size_t)snprintf(s->report, sizeof(s->report),
				       "%s (CPU %d)", t->name, t->cpu->id);
	else
		off = (size_t)snprintf(s->report, sizeof(s->report),
				       "the scheduler");
	if (c && c->hook_name && off < sizeof(s->report))
		off += (size_t)snprintf(s->report + off, sizeof(s->report) - off,
					" in hook %s of strategy '%s'",
					c->hook_name, c->hook_strategy);
	if (off < sizeof(s->report))
		snprintf(s->report + off, sizeof(s->report) - off,
			 ": BUG at %s:%d: %s", file, line, msg);
	s->bugged = true;
	if (t && s->on_fiber) {
		/* Never resumed: its stack goes with fiber_destroy(). */
		thread_done(s, t);
		fiber_switch(&t->fiber, &s->main);
		abort();	/* unreachable */
	}
	longjmp(s->bug_jb, 1);
}

/* The process-wide hooks a run swaps in, saved to be put back however the
 * run ends (normally, or unwound by a BUG on the scheduler's side). */
struct det_saved {
	const struct sched_backend *backend;
	thpsim_sched_hook_fn hook;
	void *hook_arg;
	const struct thpsim_rcu_ops *rcu;
};

static void det_hooks_save(struct det_saved *sv)
{
	*sv = (struct det_saved){ thpsim__sched_backend, thpsim__sched_hook,
				  thpsim__sched_hook_arg, thpsim__rcu };
}

static void det_hooks_restore(const struct det_saved *sv)
{
	thpsim__sched_hook = sv->hook;
	thpsim__sched_access_hook = NULL;
	thpsim__sched_hook_arg = sv->hook_arg;
	thpsim__sched_backend = sv->backend;
	thpsim__event_point_fn = NULL;
	thpsim__rcu_set_ops(sv->rcu);
	thpsim__serial = false;
	running = NULL;
}

/* The next decision, checked and logged; -1, or how the run ends. */
static enum det_result decide(struct detsched *s, struct det_decision *d)
{
	const struct det_policy *p = s->policy;
	enum det_result r = check_state(s);

	if ((int)r >= 0)
		return r;
	if (p->next(p->st, s, d))
		return DET_STOPPED;
	if (d->thread < 0 || d->thread >= s->nr_threads ||
	    s->threads[d->thread].state != DT_RUNNABLE)
		return bad_decision(s, d);
	decision_settle(d);
	if (log_decision(s, d))
		return DET_ERROR;
	event_set_step(s->step + 1);	/* events of this step */
	return (enum det_result)-1;
}

/* After a decision was executed. */
static void step_end(struct detsched *s, const struct det_decision *d)
{
	s->step++;
	if (s->on_step)
		s->on_step(s->on_step_arg, s, d);
}

/*
 * On t's fiber, at a point: what run_step() does after the switch back,
 * step_end(), and the next decision.  "Run t" (no vCPU to resume, no IPI
 * to drain: run_step()'s entry work) goes on here; anything else goes to
 * the scheduler as s->next, or as s->end when the run is over.
 */
static void det_point_in_place(struct detsched *s, struct dthread *t)
{
	struct det_decision d;
	enum det_result r;

	step_leave(s, t);
	step_end(s, &s->cur);
	s->fiber_ended_step = true;
	r = decide(s, &d);
	if ((int)r < 0 && d.kind == DET_RUN && d.thread == t->idx &&
	    !t->cpu->preempted && !(t->cpu->ipi_pending && !t->cpu->irq_depth)) {
		if (t->cpu->machine->cfg.guest)	/* as run_step() does */
			sched_access_vcpu(t->cpu->id, false);
		s->cur = d;
		s->fiber_ended_step = false;
		s->current = t;
		thpsim__set_this_cpu(t->cpu);
		s->on_fiber = true;
		return;
	}
	if ((int)r >= 0)
		s->end = (int)r;
	else {
		s->next = d;
		s->have_next = true;
	}
	/* The scheduler's side of the step is done (step_leave): run_step()
	 * does not do it again. */
	det_yield(t);
	/* Resumed by run_step(), which did the entry work: nothing of this
	 * frame's state is used any more. */
}

static enum det_result run_inner(struct detsched *s, const struct det_policy *p)
{
	enum det_result r;
	struct det_decision d;

	running = s;
	thpsim__serial = true;
	thpsim__rcu_set_ops(&thpsim_rcu_det_ops);
	thpsim__event_point_fn = det_current_point;
	thpsim__sched_backend = &det_backend;
	thpsim__sched_hook_arg = s;
	thpsim__sched_hook = det_point;
	det_access_install();
	s->policy = p;
	s->have_next = false;
	s->end = -1;
	for (;;) {
		if (s->have_next) {	/* chosen on a fiber (in place) */
			d = s->next;
			s->have_next = false;
		} else if ((int)(r = decide(s, &d)) >= 0) {
			break;
		}
		s->cur = d;
		s->fiber_ended_step = false;
		if (d.kind == DET_PREEMPT)
			preempt_vcpu(&s->threads[d.thread]);
		else
			run_step(s, &s->threads[d.thread]);
		if (s->bugged) {
			r = DET_BUG;	/* the thread was abandoned */
			break;
		}
		if (!s->fiber_ended_step)
			step_end(s, &d);
		if (s->end >= 0) {	/* found on a fiber (in place) */
			r = (enum det_result)s->end;
			s->end = -1;
			break;
		}
	}
	s->policy = NULL;
	return r;
}

/* A BUG on the scheduler's side (not on a fiber) unwinds to here. */
enum det_result detsched_run(struct detsched *s, const struct det_policy *p)
{
	struct det_saved sv;
	enum det_result r;

	if (s->bugged)
		return DET_BUG;	/* an earlier run of s broke the model */
	det_hooks_save(&sv);
	if (!setjmp(s->bug_jb)) {
		r = run_inner(s, p);
	} else {
		s->current = NULL;
		s->on_fiber = false;
		thpsim__set_this_cpu(NULL);
		r = DET_BUG;
	}
	det_hooks_restore(&sv);
	return r;
}

void detsched_fini(struct detsched *s)
{
	for (int i = 0; i < s->nr_threads; i++) {
		fiber_destroy(&s->threads[i].fiber);
		thpsim__cpu_detach(s->threads[i].cpu);
	}
	free(s->log);
	s->log = NULL;
	if (s->threads != s->inline_threads)
		free(s->threads);
	s->threads = s->inline_threads;
	s->threads_cap = DET_THREADS_MAX;
	s->nr_threads = 0;
	s->nr_runnable = s->nr_left = s->nr_runnable_daemons = 0;
}
