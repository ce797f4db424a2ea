/*
 * test_idle_cpus.c - scenario runs with idle CPUs outside the mm, and the
 * guest profile's waits for a preempted vCPU, judged from the runs
 * themselves: interrupt counts per CPU and the order of the events.
 *
 *  - ipi-sync's tlb_remove_table_sync_one() IPIs every other online CPU
 *    (kernel/smp.c smp_call_function), idle ones included; x86's
 *    flush_tlb_mm_range() IPIs mm_cpumask only: an idle CPU gets no TLB
 *    interrupt, on x86 with fix none no interrupt at all.
 *  - x86-kvm-pv: an IPI to a preempted vCPU ends only after the vCPU was
 *    resumed; exploration of those runs never reports a false DEADLOCK.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "lab/scenario.h"
#include "machine/event.h"

static void rc_init(thpsim_run_config_t *rc, const char *sc,
		    const char *profile, const char *fix, unsigned idle)
{
	thpsim_run_config_init(rc);
	rc->scenario = sc;
	rc->profile = profile;
	rc->fix = fix;
	rc->idle_cpus = idle;
	cr_assert_eq(thpsim_geometry_parse("2x4", &rc->geometry), 0);
}

static void run(const thpsim_run_config_t *rc, thpsim_run_result_t *res)
{
	cr_assert_eq(thpsim_scenario_run(rc, res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(res->nr_idle_cpus, rc->idle_cpus);
	cr_assert_eq(res->nr_cpus, THPSIM_RUN_FIRST_IDLE_CPU + rc->idle_cpus);
}

static void idle_gets(const char *profile, const char *fix, bool cal)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;

	rc_init(&rc, "S1", profile, fix, 2);
	run(&rc, &res);
	for (unsigned i = 0; i < 2; i++) {
		const thpsim_irq_counts_t *c = &res.irqs[THPSIM_RUN_FIRST_IDLE_CPU + i];

		cr_assert_eq(c->tlb, 0, "%s/%s: idle CPU %u took %llu TLB IPIs",
			     profile, fix, i, (unsigned long long)c->tlb);
		if (cal)
			cr_assert_geq(c->cal, 1, "%s/%s: idle CPU %u missed the sync IPI",
				      profile, fix, i);
		else
			cr_assert_eq(c->cal, 0, "%s/%s: idle CPU %u took %llu IPIs",
				     profile, fix, i, (unsigned long long)c->cal);
	}
	thpsim_run_result_fini(&res);
}

Test(idle_cpus, ipi_sync_reaches_idle_cpus)
{
	idle_gets("x86-paravirt", "ipi-sync", true);
	idle_gets("arm64", "ipi-sync", true);
}

Test(idle_cpus, x86_flush_skips_cpus_outside_the_mm)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;

	idle_gets("x86", "none", false);
	idle_gets("x86", "ipi-sync", false);	/* sync_one is a stub on x86 */
	/* ...while the walker, in mm_cpumask, took the flush. */
	rc_init(&rc, "S1", "x86", "none", 1);
	run(&rc, &res);
	cr_assert_geq(res.irqs[1].tlb, 1, "G took no flush IPI");
	cr_assert_geq(res.irqs[1].cal, res.irqs[1].tlb);
	thpsim_run_result_fini(&res);
}

Test(idle_cpus, outcomes_do_not_change)
{
	static const char *const profiles[] = { "x86", "x86-kvm-pv", "arm64" };
	static const char *const fixes[] = { "none", "ipi-sync", "fresh-table" };

	for (int p = 0; p < 3; p++)
		for (int f = 0; f < 3; f++) {
			thpsim_run_config_t rc;
			thpsim_run_result_t a, b;

			rc_init(&rc, "S1", profiles[p], fixes[f], 0);
			run(&rc, &a);
			rc.idle_cpus = 3;
			run(&rc, &b);
			cr_assert_eq(a.verdict.outcome, b.verdict.outcome,
				     "S1 %s/%s", profiles[p], fixes[f]);
			thpsim_run_result_fini(&a);
			thpsim_run_result_fini(&b);
		}
}

Test(idle_cpus, idle_cpus_are_named_in_the_timeline)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;

	rc_init(&rc, "S1", "arm64", "ipi-sync", 1);
	rc.timeline = true;
	rc.timeline_width = 200;
	run(&rc, &res);
	cr_assert(res.timeline && strstr(res.timeline, "CPU 9: idle"));
	thpsim_run_result_fini(&res);
}

Test(idle_cpus, too_many_is_refused_with_the_range)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;

	rc_init(&rc, "S1", "arm64", "none", THPSIM_IDLE_CPUS_MAX + 1);
	cr_assert_eq(thpsim_scenario_run(&rc, &res), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "idle_cpus: 17"), "%s", thpsim_errmsg());
	cr_assert(strstr(thpsim_errmsg(), "0..16"), "%s", thpsim_errmsg());
}

/* ---- the guest's wait for a preempted vCPU ---------------------------- */

struct order {
	uint64_t wait_seq, wait_val, resume_seq, end_seq;
	int target;
};

static void on_event(const thpsim_event_t *ev, void *arg)
{
	struct order *o = arg;

	if (ev->kind == THPSIM_EV_IPI_WAIT && ev->arg == o->target &&
	    !o->wait_seq) {
		o->wait_seq = ev->seq;
		o->wait_val = ev->val;
	}
	if (ev->kind == THPSIM_EV_VCPU_PREEMPT && ev->arg == 0 &&
	    ev->val == (uint64_t)o->target && !o->resume_seq)
		o->resume_seq = ev->seq;
	if (ev->kind == THPSIM_EV_IPI_WAIT_END && ev->arg == o->target &&
	    !o->end_seq)
		o->end_seq = ev->seq;
}

static thpsim_outcome_t watch(const char *sc, const char *profile,
			      struct order *o)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	struct scenario_hooks h = { NULL, on_event, o, true };
	thpsim_outcome_t out;

	rc_init(&rc, sc, profile, "ipi-sync", 0);
	cr_assert_eq(scenario_run_hooked(&rc, &h, &res), 0, "%s", thpsim_errmsg());
	cr_assert(o->wait_seq && o->resume_seq && o->end_seq,
		  "%s %s: wait %llu resume %llu end %llu", sc, profile,
		  (unsigned long long)o->wait_seq,
		  (unsigned long long)o->resume_seq,
		  (unsigned long long)o->end_seq);
	out = res.verdict.outcome;
	thpsim_run_result_fini(&res);
	return out;
}

/* S10: W (CPU 4) is preempted with IRQs on, inside its RCU section. */
Test(guest, kvm_pv_sync_ipi_waits_for_the_preempted_vcpu)
{
	struct order o = { .target = 4 };

	cr_assert_eq(watch("S10", "x86-kvm-pv", &o), THPSIM_OUTCOME_UAF);
	cr_assert_eq(o.wait_val, 2, "the wait does not name the preempted vCPU");
	cr_assert_lt(o.wait_seq, o.resume_seq);
	cr_assert_lt(o.resume_seq, o.end_seq,
		     "the IPI wait ended before the vCPU was resumed");
}

Test(guest, bare_metal_stalled_cpu_acks_at_once)
{
	struct order o = { .target = 4 };

	cr_assert_eq(watch("S10", "arm64", &o), THPSIM_OUTCOME_UAF);
	cr_assert_eq(o.wait_val, 0);
	cr_assert_lt(o.end_seq, o.resume_seq);
}

/* S7: G (CPU 1) preempted with IRQs off: masked and preempted. */
Test(guest, kvm_pv_s7_sync_is_blocked_until_the_resume)
{
	struct order o = { .target = 1 };

	cr_assert_eq(watch("S7", "x86-kvm-pv", &o), THPSIM_OUTCOME_BLOCKED);
	cr_assert_eq(o.wait_val, 3);
	cr_assert_lt(o.resume_seq, o.end_seq);
}

Test(guest, exploration_never_reports_a_false_deadlock, .timeout = 120)
{
	static const char *const sc[] = { "S7", "S10", "S1" };

	for (int s = 0; s < 3; s++)
		for (int p = 0; p < THPSIM_POLICY__NR; p++) {
			thpsim_explore_config_t ec;
			thpsim_explore_result_t xr;

			thpsim_explore_config_init(&ec);
			rc_init(&ec.run, sc[s], "x86-kvm-pv", "ipi-sync", 1);
			ec.policy = (thpsim_policy_t)p;
			ec.iterations = p == THPSIM_POLICY_DFS ? 300 : 200;
			ec.switch_prob = 0.3;
			ec.preemptions = 1;
			cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
			cr_assert_eq(xr.counts[THPSIM_OUTCOME_DEADLOCK], 0,
				     "%s %s: %llu deadlocks (%s)", sc[s],
				     thpsim_policy_name(ec.policy),
				     (unsigned long long)xr.counts[THPSIM_OUTCOME_DEADLOCK],
				     xr.first_schedule ? xr.first_schedule : "-");
			thpsim_explore_result_fini(&xr);
		}
}

/* A schedule recorded with idle CPUs replays only with them. */
Test(idle_cpus, schedules_record_the_idle_cpus)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	thpsim_run_result_t res;

	thpsim_explore_config_init(&ec);
	rc_init(&ec.run, "S1", "arm64", "none", 2);
	ec.iterations = 5000;	/* random, seed 1: the first UAF is run 518 */
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert(xr.found && xr.first_schedule);
	cr_assert_eq(thpsim_replay(&ec.run, xr.first_schedule, &res), 0, "%s",
		     thpsim_errmsg());
	cr_assert_eq(res.verdict.outcome, xr.first_outcome);
	thpsim_run_result_fini(&res);
	ec.run.idle_cpus = 0;
	cr_assert_eq(thpsim_schedule_check(&ec.run, xr.first_schedule),
		     -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "another configuration"), "%s",
		  thpsim_errmsg());
	thpsim_explore_result_fini(&xr);
}
