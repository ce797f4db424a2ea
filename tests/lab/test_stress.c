/*
 * test_stress.c - the free-running stress engine (thpsim/workload.h) on
 * real threads, signals and liburcu.  Races are probabilistic: a test
 * that expects a violation retries a bounded number of short runs; a test
 * that expects none fails on the first false positive.  Short runs on a
 * small geometry keep each test within seconds on two cores.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "thpsim/thpsim.h"

#define RUN_NS 700000000u	/* one run */
#define RETRIES 8		/* runs before "no violation found" fails: a
				   loaded 2-core CI machine can miss a window */

static void config(thpsim_stress_config_t *sc, const char *profile,
		   const char *fix)
{
	thpsim_stress_config_init(sc);
	sc->profile = profile;
	sc->fix = fix;
	sc->duration_ns = RUN_NS;
	sc->stall_ns = 200000;
}

static thpsim_outcome_t run(const char *profile, const char *fix,
			    thpsim_stress_result_t *r)
{
	thpsim_stress_config_t sc;
	int err;

	config(&sc, profile, fix);
	err = thpsim_stress_run(&sc, r);
	cr_assert_eq(err, 0, "%s/%s: %s", profile, fix, thpsim_errmsg());
	cr_assert_eq(r->counters.bytes_bad, 0, "%s/%s: bytes differ", profile, fix);
	return r->verdict.outcome;
}

/* The first run (of RETRIES) whose outcome is class c; false if none. */
static bool finds(const char *profile, const char *fix, thpsim_outcome_t c)
{
	thpsim_stress_result_t r;

	for (int i = 0; i < RETRIES; i++)
		if (run(profile, fix, &r) == c || r.verdict.found[c])
			return true;
	return false;
}

static void expect_clean(const char *profile, const char *fix)
{
	thpsim_stress_result_t r;

	if (thpsim_outcome_is_violation(run(profile, fix, &r)))
		thpsim_verdict_print(&r.verdict, stderr);
	cr_expect(!thpsim_outcome_is_violation(r.verdict.outcome),
		  "%s/%s: false %s", profile, fix,
		  thpsim_outcome_name(r.verdict.outcome));
	cr_expect_gt(r.counters.walks, 0, "%s/%s: no walk", profile, fix);
	cr_expect_gt(r.counters.collapses_ok, 0, "%s/%s: no collapse",
		     profile, fix);
}

Test(stress, none_on_arm64_finds_uaf, .timeout = 30)
{
	cr_expect(finds("arm64", "none", THPSIM_OUTCOME_UAF),
		  "arm64/none: no UAF in %d runs", RETRIES);
}

Test(stress, fixes_on_arm64_are_clean, .timeout = 30)
{
	expect_clean("arm64", "ipi-sync");
	expect_clean("arm64", "fresh-table");
	expect_clean("arm64", "pte-free-defer");
}

Test(stress, fixes_on_ppc64_radix_are_clean, .timeout = 30)
{
	expect_clean("ppc64-radix", "ipi-sync");
	expect_clean("ppc64-radix", "fresh-table");
	expect_clean("ppc64-radix", "pte-free-defer");
}

Test(stress, fixes_on_kvm_pv_are_clean, .timeout = 30)
{
	expect_clean("x86-kvm-pv", "ipi-sync");
	expect_clean("x86-kvm-pv", "fresh-table");
	expect_clean("x86-kvm-pv", "pte-free-defer");
	/* The stalls really preempted vCPUs: none found UAF (no IPI wait). */
	cr_expect(finds("x86-kvm-pv", "none", THPSIM_OUTCOME_UAF),
		  "x86-kvm-pv/none: the preempted walker was never hit");
}

Test(stress, none_on_x86_is_clean, .timeout = 30)
{
	thpsim_stress_result_t r;

	expect_clean("x86", "none");
	run("x86", "none", &r);
	/* The flush IPI waited for the walker: the mechanism at work. */
	cr_expect_gt(r.counters.ipi_acked, 0);
}

Test(stress, broadcast_norcu_breaks_both_fixes, .timeout = 60)
{
	cr_expect(finds("broadcast-norcu", "ipi-sync", THPSIM_OUTCOME_UAF),
		  "broadcast-norcu/ipi-sync: no UAF in %d runs", RETRIES);
	cr_expect(finds("broadcast-norcu", "fresh-table", THPSIM_OUTCOME_UAF),
		  "broadcast-norcu/fresh-table: no UAF in %d runs", RETRIES);
}

Test(stress, counters_show_the_mechanisms, .timeout = 30)
{
	thpsim_stress_result_t r;

	run("arm64", "fresh-table", &r);
	cr_expect_gt(r.counters.tables_freed_rcu, 0, "no RCU table free");
	cr_expect_gt(r.counters.grace_periods, 0, "no grace period");
	cr_expect_eq(r.counters.ipi_sent, 0, "arm64 fresh-table sent IPIs");
	run("arm64", "ipi-sync", &r);
	cr_expect_gt(r.counters.ipi_sent, 0, "ipi-sync sent no IPI");
	cr_expect_eq(r.counters.ipi_sent, r.counters.ipi_acked);
	cr_expect_gt(r.counters.stalls, 0, "no stall injected");
}

static void *stopper(void *arg)
{
	struct timespec t = { 0, 200000000 };

	(void)arg;
	nanosleep(&t, NULL);
	thpsim_stress_stop();
	return NULL;
}

Test(stress, stop_ends_the_run_early, .timeout = 30)
{
	thpsim_stress_config_t sc;
	thpsim_stress_result_t r;
	pthread_t th;

	config(&sc, "arm64", "ipi-sync");
	sc.duration_ns = 20000000000u;
	cr_assert_eq(pthread_create(&th, NULL, stopper, NULL), 0);
	cr_assert_eq(thpsim_stress_run(&sc, &r), 0, "%s", thpsim_errmsg());
	pthread_join(th, NULL);
	cr_expect(r.interrupted);
	cr_expect_lt(r.counters.elapsed_s, 5.0, "ran %.1f s", r.counters.elapsed_s);
	cr_expect_gt(r.counters.walks, 0);
}

Test(stress, bad_configuration_is_named, .timeout = 30)
{
	thpsim_stress_config_t sc;
	thpsim_stress_result_t r;

	config(&sc, "sparc", "none");
	cr_expect_eq(thpsim_stress_run(&sc, &r), -THPSIM_EINVAL);
	cr_expect(strstr(thpsim_errmsg(), "sparc"), "%s", thpsim_errmsg());
	config(&sc, "arm64", "none");
	sc.walkers = 0;
	cr_expect_eq(thpsim_stress_run(&sc, &r), -THPSIM_EINVAL);
	cr_expect(strstr(thpsim_errmsg(), "walkers"), "%s", thpsim_errmsg());
}

/* The clean cells can fail: with IPIs delivered through the soft mask,
 * ipi-sync no longer waits for the walker and arm64 finds the UAF. */
Test(stress, mutant_ipi_ignores_mask_breaks_ipi_sync, .timeout = 30)
{
	setenv("THPSIM_MUTANT", "ipi-ignores-mask", 1);
	cr_expect(finds("arm64", "ipi-sync", THPSIM_OUTCOME_UAF),
		  "arm64/ipi-sync with ipi-ignores-mask: no UAF in %d runs",
		  RETRIES);
	unsetenv("THPSIM_MUTANT");
}

/* A run that did not exercise the race says which condition failed,
 * in the order documented in thpsim/workload.h. */
Test(stress, vacuous_names_the_missing_condition, .timeout = 30)
{
	thpsim_stress_result_t r;

	memset(&r, 0, sizeof(r));
	cr_expect(thpsim_stress_vacuous(NULL) != NULL);
	cr_expect(strstr(thpsim_stress_vacuous(&r), "0 pages pinned"));
	r.counters.pages_pinned = 5;
	cr_expect(strstr(thpsim_stress_vacuous(&r), "no collapse"));
	r.counters.collapses_ok = 1;
	cr_expect(strstr(thpsim_stress_vacuous(&r), "unhooked"));
	r.counters.unhooked_reads = 1;
	cr_expect(thpsim_stress_vacuous(&r) == NULL);
}

/* A geometry with fewer entries than a walk's pages (2x4: 4 per table)
 * used to start its walks outside the ranges: 0 pages pinned. */
Test(stress, small_geometry_pins_pages, .timeout = 30)
{
	thpsim_stress_config_t sc;
	thpsim_stress_result_t r;

	config(&sc, "x86", "ipi-sync");
	cr_assert_eq(thpsim_geometry_parse("2x4", &sc.geometry), 0);
	cr_assert_eq(thpsim_stress_run(&sc, &r), 0, "%s", thpsim_errmsg());
	cr_expect_gt(r.counters.pages_pinned, 0, "2x4: nothing pinned");
	cr_expect_gt(r.counters.collapses_ok, 0, "2x4: no collapse");
}

/* --stall-ns stalls once per IRQ-off section, one section in stall_every
 * per walker; the longest section measured covers the stall. */
Test(stress, one_stall_per_section_one_section_in_k, .timeout = 30)
{
	thpsim_stress_config_t sc;
	thpsim_stress_result_t r;

	config(&sc, "arm64", "fresh-table");
	sc.walkers = 2;
	sc.stall_every = 4;
	cr_assert_eq(thpsim_stress_run(&sc, &r), 0, "%s", thpsim_errmsg());
	cr_expect_gt(r.counters.stalls, 0, "no stall");
	cr_expect_gt(r.counters.irq_off_sections, 0, "no section counted");
	cr_expect(r.counters.stalls <= r.counters.irq_off_sections / 4 + sc.walkers,
		  "%llu stalls in %llu sections, stall_every 4",
		  (unsigned long long)r.counters.stalls,
		  (unsigned long long)r.counters.irq_off_sections);
	cr_expect(r.counters.irq_off_max_ns >= sc.stall_ns,
		  "longest section %llu ns, stall %llu ns",
		  (unsigned long long)r.counters.irq_off_max_ns,
		  (unsigned long long)sc.stall_ns);
}
