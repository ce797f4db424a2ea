/*
 * test_bad_strategy.c - a student strategy that breaks a rule of the model
 * ends its own run, not the process (issue 11): thpsim_scenario_run()
 * returns -THPSIM_EMODEL with a message naming the hook and the rule, and
 * the next run in the same process computes its outcome as before.
 *
 *  - collapse_dispose_old_table frees the old table that the default
 *    collapse_deposit_table then deposits (a freed table deposited);
 *  - collapse_dispose_old_table frees it twice (put_page below zero,
 *    raised inside the hook);
 *  - collapse_deposit_table returns NULL;
 *  - retract_clear_and_free frees the table twice (S2, the file path);
 *  - exploration stops with the same error, and the next one works;
 *  - the scheduler itself: a BUG on a fiber and one on the scheduler's
 *    side (in a policy) both end the run with DET_BUG and a report;
 *  - thpsim_set_bug_handler(): a handler is told first; thpsim_bug_abort
 *    restores the abort.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "machine/detsched.h"
#include "machine/cpu.h"
#include "machine/lock.h"
#include "machine/sched.h"

static void free_old(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pte_free(ctx, ctx->old_table);
}

static void free_old_twice(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pte_free(ctx, ctx->old_table);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
}

static thpsim_pgtable_t deposit_null(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
	return NULL;
}

/* The file path: clear and flush, then free the table twice. */
static void retract_twice(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmdp_collapse_flush(ctx);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
}

static const struct thpsim_strategy_ops retract_double_free = {
	.name = "retract-double-free",
	.description = "frees the retracted table twice",
	.retract_clear_and_free = retract_twice,
};

static const struct thpsim_strategy_ops free_then_deposit = {
	.name = "free-then-deposit",
	.description = "frees the old table, then deposits it (default)",
	.collapse_dispose_old_table = free_old,
};

static const struct thpsim_strategy_ops double_free = {
	.name = "double-free",
	.description = "frees the old table twice",
	.collapse_dispose_old_table = free_old_twice,
};

static const struct thpsim_strategy_ops null_deposit = {
	.name = "null-deposit",
	.description = "deposits nothing",
	.collapse_dispose_old_table = free_old,
	.collapse_deposit_table = deposit_null,
};

static void contains(const char *s, const char *want)
{
	cr_assert(strstr(s, want), "'%s' not in '%s'", want, s);
}

static int run_sc(const char *sc, const char *fix, thpsim_run_result_t *res)
{
	thpsim_run_config_t rc;

	thpsim_run_config_init(&rc);
	rc.scenario = sc;
	rc.profile = "arm64";
	rc.fix = fix;
	cr_assert_eq(thpsim_geometry_parse("2x4", &rc.geometry), 0);
	return thpsim_scenario_run(&rc, res);
}

static int run_s1(const char *fix, thpsim_run_result_t *res)
{
	return run_sc("S1", fix, res);
}

/* The model still works: S1 on arm64 without a fix is a UAF (expected.h). */
static void good_run_follows(void)
{
	thpsim_run_result_t res;

	cr_assert_eq(run_s1("none", &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_UAF, "%s",
		     thpsim_outcome_name(res.verdict.outcome));
	thpsim_run_result_fini(&res);
	cr_assert_eq(run_s1("fresh-table", &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_SAFE, "%s",
		     thpsim_outcome_name(res.verdict.outcome));
	thpsim_run_result_fini(&res);
}

static void bad_run(const char *fix, const char *want1, const char *want2)
{
	thpsim_run_result_t res;

	for (int i = 0; i < 2; i++) {	/* twice: the first left no mess */
		cr_assert_eq(run_s1(fix, &res), -THPSIM_EMODEL, "%s: %s",
			     fix, thpsim_errmsg());
		contains(thpsim_errmsg(), want1);
		contains(thpsim_errmsg(), want2);
		thpsim_run_result_fini(&res);
	}
}

Test(bad_strategy, freed_table_deposited_ends_the_run, .timeout = 60)
{
	cr_assert_eq(thpsim_strategy_register(&free_then_deposit), 0);
	bad_run("free-then-deposit", "collapse_deposit_table",
		"already freed (did collapse_dispose_old_table free it?)");
	good_run_follows();
}

Test(bad_strategy, double_free_in_the_hook_names_it, .timeout = 60)
{
	cr_assert_eq(thpsim_strategy_register(&double_free), 0);
	bad_run("double-free",
		"in hook collapse_dispose_old_table of strategy 'double-free'",
		"refcount 0");
	good_run_follows();
}

Test(bad_strategy, null_deposit_ends_the_run, .timeout = 60)
{
	cr_assert_eq(thpsim_strategy_register(&null_deposit), 0);
	bad_run("null-deposit", "strategy 'null-deposit' returned NULL",
		"K (CPU 0)");
	good_run_follows();
}

Test(bad_strategy, retract_double_free_names_its_hook, .timeout = 60)
{
	thpsim_run_result_t res;

	cr_assert_eq(thpsim_strategy_register(&retract_double_free), 0);
	cr_assert_eq(run_sc("S2", "retract-double-free", &res),
		     -THPSIM_EMODEL, "%s", thpsim_errmsg());
	contains(thpsim_errmsg(),
		 "in hook retract_clear_and_free of strategy 'retract-double-free'");
	contains(thpsim_errmsg(), "refcount 0");
	thpsim_run_result_fini(&res);
	cr_assert_eq(run_sc("S2", "none", &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_UAF, "%s",
		     thpsim_outcome_name(res.verdict.outcome));
	thpsim_run_result_fini(&res);
	good_run_follows();
}

static int told;
static char told_msg[512];

static void tell(const char *msg, const char *file, int line)
{
	(void)file;
	(void)line;
	told++;
	snprintf(told_msg, sizeof(told_msg), "%s", msg);
}

Test(bad_strategy, a_bug_handler_is_told_first, .timeout = 60)
{
	thpsim_run_result_t res;

	cr_assert_eq(thpsim_strategy_register(&null_deposit), 0);
	thpsim_set_bug_handler(tell);
	cr_assert_eq(run_s1("null-deposit", &res), -THPSIM_EMODEL);
	cr_assert_eq(told, 1);
	contains(told_msg, "returned NULL");
	thpsim_set_bug_handler(NULL);
	good_run_follows();
	cr_assert_eq(told, 1);
}

Test(bad_strategy, bug_abort_restores_the_abort, .signal = SIGABRT,
     .timeout = 60)
{
	thpsim_run_result_t res;

	cr_assert_eq(thpsim_strategy_register(&null_deposit), 0);
	thpsim_set_bug_handler(thpsim_bug_abort);
	(void)run_s1("null-deposit", &res);
}

/* Exploration stops at the first broken run with the same error; a
 * following exploration of a correct strategy is not affected. */
Test(bad_strategy, explore_ends_with_the_error, .timeout = 120)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t res;

	cr_assert_eq(thpsim_strategy_register(&double_free), 0);
	thpsim_explore_config_init(&ec);
	ec.run.scenario = "S1";
	ec.run.profile = "arm64";
	ec.run.fix = "double-free";
	cr_assert_eq(thpsim_geometry_parse("2x4", &ec.run.geometry), 0);
	ec.iterations = 20;
	cr_assert_eq(thpsim_explore(&ec, &res), -THPSIM_EMODEL, "%s",
		     thpsim_errmsg());
	contains(thpsim_errmsg(), "collapse_dispose_old_table");
	thpsim_explore_result_fini(&res);

	ec.run.fix = "none";
	cr_assert_eq(thpsim_explore(&ec, &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(res.schedules, 20);
	{
		uint64_t judged = 0;

		for (int o = 0; o < THPSIM_OUTCOME__NR; o++)
			judged += res.counts[o];
		cr_assert_eq(judged, 20);	/* every schedule judged */
	}
	thpsim_explore_result_fini(&res);
}

/* ---- the scheduler alone ------------------------------------------- */

static int steps_seen;

static void bug_on_fiber(void *arg)
{
	(void)arg;
	steps_seen++;
	sched_point(GUP_AFTER_PMD_READ);
	steps_seen++;
	BUG_ON(steps_seen == 2);
	steps_seen = 100;	/* never reached */
}

static int first_runnable(void *st, const struct detsched *s,
			  struct det_decision *d)
{
	(void)st;
	for (int i = 0; i < s->nr_threads; i++) {
		if (s->threads[i].state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, i };
			return 0;
		}
	}
	return 1;
}

static int policy_bugs(void *st, const struct detsched *s,
		       struct det_decision *d)
{
	(void)st;
	(void)d;
	BUG_ON(s->step == 0);
	return 1;
}

static enum det_result run_once(const struct det_policy *p, char *report,
				size_t len)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m;
	struct detsched ds;
	struct det_footprint fp = { .n = 0 };
	enum det_result r;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 2;
	cr_assert_eq(thpsim_machine_create(&cfg, &m), 0);
	detsched_init(&ds, m, 1000);
	cr_assert_eq(detsched_spawn(&ds, "G", 1, bug_on_fiber, NULL), 0);
	/* With a footprint sink (as DPOR has), the run installs the access
	 * hook too: however the run ends, every hook must be put back. */
	detsched_set_footprint(&fp);
	r = detsched_run(&ds, p);
	detsched_set_footprint(NULL);
	snprintf(report, len, "%s", ds.report);
	cr_assert_null(detsched_current());
	cr_assert_null(this_cpu());
	cr_assert(thpsim__sched_access_hook == NULL, "access hook left installed");
	cr_assert(thpsim__sched_hook == NULL, "scheduling hook left installed");
	cr_assert(sched_is_free_running(), "deterministic backend left installed");
	detsched_fini(&ds);
	thpsim_machine_destroy(m);
	return r;
}

Test(bad_strategy, scheduler_survives_bugs_on_both_sides, .timeout = 60)
{
	struct det_policy on_fiber = { "first", first_runnable, NULL };
	struct det_policy on_sched = { "bugs", policy_bugs, NULL };
	char report[1024];

	cr_assert_eq(run_once(&on_fiber, report, sizeof(report)), DET_BUG);
	cr_assert_eq(steps_seen, 2);	/* abandoned at the BUG */
	contains(report, "G (CPU 1): BUG at ");
	contains(report, "BUG_ON(steps_seen == 2)");
	cr_assert_eq(run_once(&on_sched, report, sizeof(report)), DET_BUG);
	contains(report, "the scheduler: BUG at ");
	contains(report, "BUG_ON(s->step == 0)");
	good_run_follows();
}
