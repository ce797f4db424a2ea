/*
 * test_mutants.c - each test-only mutant (THPSIM_MUTANT, DESIGN.md
 * section 8) breaks one mechanism; the cells DESIGN names must flip, and
 * the same cells without the mutant must not.  This is what shows the
 * outcomes come from the mechanisms, not from a table.  Each Criterion
 * test is its own process, so the environment is set before anything in
 * the library reads it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "thpsim/thpsim.h"
#include "thpsim/scenario.h"

static thpsim_outcome_t run(const char *scenario, const char *profile,
			    const char *fix)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	thpsim_outcome_t o;

	thpsim_run_config_init(&rc);
	rc.scenario = scenario;
	rc.profile = profile;
	rc.fix = fix;
	cr_assert_eq(thpsim_geometry_parse("2x4", &rc.geometry), 0);
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	o = res.verdict.outcome;
	thpsim_run_result_fini(&res);
	return o;
}

#define expect_outcome(sc, prof, fix, want)                                  \
	do {                                                                 \
		thpsim_outcome_t got_ = run(sc, prof, fix);                  \
		cr_expect_eq(got_, THPSIM_OUTCOME_##want,                    \
			     "%s %s %s: %s, expected %s (THPSIM_MUTANT=%s)", \
			     sc, prof, fix, thpsim_outcome_name(got_), #want, \
			     getenv("THPSIM_MUTANT") ? getenv("THPSIM_MUTANT") : ""); \
	} while (0)

static void mutant(const char *name)
{
	cr_assert_eq(setenv("THPSIM_MUTANT", name, 1), 0);
}

Test(mutants, baseline_without_mutant)
{
	unsetenv("THPSIM_MUTANT");
	expect_outcome("S1", "arm64", "ipi-sync", BLOCKED);
	expect_outcome("S2", "arm64", "ipi-sync", BLOCKED);
	expect_outcome("S1", "arm64", "fresh-table", SAFE);
	expect_outcome("S1", "broadcast-norcu", "ipi-sync", UAF);
	expect_outcome("S2", "broadcast-norcu", "ipi-sync", UAF);
	expect_outcome("S1", "x86", "none", BLOCKED);
}

/* IPIs delivered despite the soft mask: the sync IPI no longer waits. */
Test(mutants, ipi_ignores_mask)
{
	mutant("ipi-ignores-mask");
	expect_outcome("S1", "arm64", "ipi-sync", UAF);
	expect_outcome("S2", "arm64", "ipi-sync", UAF);
}

/* Grace periods do not wait for IRQ-off sections: RCU frees under G. */
Test(mutants, gp_ignores_readers)
{
	mutant("gp-ignores-readers");
	expect_outcome("S1", "arm64", "fresh-table", UAF);
}

/* The sync IPI is real even without RCU table free. */
Test(mutants, sync_not_stubbed)
{
	mutant("sync-not-stubbed");
	expect_outcome("S1", "broadcast-norcu", "ipi-sync", BLOCKED);
	expect_outcome("S2", "broadcast-norcu", "ipi-sync", BLOCKED);
}

/* The x86 flush does not wait for acks. */
Test(mutants, flush_no_wait)
{
	mutant("flush-no-wait");
	expect_outcome("S1", "x86", "none", UAF);
}

/* One byte of the collapse's copy wrong: every collapsing cell says so. */
Test(mutants, copy_flips_byte)
{
	mutant("copy-flips-byte");
	expect_outcome("S1", "arm64", "ipi-sync", CORRUPTION);
	expect_outcome("S1", "arm64", "fresh-table", CORRUPTION);
	expect_outcome("S1", "x86", "none", CORRUPTION);
}
