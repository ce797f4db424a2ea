/*
 * check_ex5.c - exercise 5: an invariant of the student's own.
 *
 * Linked with the student's ex5-invariant.c (lab_ex5_invariant()).  The
 * checker registers "leaky", a strategy that deposits a fresh table and
 * never frees the old one: the oracle calls its runs SAFE.  With the
 * student's invariant:
 *   - the scripted S1 on arm64 with leaky is an INVARIANT finding (2);
 *   - DFS of S1 (at most one preemption) finds one (2), and replaying
 *     the schedule it reports finds it again (2);
 *   - no finding in DFS of S1 with none, ipi-sync and fresh-table, nor in
 *     the scripted S8 (mmu_gather) with fresh-table (1 each).
 */
#include "grade.h"
#include "lab.h"

static int leaky_prepare(thpsim_strategy_ctx_t *ctx)
{
	ctx->prealloc = thpsim_strategy_pte_alloc_one(ctx);
	return ctx->prealloc ? THPSIM_SCAN_SUCCEED : THPSIM_SCAN_FAIL;
}

static void leaky_dispose(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;		/* the bug: the old table is left to nobody */
}

static thpsim_pgtable_t leaky_deposit(thpsim_strategy_ctx_t *ctx)
{
	return ctx->prealloc;
}

static const struct thpsim_strategy_ops leaky = {
	.name = "leaky",
	.description = "deposits a fresh table and never frees the old one",
	.collapse_prepare = leaky_prepare,
	.collapse_dispose_old_table = leaky_dispose,
	.collapse_deposit_table = leaky_deposit,
};

static void config(thpsim_run_config_t *rc, const char *scenario, const char *fix)
{
	thpsim_run_config_init(rc);
	rc->scenario = scenario;
	rc->profile = "arm64";
	rc->fix = fix;
	rc->invariant = lab_ex5_invariant();
	thpsim_geometry_parse("2x4", &rc->geometry);
}

/* The scripted run: 1 when the invariant found something, 0 when not,
 * -1 when the run failed. */
static int scripted(const char *scenario, const char *fix)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	int err, found;

	config(&rc, scenario, fix);
	err = thpsim_scenario_run(&rc, &res);
	if (err) {
		printf("  %s with %s: the run failed: %s (%s)\n", scenario, fix,
		       thpsim_strerror(err), thpsim_errmsg());
		return -1;
	}
	found = res.verdict.found[THPSIM_OUTCOME_INVARIANT];
	/* What the built-in oracle alone says: its most severe class other
	 * than the invariant's. */
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		if (c == THPSIM_OUTCOME__NR - 1 ||
		    (c != THPSIM_OUTCOME_INVARIANT && res.verdict.found[c])) {
			printf("  %s with %s: the oracle's own outcome: %s\n", scenario, fix,
			       thpsim_outcome_name((thpsim_outcome_t)c));
			break;
		}
	if (found)
		printf("  %s with %s: %s\n", scenario, fix,
		       res.verdict.first[THPSIM_OUTCOME_INVARIANT].text);
	thpsim_run_result_fini(&res);
	return found;
}

/* DFS of S1 with at most one preemption: invariant findings, or -1.
 * *schedule gets the first one's schedule (malloc'd) when asked. */
static long long explore(const char *fix, char **schedule)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	long long n;
	int err;

	thpsim_explore_config_init(&ec);
	config(&ec.run, "S1", fix);
	ec.policy = THPSIM_POLICY_DFS;
	ec.preemptions = 1;
	ec.iterations = 0;
	err = thpsim_explore(&ec, &xr);
	if (err) {
		printf("  explore S1 with %s failed: %s (%s)\n", fix, thpsim_strerror(err),
		       thpsim_errmsg());
		return -1;
	}
	n = (long long)xr.counts[THPSIM_OUTCOME_INVARIANT];
	if (schedule && xr.found && xr.first_outcome == THPSIM_OUTCOME_INVARIANT &&
	    xr.first_schedule)
		*schedule = strdup(xr.first_schedule);
	thpsim_explore_result_fini(&xr);
	return n;
}

static int replay(const char *schedule)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	int err, found;

	config(&rc, "S1", "leaky");
	err = thpsim_replay(&rc, schedule, &res);
	if (err) {
		printf("  replay failed: %s (%s)\n", thpsim_strerror(err), thpsim_errmsg());
		return -1;
	}
	found = res.verdict.found[THPSIM_OUTCOME_INVARIANT];
	thpsim_run_result_fini(&res);
	return found;
}

int main(void)
{
	static const char *const sound[] = { "none", "ipi-sync", "fresh-table" };
	struct grade g = { "ex5", 0, 0 };
	char what[512], *schedule = NULL;
	long long n;
	int r;

	grade_begin();
	if (thpsim_strategy_register(&leaky)) {
		printf("  cannot register the leaky strategy: %s\n", thpsim_errmsg());
		return 3;
	}
	r = scripted("S1", "leaky");
	grade_item(&g, r == 1, 2, "the scripted S1 with the leaky strategy: the leak is found");
	n = explore("leaky", &schedule);
	snprintf(what, sizeof(what), "DFS of S1 with the leaky strategy: %lld schedules with a finding", n);
	grade_item(&g, n > 0 && schedule, 2, what);
	r = schedule ? replay(schedule) : -1;
	snprintf(what, sizeof(what), "replay of %s finds it again", schedule ? schedule : "(no schedule)");
	grade_item(&g, r == 1, 2, what);
	free(schedule);
	for (unsigned i = 0; i < 3; i++) {
		n = explore(sound[i], NULL);
		snprintf(what, sizeof(what), "DFS of S1 with %s: %lld schedules with a finding (want 0)",
			 sound[i], n);
		grade_item(&g, n == 0, 1, what);
	}
	r = scripted("S8", "fresh-table");
	grade_item(&g, r == 0, 1, "the scripted S8 with fresh-table: nothing found (want nothing)");
	return grade_done(&g);
}
