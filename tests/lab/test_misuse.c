/*
 * test_misuse.c - the public entry points of errors.h and the machine,
 * arch and mm headers against misuse: NULL pointers, out-of-range values,
 * calls from a thread that is not a CPU, double frees of what the library
 * tracks, each case in a child process (misuse.h).  The lab headers are
 * in test_misuse_lab.c.  The misuse that is a BUG by design (an abort with file and line) is
 * listed in docs/errors.md and tested at the end: it must abort, not
 * corrupt.
 */
#include "misuse.h"

/* ---- errors.h ----------------------------------------------------------- */

static int err_name_int_min(void) { return is_str(thpsim_err_name(INT_MIN)); }
static int err_name_int_max(void) { return is_str(thpsim_err_name(INT_MAX)); }
static int strerror_int_min(void) { return is_str(thpsim_strerror(INT_MIN)); }
static int strerror_pos(void) { return is_str(thpsim_strerror(12345)); }

Test(misuse, errors)
{
	static const struct mcase cs[] = {
		{ "thpsim_err_name(INT_MIN)", err_name_int_min, 0 },
		{ "thpsim_err_name(INT_MAX)", err_name_int_max, 0 },
		{ "thpsim_strerror(INT_MIN)", strerror_int_min, 0 },
		{ "thpsim_strerror(12345)", strerror_pos, 0 },
	};
	RUN(cs);
}

/* ---- names and parsers of every header ---------------------------------- */

static int names_out_of_range(void)
{
	const char *s[] = {
		thpsim_tlb_flush_kind_name((thpsim_tlb_flush_kind_t)-1),
		thpsim_tlb_flush_kind_name((thpsim_tlb_flush_kind_t)INT_MAX),
		thpsim_event_kind_name((enum thpsim_event_kind)-1),
		thpsim_event_kind_name((enum thpsim_event_kind)INT_MAX),
		thpsim_policy_name((thpsim_policy_t)-1),
		thpsim_outcome_name((thpsim_outcome_t)-1),
		thpsim_outcome_name((thpsim_outcome_t)INT_MAX),
		thpsim_outcome_doc((thpsim_outcome_t)-1),
		thpsim_sched_point_name(-1),
		thpsim_sched_point_name(INT_MAX),
		thpsim_scan_result_name(-1),
		thpsim_scan_result_name(INT_MAX),
		thpsim_scan_result_doc(INT_MIN),
		thpsim_page_kind_name((thpsim_page_kind_t)-1),
		thpsim_pt_state_name((thpsim_pt_state_t)INT_MAX),
		thpsim_ipi_placement_name((thpsim_ipi_placement_t)-1),
	};
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (!s[i])
			return -1;
	return thpsim_outcome_is_violation((thpsim_outcome_t)-1) ? -1 : 0;
}

static int profile_find_null(void) { return thpsim_profile_find(NULL) ? -1 : 0; }
static int profile_validate_null(void) { return thpsim_profile_validate(NULL); }
static int policy_parse_null(void) { return thpsim_policy_parse(NULL) == -1 ? 0 : -1; }
static int outcome_parse_null(void) { return thpsim_outcome_parse(NULL) == -1 ? 0 : -1; }
static int verdict_print_null(void) { return thpsim_verdict_print(NULL, stdout) < 0 ? 0 : -1; }

static int verdict_print_null_file(void)
{
	thpsim_verdict_t v = { .outcome = THPSIM_OUTCOME_SAFE };

	return thpsim_verdict_print(&v, NULL) < 0 ? 0 : -1;
}

static int verdict_print_bad_outcome(void)
{
	thpsim_verdict_t v = { .outcome = (thpsim_outcome_t)INT_MAX };

	return thpsim_verdict_print(&v, stdout) < 0 ? 0 : -1;
}

static int placement_parse_null(void)
{
	thpsim_ipi_placement_t p;

	return thpsim_ipi_placement_parse(NULL, &p) +
	       (thpsim_ipi_placement_parse("after-flush", NULL) < 0 ? 0 : 1);
}

static int scenario_find_null(void) { return thpsim_scenario_find(NULL) ? -1 : 0; }
static int scenario_list_null(void) { return thpsim_scenario_list(NULL) ? 0 : -1; }
static int strategy_find_null(void) { return thpsim_strategy_find(NULL) ? -1 : 0; }
static int strategy_at_far(void) { return thpsim_strategy_at(UINT_MAX) ? -1 : 0; }
static int strategy_register_null(void) { return thpsim_strategy_register(NULL); }

static int strategy_register_unnamed(void)
{
	static const struct thpsim_strategy_ops ops = { 0 };

	return thpsim_strategy_register(&ops);
}

static int strategy_register_bad_fallback(void)
{
	struct thpsim_strategy_ops ops = { .name = "bad-fallback",
					   .description = "out of its enum" };

	ops.table_fallback = (thpsim_table_fallback_t)7;
	return thpsim_strategy_register(&ops);
}

Test(misuse, names_and_parsers)
{
	static const struct mcase cs[] = {
		{ "*_name/doc out of range", names_out_of_range, 0 },
		{ "thpsim_profile_find(NULL)", profile_find_null, 0 },
		{ "thpsim_profile_validate(NULL)", profile_validate_null, E(EPROFILE) },
		{ "thpsim_policy_parse(NULL)", policy_parse_null, 0 },
		{ "thpsim_outcome_parse(NULL)", outcome_parse_null, 0 },
		{ "thpsim_verdict_print(NULL, f)", verdict_print_null, 0 },
		{ "thpsim_verdict_print(v, NULL)", verdict_print_null_file, 0 },
		{ "thpsim_verdict_print(bad outcome)", verdict_print_bad_outcome, RETURNS },
		{ "thpsim_ipi_placement_parse(NULL)", placement_parse_null, E(EINVAL) },
		{ "thpsim_scenario_find(NULL)", scenario_find_null, 0 },
		{ "thpsim_scenario_list(NULL)", scenario_list_null, 0 },
		{ "thpsim_strategy_find(NULL)", strategy_find_null, 0 },
		{ "thpsim_strategy_at(UINT_MAX)", strategy_at_far, 0 },
		{ "thpsim_strategy_register(NULL)", strategy_register_null, E(EINVAL) },
		{ "thpsim_strategy_register(no name)", strategy_register_unnamed, E(EINVAL) },
		{ "thpsim_strategy_register(table_fallback 7)", strategy_register_bad_fallback, E(EINVAL) },
	};
	RUN(cs);
}

/* ---- geometry ------------------------------------------------------------ */

static int geometry_parse_null(void) { thpsim_geometry_t g; return thpsim_geometry_parse(NULL, &g); }
static int geometry_parse_null_out(void) { return thpsim_geometry_parse("2x4", NULL); }
static int geometry_validate_null(void) { return thpsim_geometry_validate(NULL); }

static int geometry_queries_null(void)
{
	thpsim_geometry_default(NULL);
	return (int)thpsim_geometry_level_shift(NULL, 1) +
	       (int)thpsim_geometry_hpage_size(NULL) +
	       (int)thpsim_geometry_va_size(NULL);
}

static int geometry_level_far(void)
{
	thpsim_geometry_t g;

	thpsim_geometry_default(&g);
	return (int)thpsim_geometry_level_shift(&g, UINT_MAX);
}

Test(misuse, geometry)
{
	static const struct mcase cs[] = {
		{ "thpsim_geometry_parse(NULL, g)", geometry_parse_null, E(EINVAL) },
		{ "thpsim_geometry_parse(s, NULL)", geometry_parse_null_out, E(EINVAL) },
		{ "thpsim_geometry_validate(NULL)", geometry_validate_null, E(EINVAL) },
		{ "thpsim_geometry_*(NULL)", geometry_queries_null, 0 },
		{ "thpsim_geometry_level_shift(g, UINT_MAX)", geometry_level_far, 0 },
	};
	RUN(cs);
}

/* ---- machine --------------------------------------------------------------- */

static int machine_create_null(void) { thpsim_machine_t *m; return thpsim_machine_create(NULL, &m); }

static int machine_create_null_out(void)
{
	thpsim_machine_config_t mc;

	thpsim_machine_config_init(&mc);
	return thpsim_machine_create(&mc, NULL);
}

static int machine_nulls(void)
{
	thpsim_cpumask_t mask;
	thpsim_machine_stats_t st;

	thpsim_machine_config_init(NULL);
	thpsim_machine_destroy(NULL);
	thpsim_cpu_online_mask(NULL, &mask);
	thpsim_cpu_set_preempted(NULL, 0, true);
	thpsim_machine_set_watchdog(NULL, 1, NULL, NULL);
	thpsim_machine_stats(NULL, &st);
	thpsim_sched_set_hook(NULL, NULL);
	thpsim_cpu_idle_enter();
	thpsim_cpu_idle_exit();
	if (thpsim_machine_config(NULL) || thpsim_cpu_is_idle(NULL, 0) ||
	    thpsim_cpu_is_preempted(NULL, 0) ||
	    thpsim_machine_last_watchdog(NULL, NULL) || thpsim_irqs_disabled())
		return -1;
	return thpsim_cpu_id() == -1 ? 0 : -1;
}

static int machine_null_outs(void)
{
	env();
	thpsim_cpu_online_mask(M, NULL);
	thpsim_machine_stats(M, NULL);
	return thpsim_machine_last_watchdog(M, NULL) ? -1 : 0;
}

static int cpu_register_null(void) { return thpsim_cpu_register(NULL, NULL); }
static int cpu_unregister_none(void) { return thpsim_cpu_unregister(); }

static int cpu_register_twice(void)
{
	env();
	return thpsim_cpu_register(M, NULL);
}

static int cpu_far(void)
{
	env();
	thpsim_cpu_set_preempted(M, INT_MAX, true);
	thpsim_cpu_set_preempted(M, -1, true);
	return thpsim_cpu_is_idle(M, INT_MIN) || thpsim_cpu_is_preempted(M, 99);
}

static void noop(void *info) { (void)info; }

static int smp_null_machine(void) { return thpsim_smp_call_function(NULL, noop, NULL, true); }
static int smp_many_null_machine(void) { return thpsim_smp_call_function_many(NULL, NULL, noop, NULL, true); }
static int smp_single_null_machine(void) { return thpsim_smp_call_function_single(NULL, 0, noop, NULL, true); }
static int ipi_sync_null(void) { return thpsim_ipi_sync(NULL, NULL); }
static int smp_null_fn(void) { env(); return thpsim_smp_call_function(M, NULL, NULL, true); }
static int smp_many_null_mask(void) { env(); return thpsim_smp_call_function_many(M, NULL, noop, NULL, true); }
static int smp_single_far(void) { env(); return thpsim_smp_call_function_single(M, INT_MAX, noop, NULL, true); }
static int smp_single_neg(void) { env(); return thpsim_smp_call_function_single(M, -1, noop, NULL, true); }
static int rcu_barrier_null(void) { return thpsim_machine_rcu_barrier(NULL); }
static int ipi_selftest_null(void) { thpsim_ipi_selftest_t t; return thpsim_ipi_selftest(NULL, 1, &t); }
static int ipi_selftest_null_out(void) { env(); return thpsim_ipi_selftest(M, 1, NULL); }

static int smp_not_cpu(void)
{
	thpsim_machine_config_t mc;
	thpsim_machine_t *m;

	thpsim_machine_config_init(&mc);
	if (thpsim_machine_create(&mc, &m))
		return 1;
	return thpsim_smp_call_function(m, noop, NULL, true);
}

Test(misuse, machine)
{
	static const struct mcase cs[] = {
		{ "thpsim_machine_create(NULL, m): defaults", machine_create_null, 0 },
		{ "thpsim_machine_create(c, NULL)", machine_create_null_out, E(EINVAL) },
		{ "machine queries on NULL", machine_nulls, 0 },
		{ "machine queries with NULL out", machine_null_outs, 0 },
		{ "thpsim_cpu_register(NULL)", cpu_register_null, E(EINVAL) },
		{ "thpsim_cpu_unregister() not a CPU", cpu_unregister_none, E(ENOTCPU) },
		{ "thpsim_cpu_register twice", cpu_register_twice, E(EBUSY) },
		{ "cpu ids out of range", cpu_far, 0 },
		{ "thpsim_smp_call_function(NULL)", smp_null_machine, E(EINVAL) },
		{ "thpsim_smp_call_function_many(NULL)", smp_many_null_machine, E(EINVAL) },
		{ "thpsim_smp_call_function_single(NULL)", smp_single_null_machine, E(EINVAL) },
		{ "thpsim_ipi_sync(NULL)", ipi_sync_null, E(EINVAL) },
		{ "thpsim_smp_call_function(m, NULL fn): the sync IPI", smp_null_fn, 0 },
		{ "thpsim_smp_call_function_many(m, NULL mask)", smp_many_null_mask, E(EINVAL) },
		{ "thpsim_smp_call_function_single(m, INT_MAX)", smp_single_far, E(EINVAL) },
		{ "thpsim_smp_call_function_single(m, -1)", smp_single_neg, E(EINVAL) },
		{ "thpsim_smp_call_function from no CPU", smp_not_cpu, E(ENOTCPU) },
		{ "thpsim_machine_rcu_barrier(NULL)", rcu_barrier_null, E(EINVAL) },
		{ "thpsim_ipi_selftest(NULL)", ipi_selftest_null, ANY_ERROR },
		{ "thpsim_ipi_selftest(m, 1, NULL)", ipi_selftest_null_out, ANY_ERROR },
	};
	RUN(cs);
}

/* A thread that exits still registered gives its CPU slot back. */
static void *register_and_exit(void *arg)
{
	(void)thpsim_cpu_register(arg, NULL);
	return NULL;
}

static int exited_thread_frees_its_slot(void)
{
	thpsim_machine_config_t mc;
	thpsim_machine_t *m;
	pthread_t th;
	int id = -1, err;

	thpsim_machine_config_init(&mc);
	mc.nr_cpus = 1;
	if (thpsim_machine_create(&mc, &m))
		return 1;
	for (int i = 0; i < 3; i++) {
		pthread_create(&th, NULL, register_and_exit, m);
		pthread_join(th, NULL);
	}
	err = thpsim_cpu_register(m, &id);	/* the one slot is free again */
	if (!err)
		err = thpsim_cpu_unregister();
	thpsim_machine_destroy(m);	/* no registered CPU left: no BUG */
	return err;
}

Test(misuse, exited_thread_frees_its_cpu_slot)
{
	static const struct mcase cs[] = {
		{ "register, exit; register again", exited_thread_frees_its_slot, 0 },
	};
	RUN(cs);
}

/* ---- phys ------------------------------------------------------------------ */

static int page_info_null(void) { thpsim_page_info_t i; return thpsim_page_info(NULL, 0, &i); }
static int page_info_null_out(void) { env(); return thpsim_page_info(M, 0, NULL); }
static int page_info_far(void) { thpsim_page_info_t i; env(); return thpsim_page_info(M, UINT64_MAX, &i); }
static int phys_read_null(void) { char b[8]; return thpsim_phys_read(NULL, 0, 0, b, 8); }
static int phys_read_null_buf(void) { env(); return thpsim_phys_read(M, 0, 0, NULL, 8); }
static int phys_read_far(void) { char b[8]; env(); return thpsim_phys_read(M, 0, SIZE_MAX - 2, b, 8); }
static int inject_null(void) { return thpsim_phys_inject_failure(NULL, THPSIM_ALLOC_DATA, 0, 1); }
static int inject_bad_kind(void) { env(); return thpsim_phys_inject_failure(M, (thpsim_alloc_kind_t)99, 0, 1); }

static int phys_voids_null(void)
{
	thpsim_phys_stats_t st;

	thpsim_phys_set_observer(NULL, NULL, NULL);
	thpsim_phys_stats(NULL, &st);
	env();
	thpsim_phys_stats(M, NULL);
	return 0;
}

Test(misuse, phys)
{
	static const struct mcase cs[] = {
		{ "thpsim_page_info(NULL)", page_info_null, E(EINVAL) },
		{ "thpsim_page_info(m, 0, NULL)", page_info_null_out, E(EINVAL) },
		{ "thpsim_page_info(m, UINT64_MAX)", page_info_far, E(EINVAL) },
		{ "thpsim_phys_read(NULL)", phys_read_null, E(EINVAL) },
		{ "thpsim_phys_read(m, NULL buf)", phys_read_null_buf, E(EINVAL) },
		{ "thpsim_phys_read(m, off SIZE_MAX)", phys_read_far, E(EINVAL) },
		{ "thpsim_phys_inject_failure(NULL)", inject_null, E(EINVAL) },
		{ "thpsim_phys_inject_failure(bad kind)", inject_bad_kind, E(EINVAL) },
		{ "phys void calls on NULL", phys_voids_null, 0 },
	};
	RUN(cs);
}

/* ---- mm ------------------------------------------------------------------ */

static int mm_create_null(void) { thpsim_mm_t *mm; return thpsim_mm_create(NULL, NULL, &mm); }
static int mm_create_null_out(void) { env(); return thpsim_mm_create(M, NULL, NULL); }
static int mm_destroy_null(void) { return thpsim_mm_destroy(NULL); }
static int file_create_null(void) { thpsim_file_t *f; return thpsim_file_create(NULL, 4, &f); }
static int file_create_null_out(void) { env(); return thpsim_file_create(M, 4, NULL); }
static int file_create_huge(void) { thpsim_file_t *f; env(); return thpsim_file_create(M, UINT64_MAX, &f); }
static int file_destroy_null(void) { return thpsim_file_destroy(NULL); }
static int file_pfn_null(void) { uint64_t p; return thpsim_file_page_pfn(NULL, 0, &p); }
static int mmap_anon_null(void) { env(); return thpsim_mm_mmap_anon(NULL, 0, 4096, NULL); }
static int mmap_file_null(void) { env(); return thpsim_mm_mmap_file(MM, NULL, 0, 0, 4096); }
static int mmap_anon_wrap(void) { env(); return thpsim_mm_mmap_anon(MM, UINT64_MAX - 4095, 8192, NULL); }
static int munmap_null(void) { env(); return thpsim_mm_munmap(NULL, 0, 4096); }
static int madvise_null(void) { env(); return thpsim_mm_madvise_dontneed(NULL, 0, 4096); }
static int fault_null(void) { env(); return thpsim_mm_fault(NULL, 0, true); }
static int write_null(void) { char b[4] = { 0 }; env(); return thpsim_mm_write(NULL, 0, b, 4); }
static int write_null_buf(void) { env(); return thpsim_mm_write(MM, 0, NULL, 4); }
static int read_null(void) { char b[4]; env(); return thpsim_mm_read(NULL, 0, b, 4); }
static int read_null_buf(void) { env(); return thpsim_mm_read(MM, 0, NULL, 4); }
static int walk_null(void) { thpsim_walk_t w; env(); return thpsim_mm_walk(NULL, 0, &w); }
static int walk_null_out(void) { env(); return thpsim_mm_walk(MM, 0, NULL); }
static int switch_null(void) { env(); return thpsim_mm_switch(NULL); }
static int unuse_null(void) { env(); return thpsim_mm_unuse(NULL); }
static int gup_null(void) { uint64_t p[1]; env(); return thpsim_gup_fast(NULL, 0, 1, p); }
static int gup_null_pfns(void) { env(); return thpsim_gup_fast(MM, 0, 1, NULL); }
static int gup_only_null(void) { uint64_t p[1]; env(); return thpsim_gup_fast_only(NULL, 0, 1, p); }
static int gup_unaligned(void) { uint64_t p[1]; env(); return thpsim_gup_fast(MM, 1, 1, p); }
static int unpin_null(void) { env(); return thpsim_unpin(NULL, 0); }
static int unpin_pages_null(void) { env(); return thpsim_unpin_pages(MM, NULL, 3); }
static int unpin_far(void) { env(); return thpsim_unpin(MM, UINT64_MAX); }
static int rcu_walk_null(void) { uint64_t pte; env(); return thpsim_rcu_walk(NULL, 0, &pte); }
static int rcu_walk_null_out(void) { env(); return thpsim_rcu_walk(MM, 0, NULL); }
static int collapse_anon_null(void) { env(); return thpsim_collapse_anon(NULL, 0); }
static int collapse_file_null(void) { env(); return thpsim_collapse_file(NULL, 0); }
static int split_null(void) { env(); return thpsim_split_huge_pmd(NULL, 0); }
static int set_kconfig_null(void) { thpsim_kconfig_t kc; thpsim_kconfig_default(&kc); return thpsim_mm_set_kconfig(NULL, &kc); }
static int set_kconfig_null_kc(void) { env(); return thpsim_mm_set_kconfig(MM, NULL); }

static int set_kconfig_no_profile(void)
{
	thpsim_kconfig_t kc;

	env();
	thpsim_kconfig_default(&kc);
	kc.profile = NULL;
	kc.strategy = NULL;
	return thpsim_mm_set_kconfig(MM, &kc);
}

static int mm_voids_null(void)
{
	thpsim_mm_stats_t st;

	thpsim_mm_stats(NULL, &st);
	thpsim_kconfig_default(NULL);
	env();
	thpsim_mm_stats(MM, NULL);
	return thpsim_mm_geometry(NULL) || thpsim_mm_machine(NULL) ? -1 : 0;
}

static int mm_from_no_cpu(void)
{
	thpsim_machine_config_t mc;
	thpsim_machine_t *m;
	thpsim_mm_t *mm;

	thpsim_machine_config_init(&mc);
	if (thpsim_machine_create(&mc, &m))
		return 1;
	return thpsim_mm_create(m, NULL, &mm);
}

/* A double unpin: the second is refused, the page keeps its mapping's
 * reference (it used to be dropped, freeing a mapped page). */
static int double_unpin(void)
{
	uint64_t pfn;
	char b = 1;

	env();
	if (thpsim_mm_mmap_anon(MM, 0, 4 * 4096, NULL) ||
	    thpsim_mm_write(MM, 0, &b, 1) ||
	    thpsim_gup_fast(MM, 0, 1, &pfn) != 1 || thpsim_unpin(MM, pfn))
		return 1;
	return thpsim_unpin(MM, pfn);
}

static int unpin_never_pinned(void)
{
	thpsim_walk_t w;
	char b = 1;

	env();
	if (thpsim_mm_mmap_anon(MM, 0, 4 * 4096, NULL) ||
	    thpsim_mm_write(MM, 0, &b, 1) || thpsim_mm_walk(MM, 0, &w))
		return 1;
	return thpsim_unpin(MM, w.pfn);
}

Test(misuse, mm)
{
	static const struct mcase cs[] = {
		{ "thpsim_mm_create(NULL)", mm_create_null, E(EINVAL) },
		{ "thpsim_mm_create(m, g, NULL)", mm_create_null_out, E(EINVAL) },
		{ "thpsim_mm_create from no CPU", mm_from_no_cpu, RETURNS },
		{ "thpsim_mm_destroy(NULL): no-op", mm_destroy_null, 0 },
		{ "thpsim_file_create(NULL)", file_create_null, E(EINVAL) },
		{ "thpsim_file_create(m, 4, NULL)", file_create_null_out, E(EINVAL) },
		{ "thpsim_file_create(m, UINT64_MAX)", file_create_huge, ANY_ERROR },
		{ "thpsim_file_destroy(NULL): no-op", file_destroy_null, 0 },
		{ "thpsim_file_page_pfn(NULL)", file_pfn_null, E(EINVAL) },
		{ "thpsim_mm_mmap_anon(NULL) on a CPU", mmap_anon_null, E(EINVAL) },
		{ "thpsim_mm_mmap_file(mm, NULL)", mmap_file_null, E(EINVAL) },
		{ "thpsim_mm_mmap_anon(wrapping)", mmap_anon_wrap, ANY_ERROR },
		{ "thpsim_mm_munmap(NULL) on a CPU", munmap_null, E(EINVAL) },
		{ "thpsim_mm_madvise_dontneed(NULL) on a CPU", madvise_null, E(EINVAL) },
		{ "thpsim_mm_fault(NULL) on a CPU", fault_null, E(EINVAL) },
		{ "thpsim_mm_write(NULL) on a CPU", write_null, E(EINVAL) },
		{ "thpsim_mm_write(mm, a, NULL)", write_null_buf, E(EINVAL) },
		{ "thpsim_mm_read(NULL) on a CPU", read_null, E(EINVAL) },
		{ "thpsim_mm_read(mm, a, NULL)", read_null_buf, E(EINVAL) },
		{ "thpsim_mm_walk(NULL) on a CPU", walk_null, E(EINVAL) },
		{ "thpsim_mm_walk(mm, a, NULL)", walk_null_out, E(EINVAL) },
		{ "thpsim_mm_switch(NULL) on a CPU", switch_null, E(EINVAL) },
		{ "thpsim_mm_unuse(NULL) on a CPU", unuse_null, E(EINVAL) },
		{ "thpsim_gup_fast(NULL)", gup_null, ANY_ERROR },
		{ "thpsim_gup_fast(mm, a, 1, NULL)", gup_null_pfns, E(EINVAL) },
		{ "thpsim_gup_fast_only(NULL)", gup_only_null, ANY_ERROR },
		{ "thpsim_gup_fast(unaligned)", gup_unaligned, E(EINVAL) },
		{ "thpsim_unpin(NULL)", unpin_null, ANY_ERROR },
		{ "thpsim_unpin_pages(mm, NULL, 3)", unpin_pages_null, E(EINVAL) },
		{ "thpsim_unpin(mm, UINT64_MAX)", unpin_far, E(EINVAL) },
		{ "thpsim_unpin twice", double_unpin, E(EINVAL) },
		{ "thpsim_unpin of a page never pinned", unpin_never_pinned, E(EINVAL) },
		{ "thpsim_rcu_walk(NULL)", rcu_walk_null, ANY_ERROR },
		{ "thpsim_rcu_walk(mm, a, NULL): out optional", rcu_walk_null_out, RETURNS },
		{ "thpsim_collapse_anon(NULL)", collapse_anon_null, ANY_ERROR },
		{ "thpsim_collapse_file(NULL)", collapse_file_null, ANY_ERROR },
		{ "thpsim_split_huge_pmd(NULL)", split_null, ANY_ERROR },
		{ "thpsim_mm_set_kconfig(NULL)", set_kconfig_null, E(EINVAL) },
		{ "thpsim_mm_set_kconfig(mm, NULL)", set_kconfig_null_kc, E(EINVAL) },
		{ "thpsim_mm_set_kconfig(no profile)", set_kconfig_no_profile, E(EPROFILE) },
		{ "mm void calls on NULL", mm_voids_null, 0 },
	};
	RUN(cs);
}

/* ---- BUG by design (docs/errors.md): abort with a report, never corrupt --- */

static void *register_and_wait(void *arg)
{
	(void)thpsim_cpu_register(arg, NULL);
	pause();
	return NULL;
}

/* Destroying a machine while another live thread is one of its CPUs. */
static int destroy_with_live_cpu(void)
{
	thpsim_machine_config_t mc;
	thpsim_machine_t *m;
	pthread_t th;

	thpsim_machine_config_init(&mc);
	if (thpsim_machine_create(&mc, &m))
		return 1;
	pthread_create(&th, NULL, register_and_wait, m);
	while (!thpsim_cpu_is_idle(m, 0) && !thpsim_machine_config(m))
		;
	usleep(100000);
	thpsim_machine_destroy(m);
	return 0;
}

/* Restoring interrupts that were never saved. */
static int unbalanced_restore(void)
{
	env();
	thpsim__irq_restore(5);
	return 0;
}

/* A strategy helper called outside a hook (ctx NULL). */
static int strategy_helper_no_ctx(void)
{
	env();
	(void)thpsim_strategy_pte_alloc_one(NULL);
	return 0;
}

static int strategy_sync_mm_no_ctx(void)
{
	env();
	thpsim_strategy_tlb_remove_table_sync_mm(NULL);
	return 0;
}

static int strategy_flush_is_ipi_no_ctx(void)
{
	env();
	(void)thpsim_strategy_tlb_flush_is_ipi(NULL);
	return 0;
}

static void expect_bug(const char *name, int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	cr_assert_neq(pid, -1);
	if (pid == 0) {
		int null = open("/dev/null", 1);

		dup2(null, 2);
		alarm(20);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		  "%s: wanted a BUG (SIGABRT), got %s %d", name,
		  WIFSIGNALED(status) ? "signal" : "exit",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

Test(misuse, bug_by_design)
{
	expect_bug("thpsim_machine_destroy with a live registered CPU",
		   destroy_with_live_cpu);
	expect_bug("thpsim__irq_restore(5) unbalanced", unbalanced_restore);
	expect_bug("thpsim_strategy_pte_alloc_one(NULL)", strategy_helper_no_ctx);
	expect_bug("thpsim_strategy_tlb_remove_table_sync_mm(NULL)",
		   strategy_sync_mm_no_ctx);
	expect_bug("thpsim_strategy_tlb_flush_is_ipi(NULL)",
		   strategy_flush_is_ipi_no_ctx);
}
