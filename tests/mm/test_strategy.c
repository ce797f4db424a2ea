/*
 * test_strategy.c - the strategy registry and the built-ins' effects:
 * the four built-ins in order; lookups; registration checks; a lab's own
 * strategy sees its hooks in order; fresh-table deposits another table
 * than the one that was live; ipi-sync sends one sync IPI per collapse on
 * arm64 and none on x86 (the stub); the placement knob moves it; collapse
 * works with every strategy on geometries 2x4 and 4x512; the kernel
 * configuration is checked.
 */
#include "thp_test.h"
#include <criterion/parameterized.h>

Test(strategy, registry_lists_the_builtins, .timeout = 30)
{
	static const char *const names[] = {
		"none", "ipi-sync", "fresh-table", "pte-free-defer",
		"ipi-sync-targeted", "skip-redundant-sync", "rcu-fallback",
	};

	cr_assert(thpsim_strategy_count() >= 7);
	for (unsigned i = 0; i < 7; i++) {
		const struct thpsim_strategy_ops *s = thpsim_strategy_at(i);

		cr_assert_str_eq(s->name, names[i]);
		cr_assert(s->description && *s->description);
		cr_assert_eq(thpsim_strategy_find(names[i]), s);
		/* Defaults are filled: every hook callable. */
		cr_assert(s->collapse_prepare && s->collapse_after_flush &&
			  s->collapse_after_isolate &&
			  s->collapse_dispose_old_table &&
			  s->collapse_deposit_table &&
			  s->collapse_after_deposit && s->collapse_finish &&
			  s->retract_clear_and_free);
	}
	cr_assert_null(thpsim_strategy_at(thpsim_strategy_count()));
	cr_assert_null(thpsim_strategy_find("ipi-sink"));
	check_contains(thpsim_errmsg(), "fresh-table");
}

static const char *const trace_want[] = {
	"prepare", "after_flush", "after_isolate", "dispose", "deposit",
	"after_deposit", "finish",
};
static const char *trace[16];
static unsigned nr_trace;

static int lab_prepare(thpsim_strategy_ctx_t *ctx)
{
	trace[nr_trace++] = "prepare";
	ctx->prealloc = thpsim_strategy_pte_alloc_one(ctx);
	return ctx->prealloc ? THPSIM_SCAN_SUCCEED : THPSIM_SCAN_FAIL;
}

static void lab_after_flush(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
	trace[nr_trace++] = "after_flush";
}

static void lab_after_isolate(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
	trace[nr_trace++] = "after_isolate";
}

static void lab_dispose(thpsim_strategy_ctx_t *ctx)
{
	trace[nr_trace++] = "dispose";
	thpsim_strategy_tlb_remove_table_sync_one(ctx);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
}

static thpsim_pgtable_t lab_deposit(thpsim_strategy_ctx_t *ctx)
{
	trace[nr_trace++] = "deposit";
	return ctx->prealloc;
}

static void lab_after_deposit(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
	trace[nr_trace++] = "after_deposit";
}

static void lab_finish(thpsim_strategy_ctx_t *ctx)
{
	trace[nr_trace++] = "finish";
	cr_assert_null(ctx->prealloc);	/* consumed by the deposit */
	check_eq(ctx->result, THPSIM_SCAN_SUCCEED);
}

static const struct thpsim_strategy_ops lab_ops = {
	.name = "lab-sync-fresh",
	.description = "a lab's strategy: fresh deposit, sync IPI, immediate free",
	.collapse_prepare = lab_prepare,
	.collapse_after_flush = lab_after_flush,
	.collapse_after_isolate = lab_after_isolate,
	.collapse_dispose_old_table = lab_dispose,
	.collapse_deposit_table = lab_deposit,
	.collapse_after_deposit = lab_after_deposit,
	.collapse_finish = lab_finish,
};

Test(strategy, registration_is_validated, .timeout = 30)
{
	struct thpsim_strategy_ops ops = lab_ops;

	ops.name = NULL;
	check_err(thpsim_strategy_register(&ops), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "missing name");
	ops.name = "Bad Name";
	check_err(thpsim_strategy_register(&ops), -THPSIM_EINVAL);
	ops.name = "no-description";
	ops.description = "";
	check_err(thpsim_strategy_register(&ops), -THPSIM_EINVAL);
	ops = lab_ops;
	ops.name = "leaky";
	ops.collapse_dispose_old_table = NULL;
	check_err(thpsim_strategy_register(&ops), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "leak");
	ops = lab_ops;
	ops.name = "ipi-sync";
	check_err(thpsim_strategy_register(&ops), -THPSIM_EEXIST);
	check_err(thpsim_strategy_register(NULL), -THPSIM_EINVAL);
	check_ok(thpsim_strategy_register(&lab_ops));
	check_err(thpsim_strategy_register(&lab_ops), -THPSIM_EEXIST);
	check_eq(thpsim_strategy_count(), 8);
	cr_assert_str_eq(thpsim_strategy_at(7)->name, "lab-sync-fresh");
}

/* A collapsed range at e->hpage; returns the table that was live. */
static uint64_t collapse_range(struct mm_env *e)
{
	uint64_t table;

	check_ok(thpsim_mm_mmap_anon(e->mm, e->hpage, e->hpage, NULL));
	thp_write_pattern(e, e->hpage, e->geo.entries);
	table = thp_walk(e, e->hpage).table_pfn[1];
	check_eq(thpsim_collapse_anon(e->mm, e->hpage), THPSIM_SCAN_SUCCEED);
	thp_check_pattern(e, e->hpage, e->geo.entries);
	return table;
}

/* The table deposited under the huge pmd at e->hpage. */
static uint64_t deposited(struct mm_env *e)
{
	pmd_t *pmdp = walk_to_pmd(e->mm, e->hpage, false);

	return page_to_pfn(virt_to_page(e->mm->phys, pmdp)->pmd_huge_pte);
}

Test(strategy, a_labs_strategy_runs_its_hooks_in_order, .timeout = 30)
{
	struct mm_env e;
	struct thp_events *ev;
	uint64_t table;

	check_ok(thpsim_strategy_register(&lab_ops));
	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "arm64", "lab-sync-fresh", NULL);
	ev = thp_events_start();
	table = collapse_range(&e);
	thp_events_stop(ev);
	check_eq(nr_trace, 7);
	for (unsigned i = 0; i < nr_trace; i++)
		cr_assert_str_eq(trace[i], trace_want[i]);
	cr_assert_neq(deposited(&e), table);
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_FREED);
	/* Supplied hooks are reported; "retract" was defaulted. */
	check_eq(thp_events_count(ev, THPSIM_EV_STRATEGY, NULL), 7);
	check_eq(thp_events_count(ev, THPSIM_EV_STRATEGY, "collapse_finish"), 1);
	free(ev);
	mm_env_teardown(&e);
}

Test(strategy, fresh_table_deposits_another_table, .timeout = 30)
{
	struct mm_env e;
	uint64_t table, gen;

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "arm64", "fresh-table", NULL);
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.hpage, NULL));
	thp_write_pattern(&e, e.hpage, 8);
	table = thp_walk(&e, e.hpage).table_pfn[1];
	gen = page_info(e.m, table).generation;
	check_eq(thpsim_collapse_anon(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
	cr_assert_neq(deposited(&e), table);
	check_eq(page_info(e.m, deposited(&e)).pt_state, THPSIM_PT_DEPOSITED);
	/* arm64: the old table waits for a grace period in the batch. */
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_DETACHED);
	check_eq(page_info(e.m, table).generation, gen);
	rcu_barrier();
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_FREED);
	/* x86: freed right after the flush. */
	thp_kconfig(&e, "x86", "fresh-table", NULL);
	check_ok(thpsim_mm_mmap_anon(e.mm, 2 * e.hpage, e.hpage, NULL));
	thp_write_pattern(&e, 2 * e.hpage, 8);
	table = thp_walk(&e, 2 * e.hpage).table_pfn[1];
	check_eq(thpsim_collapse_anon(e.mm, 2 * e.hpage), THPSIM_SCAN_SUCCEED);
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_FREED);
	mm_env_teardown(&e);
}

/* Sync IPIs sent by one collapse, with one other CPU online (not running
 * the mm, so TLB flushes IPI nobody). */
static uint64_t collapse_ipis(const char *profile, const char *strategy,
			      thpsim_ipi_placement_t placement)
{
	struct mm_env e;
	struct cpu_thread t;
	thpsim_kconfig_t kc;
	uint64_t sent;

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, profile, strategy, &kc);
	kc.knobs.ipi_placement = placement;
	check_ok(thpsim_mm_set_kconfig(e.mm, &kc));
	cpu_thread_start(&t, e.m, busy_body, NULL);
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.hpage, NULL));
	thp_write_pattern(&e, e.hpage, 8);
	sent = thp_ipi_sent(e.m);
	check_eq(thpsim_collapse_anon(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
	sent = thp_ipi_sent(e.m) - sent;
	cpu_thread_join(&t);
	mm_env_teardown(&e);
	return sent;
}

Test(strategy, ipi_sync_sends_one_sync_ipi_where_rcu_table_free, .timeout = 30)
{
	check_eq(collapse_ipis("arm64", "ipi-sync", THPSIM_IPI_AFTER_FLUSH), 1);
	check_eq(collapse_ipis("arm64", "ipi-sync", THPSIM_IPI_AFTER_ISOLATE), 1);
	check_eq(collapse_ipis("arm64", "ipi-sync", THPSIM_IPI_AFTER_DEPOSIT), 1);
	check_eq(collapse_ipis("x86-paravirt", "ipi-sync",
			       THPSIM_IPI_AFTER_FLUSH), 1);
	/* x86 native: tlb_remove_table_sync_one() is an empty stub. */
	check_eq(collapse_ipis("x86", "ipi-sync", THPSIM_IPI_AFTER_FLUSH), 0);
	check_eq(collapse_ipis("broadcast-norcu", "ipi-sync",
			       THPSIM_IPI_AFTER_FLUSH), 0);
	check_eq(collapse_ipis("arm64", "none", THPSIM_IPI_AFTER_FLUSH), 0);
	check_eq(collapse_ipis("arm64", "pte-free-defer",
			       THPSIM_IPI_AFTER_DEPOSIT), 1);
}

Test(strategy, placement_moves_the_sync, .timeout = 30)
{
	static const struct {
		thpsim_ipi_placement_t p;
		const char *after;	/* the event the sync follows */
	} cases[] = {
		{ THPSIM_IPI_AFTER_FLUSH, "collapse_after_flush" },
		{ THPSIM_IPI_AFTER_ISOLATE, "collapse_after_isolate" },
		{ THPSIM_IPI_AFTER_DEPOSIT, "collapse_after_deposit" },
	};

	for (unsigned c = 0; c < 3; c++) {
		struct mm_env e;
		struct cpu_thread t;
		struct thp_events *ev;
		thpsim_kconfig_t kc;
		const thpsim_event_t *send = NULL, *hook = NULL;

		mm_env_setup(&e, "2x4", 12, 32);
		thp_kconfig(&e, "arm64", "ipi-sync", &kc);
		kc.knobs.ipi_placement = cases[c].p;
		check_ok(thpsim_mm_set_kconfig(e.mm, &kc));
		cpu_thread_start(&t, e.m, busy_body, NULL);
		check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.hpage, NULL));
		thp_write_pattern(&e, e.hpage, 4);
		ev = thp_events_start();
		check_eq(thpsim_collapse_anon(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
		thp_events_stop(ev);
		for (size_t i = 0; i < ev->n; i++) {
			if (ev->ev[i].kind == THPSIM_EV_IPI_SEND && !send)
				send = &ev->ev[i];
			if (ev->ev[i].kind == THPSIM_EV_STRATEGY && !send &&
			    ev->ev[i].what && !strcmp(ev->ev[i].what, cases[c].after))
				hook = &ev->ev[i];
		}
		cr_assert_not_null(send, "%s: no sync IPI",
				   thpsim_ipi_placement_name(cases[c].p));
		cr_assert_not_null(hook, "%s: the IPI came before %s",
				   thpsim_ipi_placement_name(cases[c].p),
				   cases[c].after);
		free(ev);
		cpu_thread_join(&t);
		mm_env_teardown(&e);
	}
}

struct geo_case {
	char geo[8];
	size_t nr_frames;
	char strategy[16];
};

ParameterizedTestParameters(strategy, collapse_on_geometries)
{
	static struct geo_case cases[] = {
		{ "2x4", 32, "none" },	      { "2x4", 32, "ipi-sync" },
		{ "2x4", 32, "fresh-table" }, { "2x4", 32, "pte-free-defer" },
		{ "4x512", 2048, "none" },    { "4x512", 2048, "ipi-sync" },
		{ "4x512", 2048, "fresh-table" },
		{ "4x512", 2048, "pte-free-defer" },
	};

	return cr_make_param_array(struct geo_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct geo_case *gc, strategy, collapse_on_geometries,
		  .timeout = 60)
{
	struct mm_env e;
	thpsim_file_t *f;

	mm_env_setup(&e, gc->geo, 12, gc->nr_frames);
	thp_kconfig(&e, "ppc64-radix", gc->strategy, NULL);
	(void)collapse_range(&e);
	cr_assert(thp_walk(&e, e.hpage).huge);
	check_ok(thpsim_split_huge_pmd(e.mm, e.hpage));
	thp_check_pattern(&e, e.hpage, e.geo.entries);
	/* The file path too. */
	check_ok(thpsim_file_create(e.m, 2 * e.geo.entries, &f));
	check_ok(thpsim_mm_mmap_file(e.mm, f, e.geo.entries, 2 * e.hpage,
				     e.hpage));
	thp_write_pattern(&e, 2 * e.hpage, 2);
	check_eq(thpsim_collapse_file(e.mm, 2 * e.hpage), THPSIM_SCAN_SUCCEED);
	cr_assert(!thp_walk_present(&e, 2 * e.hpage));
	check_ok(thpsim_mm_fault(e.mm, 2 * e.hpage + e.page, false));
	thp_check_pattern(&e, 2 * e.hpage + e.page, 1);
	check_ok(thpsim_mm_destroy(e.mm));
	e.mm = NULL;
	check_ok(thpsim_file_destroy(f));
	rcu_barrier();
	mm_env_teardown(&e);
}

Test(strategy, kconfig_is_checked, .timeout = 30)
{
	struct mm_env e;
	thpsim_kconfig_t kc;
	struct thpsim_strategy_ops unregistered = lab_ops;
	thpsim_profile_t bad;
	thpsim_ipi_placement_t p;

	mm_env_setup(&e, "2x4", 12, 32);
	thpsim_kconfig_default(&kc);
	cr_assert_str_eq(kc.profile->name, "arm64");
	cr_assert_str_eq(kc.strategy->name, "none");
	cr_assert(kc.knobs.pmd_recheck);
	kc.profile = NULL;
	check_err(thpsim_mm_set_kconfig(e.mm, &kc), -THPSIM_EPROFILE);
	bad = *thpsim_profile_find("x86-kvm-pv");
	bad.rcu_table_free = false;
	kc.profile = &bad;
	check_err(thpsim_mm_set_kconfig(e.mm, &kc), -THPSIM_EPROFILE);
	kc.profile = thpsim_profile_find("x86");
	unregistered.name = "never-registered";
	kc.strategy = &unregistered;
	check_err(thpsim_mm_set_kconfig(e.mm, &kc), -THPSIM_ESTRATEGY);
	kc.strategy = thpsim_strategy_find("ipi-sync");
	kc.knobs.ipi_placement = THPSIM_IPI_PLACEMENT__NR;
	check_err(thpsim_mm_set_kconfig(e.mm, &kc), -THPSIM_EINVAL);
	check_ok(thpsim_ipi_placement_parse("after-deposit", &p));
	check_eq(p, THPSIM_IPI_AFTER_DEPOSIT);
	check_err(thpsim_ipi_placement_parse("after-lunch", &p), -THPSIM_EINVAL);
	cr_assert_str_eq(thpsim_ipi_placement_name(THPSIM_IPI_AFTER_ISOLATE),
			 "after-isolate");
	mm_env_teardown(&e);
}

/* Issue 11: 32 slots; a full registry says so; unregister frees a slot,
 * but not of a built-in nor of a strategy an mm still uses. */
Test(strategy, full_registry_and_unregister, .timeout = 30)
{
	static char names[40][16];
	struct thpsim_strategy_ops ops[40];
	unsigned base = thpsim_strategy_count(), n = 0;
	struct mm_env e;
	thpsim_kconfig_t kc;

	cr_assert_eq(base, 7);	/* the built-ins */
	for (;; n++) {
		int err;

		cr_assert_lt(n, 40, "the registry never filled");
		snprintf(names[n], sizeof(names[n]), "lab-%u", n);
		ops[n] = lab_ops;
		ops[n].name = names[n];
		err = thpsim_strategy_register(&ops[n]);
		if (err) {
			check_err(err, -THPSIM_ENOSPC);
			check_contains(thpsim_errmsg(), "registry is full (32");
			break;
		}
	}
	cr_assert_eq(base + n, 32);
	cr_assert_eq(thpsim_strategy_count(), 32);
	check_err(thpsim_strategy_unregister("none"), -THPSIM_EINVAL);
	check_err(thpsim_strategy_unregister("no-such"), -THPSIM_ENOENT);
	check_err(thpsim_strategy_unregister(NULL), -THPSIM_EINVAL);

	/* In use by a live mm: refused until the mm is destroyed. */
	mm_env_setup(&e, "2x4", 12, 32);
	thpsim_kconfig_default(&kc);
	kc.strategy = thpsim_strategy_find("lab-3");
	check_ok(thpsim_mm_set_kconfig(e.mm, &kc));
	check_err(thpsim_strategy_unregister("lab-3"), -THPSIM_EBUSY);
	kc.strategy = thpsim_strategy_find("none");
	check_ok(thpsim_mm_set_kconfig(e.mm, &kc));	/* released */
	kc.strategy = thpsim_strategy_find("lab-3");
	check_ok(thpsim_mm_set_kconfig(e.mm, &kc));
	mm_env_teardown(&e);				/* released */

	check_ok(thpsim_strategy_unregister("lab-3"));
	cr_assert_null(thpsim_strategy_find("lab-3"));
	cr_assert_eq(thpsim_strategy_count(), 31);
	check_ok(thpsim_strategy_register(&ops[n]));	/* reuses the slot */
	cr_assert_eq(thpsim_strategy_count(), 32);
	cr_assert_not_null(thpsim_strategy_find(names[n]));
	cr_assert_not_null(thpsim_strategy_find("lab-4"));
	check_err(thpsim_strategy_register(&ops[3]), -THPSIM_ENOSPC);
}
