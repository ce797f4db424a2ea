/*
 * check_ex2.c - exercise 2: write a fix strategy.
 *
 * Linked with the student's ex2-strategy.c, which defines
 * lab_ex2_register() registering a strategy named "student".  The
 * checker runs it through the scripted matrix (scenarios x profiles at
 * 2x4) and through bounded DFS of S1 and S2 (every schedule with at
 * most one preemption, arm64); a point per cell
 * that is not a violation, three per exploration that finds none.  A
 * strategy that breaks a model rule (a table freed twice, a NULL
 * deposit) loses the cells it breaks, with the rule named: the run ends
 * with -THPSIM_EMODEL, the checker goes on.
 */
#include "grade.h"

#include "lab.h"

static const char *const scenarios[] = { "S1", "S2", "S3", "S4", "S5", "S7", "S8" };
static const char *const profiles[] = { "arm64", "ppc64-radix", "x86-kvm-pv", "x86" };
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A strategy whose every hook is a built-in's is the built-in renamed. */
static bool is_builtin_copy(const struct thpsim_strategy_ops *s)
{
	for (unsigned i = 0; i < thpsim_strategy_count(); i++) {
		const struct thpsim_strategy_ops *b = thpsim_strategy_at(i);

		if (!b || b == s || !strcmp(b->name, "student") || !strcmp(b->name, "none"))
			continue;
		if (b->collapse_prepare == s->collapse_prepare &&
		    b->collapse_after_flush == s->collapse_after_flush &&
		    b->collapse_after_isolate == s->collapse_after_isolate &&
		    b->collapse_dispose_old_table == s->collapse_dispose_old_table &&
		    b->collapse_deposit_table == s->collapse_deposit_table &&
		    b->collapse_after_deposit == s->collapse_after_deposit &&
		    b->collapse_finish == s->collapse_finish &&
		    b->retract_clear_and_free == s->retract_clear_and_free)
			return true;
	}
	return false;
}

static bool explore_clean(const char *scenario, char *why, size_t len)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	int err;

	thpsim_explore_config_init(&ec);
	ec.run.scenario = scenario;
	ec.run.profile = "arm64";
	ec.run.fix = "student";
	thpsim_geometry_parse("2x4", &ec.run.geometry);
	ec.policy = THPSIM_POLICY_DFS;
	ec.preemptions = 1;
	ec.iterations = 0;		/* every schedule within the bound */
	err = thpsim_explore(&ec, &xr);
	if (err) {
		snprintf(why, len, "exploration failed: %s (%s)", thpsim_strerror(err),
			 thpsim_errmsg());
		return false;
	}
	if (xr.found)
		snprintf(why, len, "%llu of %llu schedules break it, first %s: %s",
			 (unsigned long long)xr.violations, (unsigned long long)xr.schedules,
			 thpsim_outcome_name(xr.first_outcome), xr.first_schedule);
	else
		snprintf(why, len, "%llu schedules, no violation", (unsigned long long)xr.schedules);
	err = xr.found;
	thpsim_explore_result_fini(&xr);
	return !err;
}

int main(void)
{
	struct grade g = { "ex2", 0, 0 };
	const struct thpsim_strategy_ops *s;
	char what[1536];
	int err;

	grade_begin();
	err = lab_ex2_register();
	s = err ? NULL : thpsim_strategy_find("student");
	grade_item(&g, s != NULL, 1, err ? thpsim_errmsg() : "registers strategy \"student\"");
	if (!s)
		return grade_done(&g);
	if (is_builtin_copy(s)) {
		grade_item(&g, false, 0, "the strategy's hooks are a built-in strategy's: write your own");
		return grade_done(&g);
	}
	for (unsigned i = 0; i < N(scenarios); i++)
		for (unsigned j = 0; j < N(profiles); j++) {
			int o = grade_run(scenarios[i], profiles[j], "student", NULL, NULL);

			snprintf(what, sizeof(what), "%s on %s: %s", scenarios[i], profiles[j],
				 o < 0 ? "run failed (see above)" : thpsim_outcome_name((thpsim_outcome_t)o));
			grade_item(&g, o >= 0 && !thpsim_outcome_is_violation((thpsim_outcome_t)o), 1, what);
		}
	for (unsigned i = 0; i < 2; i++) {
		char why[1024];
		bool ok = explore_clean(i ? "S2" : "S1", why, sizeof(why));

		snprintf(what, sizeof(what), "explore %s on arm64, every schedule with at most 1 preemption: %s",
			 i ? "S2" : "S1", why);
		grade_item(&g, ok, 3, what);
	}
	return grade_done(&g);
}
