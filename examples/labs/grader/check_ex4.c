/*
 * check_ex4.c - exercise 4: a scenario that shows the stale pin.
 *
 * Linked with the student's ex4-scenario.c, which defines
 * lab_ex4_register() registering scenario "EX4" through the public
 * scenario API (thpsim/scenario_def.h).  The checker runs its script:
 *   - fix none, pmd recheck off, arm64 and ppc64-radix: STALE-PIN found
 *     (3 points each);
 *   - fix none, pmd recheck on, the same profiles: no violation, so the
 *     recheck is what stops it (2 points each);
 * and one point for registering.
 */
#include "grade.h"
#include "lab.h"

static const char *const profiles[] = { "arm64", "ppc64-radix" };

/* The scripted run of EX4; found[STALE_PIN] and the outcome, or -1. */
static int run_ex4(const char *profile, bool recheck, bool *stale)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	int err, outcome;

	thpsim_run_config_init(&rc);
	rc.scenario = "EX4";
	rc.profile = profile;
	rc.fix = "none";
	rc.knobs.pmd_recheck = recheck;
	thpsim_geometry_parse("2x4", &rc.geometry);
	err = thpsim_scenario_run(&rc, &res);
	if (err) {
		printf("  EX4 on %s: the run failed: %s (%s)\n", profile,
		       thpsim_strerror(err), thpsim_errmsg());
		return -1;
	}
	*stale = res.verdict.found[THPSIM_OUTCOME_STALE_PIN];
	outcome = (int)res.verdict.outcome;
	thpsim_run_result_fini(&res);
	return outcome;
}

int main(void)
{
	struct grade g = { "ex4", 0, 0 };
	char what[512];
	int err;

	grade_begin();
	err = lab_ex4_register();
	grade_item(&g, !err, 1, err ? thpsim_errmsg() : "registers scenario \"EX4\"");
	for (unsigned i = 0; i < 2; i++) {
		bool stale = false;
		int o = err ? -1 : run_ex4(profiles[i], false, &stale);

		snprintf(what, sizeof(what), "EX4 on %s, fix none, --no-pmd-recheck: %s%s",
			 profiles[i], o < 0 ? "no run" : thpsim_outcome_name((thpsim_outcome_t)o),
			 o >= 0 && !stale ? " (no stale pin)" : "");
		grade_item(&g, o >= 0 && stale, 3, what);
		o = err ? -1 : run_ex4(profiles[i], true, &stale);
		snprintf(what, sizeof(what), "EX4 on %s, fix none, pmd recheck on: %s",
			 profiles[i], o < 0 ? "no run" : thpsim_outcome_name((thpsim_outcome_t)o));
		grade_item(&g, o >= 0 && !thpsim_outcome_is_violation((thpsim_outcome_t)o), 2, what);
	}
	return grade_done(&g);
}
