/*
 * test_scenarios.c - the theory: every cell KERNEL-NOTES.md section 8
 * states (expected.h), at two geometries, compared with the outcome the
 * model computes by running the scenario.  One Criterion process per cell.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "thpsim/scenario.h"
#include "expected.h"

struct cell {
	char scenario[8];
	char knobs[32];
	char fix[24];
	char profile[24];
	char geometry[8];
	char expect[48];
};

static const char *const geometries[] = { "2x4", "4x512" };

#define NR_GEOMETRIES 2

ParameterizedTestParameters(scenarios, kernel_notes_cells)
{
	static struct cell cells[NR_EXPECTED_ROWS * NR_PROFILES * NR_GEOMETRIES];
	size_t n = 0;

	for (size_t r = 0; r < NR_EXPECTED_ROWS; r++)
	for (int p = 0; p < NR_PROFILES; p++)
	for (int g = 0; g < NR_GEOMETRIES; g++) {
		const struct expected_row *row = &expected_rows[r];
		struct cell *c = &cells[n];

		if (!row->cell[p])
			continue;
		snprintf(c->scenario, sizeof(c->scenario), "%s", row->scenario);
		snprintf(c->knobs, sizeof(c->knobs), "%s", row->knobs);
		snprintf(c->fix, sizeof(c->fix), "%s", row->fix);
		snprintf(c->profile, sizeof(c->profile), "%s", expected_profiles[p]);
		snprintf(c->geometry, sizeof(c->geometry), "%s", geometries[g]);
		snprintf(c->expect, sizeof(c->expect), "%s", row->cell[p]);
		n++;
	}
	return cr_make_param_array(struct cell, cells, n);
}

static bool accepted(const char *set, const char *name)
{
	char buf[48], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", set);
	for (char *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
		if (!strcmp(t, name))
			return true;
	return false;
}

static void apply_knobs(const char *knobs, thpsim_knobs_t *k)
{
	if (!strcmp(knobs, "no-pmd-recheck"))
		k->pmd_recheck = false;
	else if (!strcmp(knobs, "no-retract-recheck"))
		k->retract_recheck = false;
	else if (!strcmp(knobs, "radix-garbage-passes"))
		k->radix_garbage_passes = true;
	else if (!strcmp(knobs, "fail-table-batch"))
		k->fail_table_batch = true;
	else
		cr_assert_str_empty(knobs, "unknown knob set '%s'", knobs);
}

ParameterizedTest(struct cell *c, scenarios, kernel_notes_cells, .timeout = 60)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	const char *got;
	int err;

	thpsim_run_config_init(&rc);
	rc.scenario = c->scenario;
	rc.profile = c->profile;
	rc.fix = c->fix;
	cr_assert_eq(thpsim_geometry_parse(c->geometry, &rc.geometry), 0);
	apply_knobs(c->knobs, &rc.knobs);
	err = thpsim_scenario_run(&rc, &res);
	cr_assert_eq(err, 0, "%s %s %s %s: run failed: %s", c->scenario,
		     c->profile, c->fix, c->geometry, thpsim_errmsg());
	got = thpsim_outcome_name(res.verdict.outcome);
	cr_expect(accepted(c->expect, got),
		  "%s on %s, fix %s, knobs '%s', geometry %s: computed %s, KERNEL-NOTES says %s\n%s",
		  c->scenario, c->profile, c->fix, c->knobs, c->geometry, got,
		  c->expect, res.verdict_text ? res.verdict_text : "");
	thpsim_run_result_fini(&res);
}
