/*
 * machine/detsched.h - the deterministic scheduler.
 *
 * Exactly one simulated thread runs at a time, as a fiber on the calling
 * OS thread.  A thread runs from one named scheduling point to the next
 * (sched_point()), or until it blocks (sched_wait()) or ends; then control
 * returns to the scheduler, which asks a *policy* what happens next.
 *
 * The scheduler core knows nothing of scenarios or scripts: a policy is a
 * function that looks at the threads (runnable?, parked at which point?)
 * and returns a decision — run thread i for one step, or preempt thread
 * i's vCPU.  Scripted, random, PCT, bounded-DFS and replay are all
 * policies (lab layer).  Every decision is recorded, so any run can be
 * replayed from its decision list.
 *
 * While a scheduler runs it owns the machine's blocking primitives
 * (sched_wait / sched_wake park and unpark fibers; no timeouts: a wait
 * that can never end is reported as a deadlock naming who waits on whom),
 * the scheduling-point hook, IPI delivery (a target with interrupts
 * unmasked takes the IPI at once, its handler running on its behalf
 * without advancing its code; a masked target pends it until unmask) and
 * this_cpu(), which follows the running fiber.
 *
 * Memory model: one fiber at a time, so every run is sequentially
 * consistent; weak-memory effects are out of scope.
 */
#ifndef THPSIM_MACHINE_DETSCHED_H
#define THPSIM_MACHINE_DETSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "thpsim/machine.h"
#include "machine/fiber.h"

/*
 * DET_THREADS_MAX: the threads a scheduler holds in place, and the most
 * the exploring policies (random, PCT, DFS, DPOR, replay) handle, whose
 * encodings and bitmaps are sized for it; the scenarios stay below it.
 * DET_THREADS_CAP: the most after detsched_reserve(), enough for a fiber
 * on every CPU of the largest machine (the virtual-time engine,
 * lab/scale.c).
 */
#define DET_THREADS_MAX 8
#define DET_THREADS_CAP (THPSIM_NR_CPUS_MAX + 8)

enum dthread_state { DT_RUNNABLE, DT_BLOCKED, DT_DONE };

struct cpu;

struct dthread {
	int idx;
	const char *name;		/* "G", "K", ... */
	struct cpu *cpu;
	struct fiber fiber;
	enum dthread_state state;
	int at_point;			/* point it is parked at, -1 = not started */
	uint64_t steps;
	/* While blocked: what on, and on whom (-1: nobody in particular). */
	_Atomic uint32_t *wait_word;
	uint32_t wait_val;
	const char *wait_what;
	int wait_owner_cpu;
	int wait_point;			/* point it blocked after */
	bool daemon;			/* never ends (the RCU thread): the run
					   finishes without it */
	bool no_yield;			/* points do not switch (an atomic
					   stretch of setup work: vclock.c) */
	void (*fn)(void *arg);
	void *arg;
};

enum det_kind { DET_RUN, DET_PREEMPT };

struct det_decision {
	enum det_kind kind;
	int thread;
};

struct detsched;

/*
 * A policy: fill *d and return 0, or return 1 to stop the run early.  It
 * may only choose a runnable thread.
 */
struct det_policy {
	const char *name;
	int (*next)(void *st, const struct detsched *s, struct det_decision *d);
	void *st;
};

enum det_result {
	DET_FINISHED = 0,	/* every thread ended (daemons: idle) */
	DET_DEADLOCK,		/* threads left, none runnable */
	DET_STEP_LIMIT,		/* max_steps reached */
	DET_STOPPED,		/* the policy stopped the run */
	DET_ERROR,		/* bad decision from the policy */
	DET_BUG,		/* a thread broke a rule of the model
				   (thpsim__bug): report says which; the
				   threads were abandoned where they stood */
};

/* Called after every decision (trace, oracle invariant checks). */
typedef void (*det_step_fn)(void *arg, const struct detsched *s,
			    const struct det_decision *d);

/*
 * Optional observers of the run, for a virtual clock (machine/vclock.c):
 * a thread passed a point (before it parks), a thread woke another, an
 * IPI is about to run on target on behalf of the running thread (begin)
 * or has run (end).  NULL members are skipped.
 */
struct det_clock_ops {
	void (*point)(void *arg, struct dthread *t, int point);
	void (*wake)(void *arg, struct dthread *waker, struct dthread *woken);
	void (*kick)(void *arg, struct dthread *sender, struct cpu *target,
		     bool end);
	void *arg;
};

struct detsched {
	thpsim_machine_t *m;
	const struct det_clock_ops *clock;	/* NULL: no clock */
	struct fiber main;
	struct dthread *threads;	/* inline, or detsched_reserve()'s */
	int threads_cap;
	struct dthread inline_threads[DET_THREADS_MAX];
	int nr_threads;
	int nr_runnable, nr_left;	/* kept by every state change: the
					   end-of-run check is O(1) */
	int nr_runnable_daemons;	/* of nr_runnable: a policy asks
					   for the rest in O(1) */
	struct dthread *current;
	uint64_t step;
	uint64_t max_steps;
	det_step_fn on_step;
	void *on_step_arg;
	struct det_decision *log;	/* every decision, in order */
	size_t log_len, log_cap;
	char report[1024];		/* deadlock / error explanation */
	bool on_fiber;			/* current's own stack is running */
	/* Steps in place (det_point): a thread at a point ends its step and
	 * asks the policy for the next decision itself; when that is "run
	 * me again" it goes on with no switch.  Else it leaves the decision
	 * (next) or the run's result (end) to the scheduler. */
	bool in_place;			/* on unless THPSIM_NO_FASTPATH */
	const struct det_policy *policy;	/* this run's (run_inner) */
	struct det_decision cur;	/* the decision being executed */
	bool fiber_ended_step;		/* the fiber did the step's end */
	bool have_next;
	struct det_decision next;
	int end;			/* a det_result, or -1 */
	bool bugged;			/* a BUG ended a run: report says */
	jmp_buf bug_jb;			/* a BUG on the scheduler's side */
};

/*
 * The footprint of one step: the shared objects it touched, from the
 * sched_access() log (machine/sched.h), for partial-order reduction.
 * Keys are the same in every run of one configuration: an entry (frame
 * and slot), a frame (struct page, frame bytes), a split page-table lock,
 * a CPU, a CPU's walk record, a lock name, ... (detsched.c, sched.h,
 * event.c).  A step that touched more than DET_FP_MAX
 * objects is marked `all`: dependent with every step (sound).
 */
#define DET_FP_MAX 48

struct det_footprint {
	uint64_t key[DET_FP_MAX];
	bool write[DET_FP_MAX];
	unsigned n;
	bool all;
};

/*
 * Log accesses into *fp from now on (NULL: stop).  The log is on only
 * while a scheduler runs and fp is set; the caller empties fp between
 * steps (explore.c's DPOR policy does it at each decision).
 */
void detsched_set_footprint(struct det_footprint *fp);
/* detsched_access.c: install the access hook for this run (when a
 * footprint is set); the machine of the run on this OS thread (NULL when
 * none runs). */
void det_access_install(void);
thpsim_machine_t *detsched_running_machine(void);
/* Do two footprints conflict (a common object, one of them writing)? */
bool det_fp_conflict(const struct det_footprint *a,
		     const struct det_footprint *b);
void det_fp_add(struct det_footprint *fp, uint64_t key, bool write);

int detsched_init(struct detsched *s, thpsim_machine_t *m, uint64_t max_steps);
/*
 * Room for n threads (up to DET_THREADS_CAP), before the first spawn:
 * 0, -THPSIM_EINVAL (too many, or threads spawned already) or
 * -THPSIM_ENOMEM.  detsched_fini() gives it back.
 */
int detsched_reserve(struct detsched *s, int n);
/* A thread bound to simulated CPU cpu_id (which must be free). */
int detsched_spawn(struct detsched *s, const char *name, int cpu_id,
		   void (*fn)(void *arg), void *arg);
/*
 * A daemon: the run finishes when every other thread has ended and no
 * daemon is runnable.  The RCU thread of deterministic mode is one:
 * detsched_spawn_rcu() spawns it (name "R").
 */
int detsched_spawn_daemon(struct detsched *s, const char *name, int cpu_id,
			  void (*fn)(void *arg), void *arg);
int detsched_spawn_rcu(struct detsched *s, int cpu_id);
enum det_result detsched_run(struct detsched *s, const struct det_policy *p);
void detsched_fini(struct detsched *s);

/*
 * From thpsim__bug(): inside detsched_run(), record the BUG (with the
 * strategy hook running on this CPU, if any) in report, abandon the
 * running thread and return to the scheduler, which ends the run with
 * DET_BUG; does not return then.  Outside a run it returns.
 */
void detsched_recover_bug(const char *msg, const char *file, int line);

/*
 * Park the running thread without passing a named point (its at_point
 * stays): a virtual clock's "this thread waits until its time".  Outside
 * a run, or on the scheduler side, it returns at once.
 */
void detsched_yield(void);

/* The thread running now (NULL on the scheduler side). */
struct dthread *detsched_current(void);
const char *det_result_name(enum det_result r);

#endif
