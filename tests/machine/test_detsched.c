/*
 * test_detsched.c - the deterministic scheduler: one fiber at a time,
 * steps between named scheduling points, blocking known to the scheduler
 * (deadlocks named), IPI delivery to masked and unmasked CPUs, simulated
 * RCU, vCPU preemption.  Single OS thread: nothing here depends on timing.
 */
#include <stdlib.h>

#include "machine_test.h"
#include "machine/cpu.h"
#include "machine/detsched.h"
#include "machine/lock.h"
#include "machine/rcu.h"

static thpsim_machine_t *m;
static struct detsched ds;
static char order[256];
static size_t nr_order;

static void mark(char c)
{
	if (nr_order < sizeof(order) - 1)
		order[nr_order++] = c;
}

static void setup(void)
{
	thpsim_machine_config_t cfg;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 8;
	check_ok(thpsim_machine_create(&cfg, &m));
	check_ok(detsched_init(&ds, m, 10000));
	nr_order = 0;
	memset(order, 0, sizeof(order));
}

static void teardown(void)
{
	detsched_fini(&ds);
	thpsim_machine_destroy(m);
}

TestSuite(detsched, .init = setup, .fini = teardown, .timeout = 30);

/* ---- policies -------------------------------------------------------- */

/* Round robin over runnable threads, one step each. */
static int rr_next(void *st, const struct detsched *s, struct det_decision *d)
{
	int *last = st;

	for (int k = 1; k <= s->nr_threads; k++) {
		int i = (*last + k) % s->nr_threads;

		if (s->threads[i].state == DT_RUNNABLE) {
			*last = i;
			*d = (struct det_decision){ DET_RUN, i };
			return 0;
		}
	}
	return 1;
}

/* Run thread `first` until it ends or blocks, then the lowest runnable. */
static int greedy_next(void *st, const struct detsched *s,
		       struct det_decision *d)
{
	int first = *(int *)st;

	if (s->threads[first].state == DT_RUNNABLE) {
		*d = (struct det_decision){ DET_RUN, first };
		return 0;
	}
	for (int i = 0; i < s->nr_threads; i++)
		if (s->threads[i].state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, i };
			return 0;
		}
	return 1;
}

/* ---- interleaving ---------------------------------------------------- */

static void three_points(void *arg)
{
	char c = *(const char *)arg;

	for (int i = 0; i < 3; i++) {
		mark(c);
		sched_point(ENTRY_LOAD);
	}
}

Test(detsched, round_robin_interleaves_at_points)
{
	int last = -1;
	struct det_policy p = { "rr", rr_next, &last };

	check_ok(detsched_spawn(&ds, "A", 0, three_points, "a"));
	check_ok(detsched_spawn(&ds, "B", 1, three_points, "b"));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	cr_assert_str_eq(order, "ababab");
	check_eq(ds.threads[0].state, DT_DONE);
	/* 3 points + the final step to the end, per thread */
	check_eq(ds.log_len, 8);
}

Test(detsched, greedy_runs_one_thread_to_its_end)
{
	int first = 1;
	struct det_policy p = { "greedy", greedy_next, &first };

	check_ok(detsched_spawn(&ds, "A", 0, three_points, "a"));
	check_ok(detsched_spawn(&ds, "B", 1, three_points, "b"));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	cr_assert_str_eq(order, "bbbaaa");
}

static void who_am_i(void *arg)
{
	int *out = arg;

	out[0] = smp_processor_id();
	sched_point(ENTRY_LOAD);
	out[1] = smp_processor_id();
}

Test(detsched, this_cpu_follows_the_fiber)
{
	int a[2] = { -1, -1 }, b[2] = { -1, -1 }, last = -1;
	struct det_policy p = { "rr", rr_next, &last };

	check_ok(detsched_spawn(&ds, "A", 3, who_am_i, a));
	check_ok(detsched_spawn(&ds, "B", 5, who_am_i, b));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	check_eq(a[0], 3);
	check_eq(a[1], 3);
	check_eq(b[0], 5);
	check_eq(b[1], 5);
	check_eq(smp_processor_id(), -1);
}

/* ---- blocking and deadlock ------------------------------------------ */

static spinlock_t la, lb;

static void lock_ab(void *arg)
{
	(void)arg;
	spin_lock(&la);
	sched_point(ENTRY_LOAD);
	spin_lock(&lb);
	spin_unlock(&lb);
	spin_unlock(&la);
}

static void lock_ba(void *arg)
{
	(void)arg;
	spin_lock(&lb);
	sched_point(ENTRY_LOAD);
	spin_lock(&la);
	spin_unlock(&la);
	spin_unlock(&lb);
}

Test(detsched, opposite_lock_order_is_a_named_deadlock)
{
	int last = -1;
	struct det_policy p = { "rr", rr_next, &last };

	spin_lock_init(&la, "A-lock");
	spin_lock_init(&lb, "B-lock");
	check_ok(detsched_spawn(&ds, "T1", 0, lock_ab, NULL));
	check_ok(detsched_spawn(&ds, "T2", 1, lock_ba, NULL));
	check_eq(detsched_run(&ds, &p), DET_DEADLOCK);
	check_contains(ds.report, "T1 (CPU 0) waits");
	check_contains(ds.report, "held by T2");
	check_contains(ds.report, "T2 (CPU 1) waits");
	check_contains(ds.report, "held by T1");
}

Test(detsched, same_lock_order_finishes)
{
	int last = -1;
	struct det_policy p = { "rr", rr_next, &last };

	spin_lock_init(&la, "A-lock");
	spin_lock_init(&lb, "B-lock");
	check_ok(detsched_spawn(&ds, "T1", 0, lock_ab, NULL));
	check_ok(detsched_spawn(&ds, "T2", 1, lock_ab, NULL));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	/* T2 blocked on A-lock at some step and was woken by T1's unlock */
	check_eq(spin_is_locked(&la), 0);
}

/* ---- IPIs ------------------------------------------------------------ */

static _Atomic int ipi_ran;

static void count_ipi(void *arg)
{
	(void)arg;
	mark('i');
	atomic_fetch_add(&ipi_ran, 1);
}

static void masked_walker(void *arg)
{
	unsigned long flags;

	(void)arg;
	local_irq_save(flags);
	mark('w');
	sched_point(GUP_AFTER_PMD_READ);	/* parked, IRQs off */
	mark('W');
	local_irq_restore(flags);		/* the IPI runs here */
	mark('e');
}

static void ipi_sender(void *arg)
{
	(void)arg;
	mark('s');
	check_ok(smp_call_function_single(1, count_ipi, NULL, true));
	mark('S');
}

Test(detsched, ipi_to_an_unmasked_cpu_is_taken_at_once)
{
	int first = 1;	/* K first, while G has not masked anything */
	struct det_policy p = { "greedy", greedy_next, &first };

	atomic_store(&ipi_ran, 0);
	check_ok(detsched_spawn(&ds, "G", 1, masked_walker, NULL));
	check_ok(detsched_spawn(&ds, "K", 0, ipi_sender, NULL));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	/* run on G's behalf without advancing G: K never blocked */
	check_eq(atomic_load(&ipi_ran), 1);
	cr_assert_str_eq(order, "siSwWe");
}

/* Policy: G until GUP_AFTER_PMD_READ, then K until it blocks, then G. */
static int script_next(void *st, const struct detsched *s,
		       struct det_decision *d)
{
	int *phase = st;
	const struct dthread *g = &s->threads[0], *k = &s->threads[1];

	if (*phase == 0 && g->at_point == THPSIM_SP_GUP_AFTER_PMD_READ)
		*phase = 1;
	if (*phase == 1 && k->state != DT_RUNNABLE)
		*phase = 2;
	if (*phase == 0) {
		*d = (struct det_decision){ DET_RUN, 0 };
		return 0;
	}
	if (*phase == 1) {
		*d = (struct det_decision){ DET_RUN, 1 };
		return 0;
	}
	for (int i = 0; i < s->nr_threads; i++)
		if (s->threads[i].state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, i };
			return 0;
		}
	return 1;
}

Test(detsched, sender_blocks_while_target_masked)
{
	int phase = 0;
	struct det_policy p = { "script", script_next, &phase };

	atomic_store(&ipi_ran, 0);
	check_ok(detsched_spawn(&ds, "G", 1, masked_walker, NULL));
	check_ok(detsched_spawn(&ds, "K", 0, ipi_sender, NULL));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	/*
	 * K blocked (no 'S') until G unmasked; the IPI ran at G's unmask,
	 * G ran on to its end in that step, then K resumed.
	 */
	cr_assert_str_eq(order, "wsWieS");
	check_eq(atomic_load(&ipi_ran), 1);
}

/* Preempt thread 0's vCPU first, note the flag, then round robin. */
static bool seen_preempted;

static int preempt_then_rr(void *st, const struct detsched *s,
			   struct det_decision *d)
{
	int *calls = st;

	if ((*calls)++ == 0) {
		*d = (struct det_decision){ DET_PREEMPT, 0 };
		return 0;
	}
	if (*calls == 2)
		seen_preempted = thpsim_cpu_is_preempted(s->m, 0);
	*d = (struct det_decision){ DET_RUN, 0 };
	return s->threads[0].state != DT_RUNNABLE;
}

Test(detsched, preemption_is_a_decision_cleared_when_the_vcpu_runs)
{
	int calls = 0;
	struct det_policy p = { "preempt", preempt_then_rr, &calls };

	seen_preempted = false;
	check_ok(detsched_spawn(&ds, "A", 0, three_points, "a"));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	check_eq(seen_preempted, 1);
	check_eq(ds.log[0].kind, DET_PREEMPT);
	check_eq(thpsim_cpu_is_preempted(m, 0), 0);
}

/* ---- RCU ------------------------------------------------------------- */

static struct rcu_head rh;
static _Atomic int cb_ran;

static void cb(struct rcu_head *h)
{
	(void)h;
	mark('c');
	atomic_store(&cb_ran, 1);
}

static void rcu_reader(void *arg)
{
	unsigned long flags;

	(void)arg;
	local_irq_save(flags);		/* IRQs off = a read-side section */
	mark('r');
	sched_point(GUP_AFTER_PMD_READ);
	mark('R');
	local_irq_restore(flags);
}

static void rcu_updater(void *arg)
{
	(void)arg;
	mark('u');
	call_rcu(&rh, cb);
}

/* Reader parks masked; updater queues; RCU thread runs; then the reader. */
static int rcu_script(void *st, const struct detsched *s,
		      struct det_decision *d)
{
	int *phase = st;
	const struct dthread *g = &s->threads[0];

	if (*phase == 0 && g->at_point == THPSIM_SP_GUP_AFTER_PMD_READ)
		*phase = 1;
	if (*phase == 1 && s->threads[1].state == DT_DONE)
		*phase = 2;
	if (*phase == 2 && s->threads[2].state != DT_RUNNABLE)
		*phase = 3;
	int pick = *phase == 3 ? 0 : *phase;

	for (int k = 0; k < s->nr_threads; k++) {
		int i = (pick + k) % s->nr_threads;

		if (s->threads[i].state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, i };
			return 0;
		}
	}
	return 1;
}

static void run_rcu_case(const char *expect)
{
	int phase = 0;
	struct det_policy p = { "script", rcu_script, &phase };

	atomic_store(&cb_ran, 0);
	check_ok(detsched_spawn(&ds, "G", 1, rcu_reader, NULL));
	check_ok(detsched_spawn(&ds, "U", 2, rcu_updater, NULL));
	check_ok(detsched_spawn_rcu(&ds, 3));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	check_eq(atomic_load(&cb_ran), 1);
	cr_assert_str_eq(order, expect);
}

Test(detsched, grace_period_waits_for_an_irq_off_section)
{
	/* the callback cannot run before G leaves its IRQ-off section */
	run_rcu_case("ruRc");
}

Test(detsched, mutant_gp_ignores_readers_frees_under_the_reader)
{
	setenv("THPSIM_MUTANT", "gp-ignores-readers", 1);
	detsched_fini(&ds);
	check_ok(detsched_init(&ds, m, 10000));
	run_rcu_case("rucR");
	unsetenv("THPSIM_MUTANT");
}

static int always_thread_7(void *st, const struct detsched *s,
			   struct det_decision *d)
{
	(void)st;
	(void)s;
	*d = (struct det_decision){ DET_RUN, 7 };
	return 0;
}

Test(detsched, bad_decision_is_an_error_not_a_crash)
{
	struct det_policy p = { "bad", always_thread_7, NULL };

	check_ok(detsched_spawn(&ds, "A", 0, three_points, "a"));
	check_eq(detsched_run(&ds, &p), DET_ERROR);
	check_contains(ds.report, "thread 7");
}

Test(detsched, a_cpu_slot_is_taken_once)
{
	check_ok(detsched_spawn(&ds, "A", 0, three_points, "a"));
	cr_assert_neq(detsched_spawn(&ds, "A2", 0, three_points, "a"), 0);
	check_contains(thpsim_errmsg(), "0");
}

Test(detsched, step_limit_stops_a_spinning_run)
{
	int last = -1;
	struct det_policy p = { "rr", rr_next, &last };

	ds.max_steps = 2;
	check_ok(detsched_spawn(&ds, "A", 0, three_points, "a"));
	check_eq(detsched_run(&ds, &p), DET_STEP_LIMIT);
	check_eq(ds.step, 2);
}

/* ---- more threads than DET_THREADS_MAX (detsched_reserve) ------------- */

static void point_and_mark(void *arg)
{
	(void)arg;
	sched_point(ENTRY_LOAD);
	mark('x');
}

Test(detsched_reserve, twelve_fibers_after_a_reserve)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *mm;
	struct detsched s;
	int last = -1;
	struct det_policy p = { "rr", rr_next, &last };

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 12;
	check_ok(thpsim_machine_create(&cfg, &mm));
	check_ok(detsched_init(&s, mm, 10000));
	cr_assert_eq(detsched_reserve(&s, DET_THREADS_CAP + 1), -THPSIM_EINVAL);
	cr_assert_eq(detsched_reserve(&s, 4), 0);	/* room already */
	cr_assert_eq(detsched_reserve(&s, 12), 0);
	nr_order = 0;
	for (int i = 0; i < 12; i++)
		cr_assert_eq(detsched_spawn(&s, "T", i, point_and_mark, NULL), 0);
	cr_assert_eq(detsched_reserve(&s, 20), -THPSIM_EINVAL);	/* spawned */
	cr_assert_eq(detsched_run(&s, &p), DET_FINISHED);
	cr_assert_eq(nr_order, 12);
	cr_assert_eq(s.nr_runnable, 0);
	cr_assert_eq(s.nr_left, 0);
	detsched_fini(&s);
	cr_assert_eq(s.threads_cap, DET_THREADS_MAX);
	thpsim_machine_destroy(mm);
}
