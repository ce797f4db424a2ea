/*
 * test_strategy_variants.c - the later strategies send fewer interrupts
 * than ipi-sync, judged from the per-CPU interrupt counts of scenario runs
 * with idle CPUs outside the mm (their outcomes are in expected.h):
 *
 *  - ipi-sync-targeted IPIs mm_cpumask only: the walker G (in the mask)
 *    still takes the sync on ppc64-radix, idle CPUs take nothing;
 *  - skip-redundant-sync on x86-paravirt sends no sync at all (the flush
 *    IPI already waited): fewer interrupts in all than ipi-sync;
 *  - rcu-fallback under S8 (batch page fails) waits for a grace period,
 *    not an IPI: on arm64 no CPU takes an interrupt, where fresh-table's
 *    fallback interrupts every CPU.
 */
#include <criterion/criterion.h>

#include "thpsim/thpsim.h"

#define IDLE 2

struct irqs {
	uint64_t idle_cal, total_cal, g_cal;
};

static struct irqs run_irqs(const char *sc, const char *profile,
			    const char *fix)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	struct irqs n = { 0, 0, 0 };

	thpsim_run_config_init(&rc);
	rc.scenario = sc;
	rc.profile = profile;
	rc.fix = fix;
	rc.idle_cpus = IDLE;
	cr_assert_eq(thpsim_geometry_parse("2x4", &rc.geometry), 0);
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(res.nr_cpus, THPSIM_RUN_FIRST_IDLE_CPU + IDLE);
	for (unsigned i = 0; i < res.nr_cpus; i++)
		n.total_cal += res.irqs[i].cal;
	for (unsigned i = 0; i < IDLE; i++)
		n.idle_cal += res.irqs[THPSIM_RUN_FIRST_IDLE_CPU + i].cal;
	n.g_cal = res.irqs[1].cal;	/* CPU 1 is G, as in test_idle_cpus */
	thpsim_run_result_fini(&res);
	return n;
}

Test(strategy_variants, targeted_sync_spares_cpus_outside_the_mm)
{
	static const char *const profiles[] = { "ppc64-radix", "x86-paravirt" };

	for (unsigned p = 0; p < 2; p++) {
		struct irqs all = run_irqs("S1", profiles[p], "ipi-sync");
		struct irqs mm = run_irqs("S1", profiles[p], "ipi-sync-targeted");

		cr_assert_geq(all.idle_cal, IDLE, "%s: ipi-sync missed idle CPUs",
			      profiles[p]);
		cr_assert_eq(mm.idle_cal, 0, "%s: targeted sync IPIed %llu times outside the mm",
			     profiles[p], (unsigned long long)mm.idle_cal);
		cr_assert_lt(mm.total_cal, all.total_cal, "%s", profiles[p]);
		cr_assert_geq(mm.g_cal, 1, "%s: the walker's CPU missed the sync",
			      profiles[p]);
	}
}

Test(strategy_variants, targeted_sync_reaches_nobody_without_mm_cpumask)
{
	struct irqs mm = run_irqs("S1", "arm64", "ipi-sync-targeted");

	cr_assert_eq(mm.total_cal, 0, "arm64 keeps no mm_cpumask, yet %llu IPIs",
		     (unsigned long long)mm.total_cal);
}

Test(strategy_variants, skip_sync_after_an_ipi_flush)
{
	struct irqs all = run_irqs("S1", "x86-paravirt", "ipi-sync");
	struct irqs skip = run_irqs("S1", "x86-paravirt", "skip-redundant-sync");
	struct irqs bc = run_irqs("S1", "arm64", "skip-redundant-sync");

	cr_assert_eq(skip.idle_cal, 0);
	cr_assert_lt(skip.total_cal, all.total_cal);
	cr_assert_geq(skip.g_cal, 1, "the flush IPI no longer reached G");
	/* A broadcast flush is no IPI: the sync is sent, idle CPUs too. */
	cr_assert_geq(bc.idle_cal, IDLE);
}

Test(strategy_variants, rcu_fallback_interrupts_nobody)
{
	struct irqs ipi = run_irqs("S8", "arm64", "fresh-table");
	struct irqs rcu = run_irqs("S8", "arm64", "rcu-fallback");

	cr_assert_geq(ipi.idle_cal, IDLE, "fresh-table's fallback IPI missed idle CPUs");
	cr_assert_eq(rcu.total_cal, 0, "rcu-fallback sent %llu IPIs",
		     (unsigned long long)rcu.total_cal);
}
