/*
 * test_guest.c - a guest machine's preempted vCPUs (cfg.guest, the
 * x86-kvm-pv profile): an IPI to one waits until the scheduler runs it
 * again, the wait naming it, and it holds a grace period off meanwhile;
 * on bare metal the same "preempted" CPU with IRQs on takes the IPI at
 * once.  Plus the per-CPU interrupt counts.  Deterministic scheduler, one
 * OS thread: nothing here depends on timing.
 */
#include <stdlib.h>

#include "machine_test.h"
#include "machine/cpu.h"
#include "machine/detsched.h"
#include "machine/rcu.h"

static thpsim_machine_t *m;
static struct detsched ds;
static char order[64];
static size_t nr_order;
static _Atomic int ipi_ran;

static void mark(char c)
{
	if (nr_order < sizeof(order) - 1)
		order[nr_order++] = c;
}

static void make(bool guest)
{
	thpsim_machine_config_t cfg;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 8;
	cfg.guest = guest;
	check_ok(thpsim_machine_create(&cfg, &m));
	check_ok(detsched_init(&ds, m, 10000));
	nr_order = 0;
	memset(order, 0, sizeof(order));
	atomic_store(&ipi_ran, 0);
}

static void teardown(void)
{
	detsched_fini(&ds);
	thpsim_machine_destroy(m);
}

TestSuite(guest, .fini = teardown, .timeout = 30);

/* G: one step to a point with IRQs on, then its end. */
static void parked(void *arg)
{
	(void)arg;
	mark('g');
	sched_point(ENTRY_LOAD);
	mark('G');
}

static void count_ipi(void *arg)
{
	(void)arg;
	mark('i');
	atomic_fetch_add(&ipi_ran, 1);
}

/* K: an IPI to CPU 1 (G), waiting for it. */
static void sender(void *arg)
{
	(void)arg;
	mark('k');
	check_ok(smp_call_function_single(1, count_ipi, NULL, true));
	mark('K');
}

/*
 * The script: G one step, preempt G, K until it is not runnable (what it
 * waits on is recorded), G to its end, then whoever is left.
 */
struct script {
	int pc;
	enum dthread_state k_state;	/* K's state when it stopped */
	int k_owner;			/* whom it waited on */
	const char *k_what;
};

static int script(void *st, const struct detsched *s, struct det_decision *d)
{
	struct script *sc = st;
	const struct dthread *k = &s->threads[1];

	switch (sc->pc) {
	case 0:
		sc->pc++;
		*d = (struct det_decision){ DET_RUN, 0 };
		return 0;
	case 1:
		sc->pc++;
		*d = (struct det_decision){ DET_PREEMPT, 0 };
		return 0;
	case 2:
		if (k->state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, 1 };
			return 0;
		}
		sc->k_state = k->state;
		sc->k_owner = k->wait_owner_cpu;
		sc->k_what = k->wait_what;
		sc->pc++;
		/* fall through */
	default:
		for (int i = 0; i < s->nr_threads; i++)
			if (s->threads[i].state == DT_RUNNABLE) {
				*d = (struct det_decision){ DET_RUN, i };
				return 0;
			}
		return 1;
	}
}

static void run_ipi_case(bool guest, struct script *sc)
{
	struct det_policy p = { "script", script, sc };

	make(guest);
	check_ok(detsched_spawn(&ds, "G", 1, parked, NULL));
	check_ok(detsched_spawn(&ds, "K", 0, sender, NULL));
	/* Never a deadlock: the preempted vCPU stays runnable. */
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	check_eq(atomic_load(&ipi_ran), 1);
}

Test(guest, ipi_to_a_preempted_vcpu_waits_until_it_runs_again)
{
	struct script sc = { 0 };

	run_ipi_case(true, &sc);
	/* K blocked on G's CPU; G took the IPI at its resume, before 'G'. */
	check_eq(sc.k_state, DT_BLOCKED);
	check_eq(sc.k_owner, 1);
	cr_assert(sc.k_what && strstr(sc.k_what, "preempted"), "wait: %s",
		  sc.k_what ? sc.k_what : "(none)");
	cr_assert_str_eq(order, "gkiGK");
}

Test(guest, bare_metal_stalled_cpu_with_irqs_on_takes_it_at_once)
{
	struct script sc = { 0 };

	run_ipi_case(false, &sc);
	check_eq(sc.k_state, DT_DONE);
	cr_assert_str_eq(order, "gkiKG");
}

/* ---- RCU ------------------------------------------------------------- */

static struct rcu_head rh;

static void cb(struct rcu_head *h)
{
	(void)h;
	mark('c');
}

static void updater(void *arg)
{
	(void)arg;
	mark('u');
	call_rcu(&rh, cb);
}

/* G one step, preempt G, U to its end, R while it can, then G. */
static int rcu_script(void *st, const struct detsched *s,
		      struct det_decision *d)
{
	int *pc = st;
	static const int order_of[] = { 1, 2, 0 };

	if (*pc == 0) {
		*pc = 1;
		*d = (struct det_decision){ DET_RUN, 0 };
		return 0;
	}
	if (*pc == 1) {
		*pc = 2;
		*d = (struct det_decision){ DET_PREEMPT, 0 };
		return 0;
	}
	for (int k = 0; k < 3; k++) {
		int i = order_of[k];

		if (s->threads[i].state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, i };
			return 0;
		}
	}
	return 1;
}

static void run_rcu_case(bool guest, const char *expect)
{
	int pc = 0;
	struct det_policy p = { "script", rcu_script, &pc };

	make(guest);
	check_ok(detsched_spawn(&ds, "G", 1, parked, NULL));
	check_ok(detsched_spawn(&ds, "U", 2, updater, NULL));
	check_ok(detsched_spawn_rcu(&ds, 3));
	check_eq(detsched_run(&ds, &p), DET_FINISHED);
	cr_assert_str_eq(order, expect);
}

Test(guest, preempted_vcpu_outside_a_section_holds_the_grace_period)
{
	/* the callback waits for G's vCPU to run again */
	run_rcu_case(true, "guGc");
}

Test(guest, bare_metal_stalled_cpu_outside_a_section_is_quiescent)
{
	run_rcu_case(false, "gucG");
}

/* ---- interrupt counts ------------------------------------------------ */

Test(guest, irq_counts_count_calls_taken_per_cpu)
{
	struct script sc = { 0 };
	thpsim_irq_counts_t c;

	run_ipi_case(true, &sc);
	check_ok(thpsim_cpu_irq_counts(m, 1, &c));
	check_eq(c.cal, 1);
	check_eq(c.tlb, 0);
	check_ok(thpsim_cpu_irq_counts(m, 0, &c));
	check_eq(c.cal, 0);
	cr_assert_eq(thpsim_cpu_irq_counts(m, 8, &c), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "8"), "%s", thpsim_errmsg());
	cr_assert_eq(thpsim_cpu_irq_counts(NULL, 0, &c), -THPSIM_EINVAL);
}
