/*
 * test_scenario_def.c - scenarios as data (thpsim/scenario_def.h): a
 * scenario defined through the public API only runs, explores and
 * replays like a catalogue one; registration refuses bad definitions
 * with an error naming the field; the scheduling points' names parse.
 *
 * LAB1 is S1 written by a lab with its own bodies (G pins through
 * thpsim_gup_fast, U unmaps through thpsim_mm_munmap): its outcomes are
 * computed by running it, and must be those of S1 run the same way.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "thpsim/thpsim.h"

static int lab_setup(thpsim_scenario_ctx_t *ctx)
{
	return thpsim_lab_populate_anon(ctx, ctx->A);
}

static void lab_gup(thpsim_scenario_ctx_t *ctx)
{
	uint64_t pfn;
	int n = thpsim_gup_fast(ctx->mm, ctx->walk_addr, 1, &pfn);

	thpsim_lab_note_pins(ctx, n, &pfn);
}

static void lab_munmap(thpsim_scenario_ctx_t *ctx)
{
	thpsim_lab_note_err(ctx, thpsim_mm_munmap(ctx->mm, ctx->A, ctx->hpage));
}

static const thpsim_script_step_t lab_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN('K'),
	THPSIM_RUN('U'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

static const thpsim_scenario_def_t lab1 = {
	.id = "LAB1",
	.title = "a lab's S1: collapse deposits the table, munmap frees it under a stalled walker",
	.setup = lab_setup,
	.threads = {
		{ 'G', "GUP-fast walker (lab)", lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'U', "user thread: munmap (lab)", lab_munmap, true },
	},
	.script = lab_script,
};

static void register_lab1(void)
{
	int err = thpsim_scenario_register(&lab1);

	cr_assert_eq(err, 0, "register LAB1: %d %s", err, thpsim_errmsg());
}

static thpsim_outcome_t run_outcome(const char *id, const char *profile,
				    const char *fix)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	thpsim_outcome_t o;
	int err;

	thpsim_run_config_init(&rc);
	rc.scenario = id;
	rc.profile = profile;
	rc.fix = fix;
	err = thpsim_scenario_run(&rc, &res);
	cr_assert_eq(err, 0, "%s %s %s: %d %s", id, profile, fix, err, thpsim_errmsg());
	o = res.verdict.outcome;
	thpsim_run_result_fini(&res);
	return o;
}

Test(scenario_def, lab_scenario_runs_like_s1, .init = register_lab1, .timeout = 60)
{
	thpsim_outcome_t none = run_outcome("LAB1", "arm64", "none");
	thpsim_outcome_t sync = run_outcome("LAB1", "x86", "ipi-sync");

	cr_expect_eq(none, THPSIM_OUTCOME_UAF, "LAB1 arm64 none: %s, want UAF",
		     thpsim_outcome_name(none));
	cr_expect_neq(sync, THPSIM_OUTCOME_UAF, "LAB1 x86 ipi-sync: UAF");
	cr_expect_eq(none, run_outcome("S1", "arm64", "none"));
	cr_expect_eq(sync, run_outcome("S1", "x86", "ipi-sync"));
	/* Case-insensitive like the catalogue. */
	cr_expect_eq(run_outcome("lab1", "arm64", "none"), none);
}

Test(scenario_def, lab_scenario_is_listed_after_the_catalogue, .init = register_lab1)
{
	unsigned n;
	const thpsim_scenario_info_t *s = thpsim_scenario_list(&n);
	const thpsim_scenario_info_t *f = thpsim_scenario_find("lab1");

	cr_assert(n >= 2);
	cr_expect_str_eq(s[n - 1].id, "LAB1");
	cr_expect_str_eq(s[0].id, "S1");
	cr_assert(f);
	cr_expect_str_eq(f->title, lab1.title);
	cr_expect(strstr(f->threads, "G: GUP-fast walker (lab)"), "%s", f->threads);
	cr_expect(thpsim_scenario_def_find("LAB1")->threads[2].fn == lab_munmap);
}

Test(scenario_def, explore_finds_the_race_and_replay_reproduces_it,
     .init = register_lab1, .timeout = 120)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t er, s1;
	thpsim_run_result_t res;
	int err;

	thpsim_explore_config_init(&ec);
	ec.run.scenario = "LAB1";
	ec.run.profile = "arm64";
	ec.run.fix = "none";
	cr_assert_eq(thpsim_geometry_parse("2x4", &ec.run.geometry), 0);
	ec.policy = THPSIM_POLICY_RANDOM;
	ec.iterations = 2000;
	err = thpsim_explore(&ec, &er);
	cr_assert_eq(err, 0, "explore: %s", thpsim_errmsg());
	cr_assert(er.found, "no violation in %llu schedules",
		  (unsigned long long)er.schedules);
	cr_assert(er.first_schedule);
	cr_expect(!strncmp(er.first_schedule, "v1.LAB1.", 8), "%s", er.first_schedule);
	cr_assert_eq(thpsim_schedule_check(&ec.run, er.first_schedule), 0, "%s",
		     thpsim_errmsg());
	err = thpsim_replay(&ec.run, er.first_schedule, &res);
	cr_assert_eq(err, 0, "replay %s: %s", er.first_schedule, thpsim_errmsg());
	cr_expect_eq(res.verdict.outcome, er.first_outcome, "replay gave %s, explore %s",
		     thpsim_outcome_name(res.verdict.outcome),
		     thpsim_outcome_name(er.first_outcome));
	thpsim_run_result_fini(&res);
	/* S1's schedule is not LAB1's; S1 explored the same way finds the
	 * same outcomes in the same schedules. */
	ec.run.scenario = "S1";
	cr_expect_neq(thpsim_schedule_check(&ec.run, er.first_schedule), 0);
	err = thpsim_explore(&ec, &s1);
	cr_assert_eq(err, 0, "explore S1: %s", thpsim_errmsg());
	for (int o = 0; o < THPSIM_OUTCOME__NR; o++)
		cr_expect_eq(er.counts[o], s1.counts[o], "%s: LAB1 %llu, S1 %llu",
			     thpsim_outcome_name((thpsim_outcome_t)o),
			     (unsigned long long)er.counts[o],
			     (unsigned long long)s1.counts[o]);
	cr_expect_eq(er.first_index, s1.first_index);
	thpsim_explore_result_fini(&s1);
	thpsim_explore_result_fini(&er);
}

Test(scenario_def, unregistered_scenario_is_unknown, .init = register_lab1)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;

	cr_assert_eq(thpsim_scenario_unregister("lab1"), 0, "%s", thpsim_errmsg());
	cr_expect_null(thpsim_scenario_find("LAB1"));
	cr_expect(strstr(thpsim_errmsg(), "unknown id 'LAB1'"), "%s", thpsim_errmsg());
	thpsim_run_config_init(&rc);
	rc.scenario = "LAB1";
	cr_expect_eq(thpsim_scenario_run(&rc, &res), -THPSIM_EINVAL);
	cr_expect_eq(thpsim_scenario_unregister("LAB1"), -THPSIM_ENOENT);
	/* The slot is free again. */
	cr_expect_eq(thpsim_scenario_register(&lab1), 0, "%s", thpsim_errmsg());
}

/* ---- registration errors ------------------------------------------------ */

static void refused(const thpsim_scenario_def_t *def, int want, const char *names)
{
	int err = thpsim_scenario_register(def);

	cr_expect_eq(err, want, "register: %d, want %d (%s)", err, want, thpsim_errmsg());
	cr_expect(strstr(thpsim_errmsg(), names), "message '%s' does not name '%s'",
		  thpsim_errmsg(), names);
}

Test(scenario_def, registration_errors_name_the_field)
{
	thpsim_scenario_def_t d = lab1;
	static const thpsim_script_step_t other_thread[] = {
		THPSIM_RUN('S'), THPSIM_SCRIPT_END,
	};
	static const thpsim_script_step_t bad_point[] = {
		{ THPSIM_STEP_RUN_UNTIL, 'G', THPSIM_SP_COUNT }, THPSIM_SCRIPT_END,
	};
	static const thpsim_script_step_t bad_op[] = {
		{ (thpsim_step_op_t)9, 'G', -1 }, THPSIM_SCRIPT_END,
	};
	thpsim_script_step_t endless[THPSIM_SCRIPT_STEPS_MAX + 1];

	refused(NULL, -THPSIM_EINVAL, "def is NULL");
	d.id = NULL;
	refused(&d, -THPSIM_EINVAL, "missing id");
	d.id = "LAB-1";
	refused(&d, -THPSIM_EINVAL, "'LAB-1' may hold only");
	d.id = "A_VERY_LONG_SCENARIO_ID";
	refused(&d, -THPSIM_EINVAL, "longer than 15");
	d.id = "s1";
	refused(&d, -THPSIM_EEXIST, "a catalogue id");
	d = lab1;
	d.title = "";
	refused(&d, -THPSIM_EINVAL, "missing title");
	d = lab1;
	d.setup = NULL;
	refused(&d, -THPSIM_EINVAL, "setup is NULL");
	d = lab1;
	d.threads[1].name = 'X';
	refused(&d, -THPSIM_EINVAL, "allowed: K, G, U, S, W, L");
	d.threads[1].name = 'G';
	refused(&d, -THPSIM_EINVAL, "two threads have letter 'G'");
	d = lab1;
	d.threads[1].fn = NULL;
	refused(&d, -THPSIM_EINVAL, "thread 'K' has no body");
	d = lab1;
	d.threads[2].role = NULL;
	refused(&d, -THPSIM_EINVAL, "thread 'U' has no role");
	d = lab1;
	memset(d.threads, 0, sizeof(d.threads));
	refused(&d, -THPSIM_EINVAL, "no threads");
	d = lab1;
	d.script = NULL;
	refused(&d, -THPSIM_EINVAL, "script is NULL");
	d.script = other_thread;
	refused(&d, -THPSIM_EINVAL, "step 1 names thread 0x53 (this scenario's threads: GKU)");
	d.script = bad_point;
	refused(&d, -THPSIM_EINVAL, "waits for point");
	d.script = bad_op;
	refused(&d, -THPSIM_EINVAL, "has op 9");
	for (int i = 0; i <= THPSIM_SCRIPT_STEPS_MAX; i++)
		endless[i] = (thpsim_script_step_t)THPSIM_RUN('G');
	d.script = endless;
	refused(&d, -THPSIM_EINVAL, "no THPSIM_SCRIPT_END within 64 steps");
	d = lab1;
	d.idle_cpus = THPSIM_IDLE_CPUS_MAX + 1;
	refused(&d, -THPSIM_EINVAL, "idle_cpus 17 out of range");
	/* None of them was registered. */
	cr_expect_null(thpsim_scenario_find("LAB1"));
	cr_expect_eq(thpsim_scenario_unregister(NULL), -THPSIM_EINVAL);
	cr_expect_eq(thpsim_scenario_unregister("S1"), -THPSIM_EINVAL);
	cr_expect(strstr(thpsim_errmsg(), "catalogue"), "%s", thpsim_errmsg());
}

Test(scenario_def, duplicate_and_full_registry)
{
	static char ids[THPSIM_SCENARIO_REGISTRY_MAX + 1][16];
	thpsim_scenario_def_t d = lab1;
	int err;

	register_lab1();
	refused(&lab1, -THPSIM_EEXIST, "registered before");
	cr_expect_eq(thpsim_scenario_unregister("LAB1"), 0);
	for (int i = 0; i < THPSIM_SCENARIO_REGISTRY_MAX; i++) {
		snprintf(ids[i], sizeof(ids[i]), "LAB_%d", i);
		d.id = ids[i];
		err = thpsim_scenario_register(&d);
		cr_assert_eq(err, 0, "register %s: %s", ids[i], thpsim_errmsg());
	}
	snprintf(ids[THPSIM_SCENARIO_REGISTRY_MAX], 16, "LAB_FULL");
	d.id = ids[THPSIM_SCENARIO_REGISTRY_MAX];
	refused(&d, -THPSIM_ENOSPC, "the registry is full");
	/* One unregistered in the middle: the others keep their ids. */
	cr_expect_eq(thpsim_scenario_unregister("LAB_3"), 0);
	cr_expect_eq(thpsim_scenario_register(&d), 0, "%s", thpsim_errmsg());
	cr_expect_str_eq(thpsim_scenario_find("LAB_4")->id, "LAB_4");
	cr_expect_str_eq(thpsim_scenario_find("LAB_FULL")->id, "LAB_FULL");
}

/* ---- scheduling points ---------------------------------------------------- */

Test(scenario_def, sched_points_name_and_parse)
{
	char lower[64];

	cr_expect_eq(THPSIM_SP_COUNT, THPSIM_SP__NR);
	for (int p = 0; p < THPSIM_SP_COUNT; p++) {
		const char *name = thpsim_sched_point_name(p);

		cr_expect_eq(thpsim_sched_point_parse(name), p, "%s", name);
		snprintf(lower, sizeof(lower), "%s", name);
		for (char *c = lower; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		cr_expect_eq(thpsim_sched_point_parse(lower), p, "%s", lower);
	}
	cr_expect_eq(thpsim_sched_point_parse("GUP_AFTER_PMD_READ"), THPSIM_SP_GUP_AFTER_PMD_READ);
	cr_expect_eq(thpsim_sched_point_parse("thpsim_sp_table_free"), THPSIM_SP_TABLE_FREE);
	cr_expect_eq(thpsim_sched_point_parse("NO_SUCH_POINT"), -1);
	cr_expect(strstr(thpsim_errmsg(), "'NO_SUCH_POINT'"), "%s", thpsim_errmsg());
	cr_expect_eq(thpsim_sched_point_parse(NULL), -1);
	cr_expect_eq(thpsim_sched_point_parse(""), -1);
	cr_expect_str_eq(thpsim_sched_point_name(THPSIM_SP_COUNT), "?");
}

/* ---- building blocks outside a run ------------------------------------------ */

Test(scenario_def, building_blocks_without_a_run_refuse)
{
	thpsim_scenario_ctx_t empty = { 0 };
	thpsim_scenario_ctx_t *ctxs[] = { NULL, &empty };
	void (*const bodies[])(thpsim_scenario_ctx_t *) = {
		thpsim_lab_gup, thpsim_lab_rcu_walk, thpsim_lab_collapse_A,
		thpsim_lab_collapse_file_A, thpsim_lab_munmap_A,
		thpsim_lab_dontneed_A, thpsim_lab_uffd_copy, thpsim_lab_split_A,
		thpsim_lab_split_B, thpsim_lab_lock_page_A,
		thpsim_lab_fail_batch_alloc,
	};
	uint64_t pfn = 1;

	for (int c = 0; c < 2; c++) {
		thpsim_scenario_ctx_t *ctx = ctxs[c];

		cr_expect_eq(thpsim_lab_populate_anon(ctx, 0), -THPSIM_EINVAL);
		cr_expect(strstr(thpsim_errmsg(), "thpsim_lab_populate_anon"), "%s",
			  thpsim_errmsg());
		cr_expect_eq(thpsim_lab_populate_file(ctx, 0), -THPSIM_EINVAL);
		cr_expect_eq(thpsim_lab_populate_file_private(ctx, 0), -THPSIM_EINVAL);
		cr_expect_eq(thpsim_lab_collapse_now(ctx, 0), -THPSIM_EINVAL);
		cr_expect_eq(thpsim_lab_setup_anon_A(ctx), -THPSIM_EINVAL);
		cr_expect_eq(thpsim_lab_setup_file_A(ctx), -THPSIM_EINVAL);
		cr_expect_eq(thpsim_lab_setup_file_private_A(ctx), -THPSIM_EINVAL);
		for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++)
			bodies[b](ctx);
		thpsim_lab_note_err(ctx, -THPSIM_EBUSY);
		thpsim_lab_note_pins(ctx, 1, &pfn);
		thpsim_lab_note_pins(ctx, 1, NULL);
	}
	cr_expect_eq(empty.err, -THPSIM_EBUSY);
	cr_expect_eq(empty.nr_pinned, 1);
	cr_expect_eq(empty.pinned[0], 1);
}
