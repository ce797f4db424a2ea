/*
 * test_collapse.c - khugepaged collapse, single-threaded: anonymous
 * collapse preserves every byte and frees the small pages; the isolate
 * failure path puts back the very same table; bad arguments and
 * allocation failures give their scan results; shmem collapse retracts
 * the PTE table and the file keeps its bytes.
 */
#include <pthread.h>
#include <unistd.h>

#include "thp_test.h"

/* A collapsed anonymous range at e->hpage (the second pmd). */
struct anon_range {
	uint64_t addr;
	uint64_t pfns[THPSIM_ENTRIES_MAX];
	uint64_t table, table_gen;
};

static void anon_setup(struct mm_env *e, struct anon_range *r)
{
	uint64_t n = e->geo.entries;
	thpsim_walk_t w;

	r->addr = e->hpage;
	check_ok(thpsim_mm_mmap_anon(e->mm, r->addr, e->hpage, NULL));
	thp_write_pattern(e, r->addr, n);
	for (uint64_t i = 0; i < n; i++) {
		w = thp_walk(e, r->addr + i * e->page);
		r->pfns[i] = w.pfn;
	}
	w = thp_walk(e, r->addr);
	r->table = w.table_pfn[1];
	r->table_gen = page_info(e->m, r->table).generation;
}

Test(collapse, anon_preserves_bytes_and_frees_small_pages, .timeout = 30)
{
	struct mm_env e;
	struct anon_range r;
	thpsim_walk_t w;
	thpsim_page_info_t in;
	thpsim_mm_stats_t st;

	mm_env_setup(&e, "2x8", 12, 64);
	anon_setup(&e, &r);
	check_eq(thpsim_collapse_anon(e.mm, r.addr), THPSIM_SCAN_SUCCEED);

	w = thp_walk(&e, r.addr);
	cr_assert(w.huge, "a huge pmd maps the range after the collapse");
	check_eq(w.leaf_level, 2);
	in = page_info(e.m, w.pfn);
	check_eq(in.kind, THPSIM_PAGE_HUGE);
	check_eq(in.order, 3);
	check_eq(in.mapcount, 1);
	check_eq(in.refcount, 1);
	for (uint64_t i = 0; i < e.geo.entries; i++) {
		/* Through the huge pmd, and in the huge page's frames. */
		thp_check_frame(&e, w.pfn + i, r.addr + i * e.page);
		check_eq(page_info(e.m, r.pfns[i]).kind, THPSIM_PAGE_FREE);
	}
	thp_check_pattern(&e, r.addr, e.geo.entries);
	/* "none": the old table, emptied, is the deposit. */
	in = page_info(e.m, r.table);
	check_eq(in.pt_state, THPSIM_PT_DEPOSITED);
	check_eq(in.generation, r.table_gen);
	for (unsigned i = 0; i < e.geo.entries; i++) {
		uint64_t v;

		check_ok(thpsim_phys_read(e.m, r.table, i * 8, &v, 8));
		check_eq(v, 0);
	}
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.anon_pages, e.geo.entries);
	check_eq(st.nr_tables[1], 1);	/* the deposit still counts */
	/* Collapsing again finds the huge pmd. */
	check_eq(thpsim_collapse_anon(e.mm, r.addr), THPSIM_SCAN_PMD_MAPPED);
	check_ok(thpsim_mm_munmap(e.mm, r.addr, e.hpage));
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.anon_pages, 0);
	check_eq(st.nr_tables[1], 0);
	mm_env_teardown(&e);
}

/* The failure path: the same frame, the same generation, PTEs intact. */
static void check_restored(struct mm_env *e, const struct anon_range *r)
{
	thpsim_page_info_t in = page_info(e->m, r->table);

	check_eq(in.pt_state, THPSIM_PT_LIVE);
	check_eq(in.generation, r->table_gen);
	check_eq(in.pt_addr, r->addr);
	for (uint64_t i = 0; i < e->geo.entries; i++) {
		thpsim_walk_t w = thp_walk(e, r->addr + i * e->page);

		cr_assert(!w.huge);
		check_eq(w.table_pfn[1], r->table);
		check_eq(w.pfn, r->pfns[i]);
	}
	thp_check_pattern(e, r->addr, e->geo.entries);
}

static void lock_it(void *page)
{
	cr_assert(trylock_page(page));
}

static void pin_it(void *page)
{
	get_page(page);
}

/*
 * The scan saw every page unlocked and unpinned; the lock or the pin
 * comes between the scan and the isolate (COLLAPSE_AFTER_SCAN), so the
 * isolate, after the flush, is what refuses (scenario S6).
 */
Test(collapse, isolate_failure_restores_the_same_table, .timeout = 30)
{
	struct mm_env e;
	struct anon_range r;
	struct page *page;
	struct thp_at_point at = { .point = THPSIM_SP_COLLAPSE_AFTER_SCAN };
	struct thp_events *ev;
	thpsim_phys_stats_t before, after;

	mm_env_setup(&e, "2x8", 12, 64);
	anon_setup(&e, &r);
	page = pfn_to_page(e.mm->phys, r.pfns[3]);
	thpsim_phys_stats(e.m, &before);
	/* A page lock taken elsewhere: trylock_page() fails. */
	at.fn = lock_it;
	at.arg = page;
	ev = thp_events_start();
	thp_at_point_arm(&at);
	check_eq(thpsim_collapse_anon(e.mm, r.addr), THPSIM_SCAN_PAGE_LOCK);
	thp_at_point_disarm();
	thp_events_stop(ev);
	check_eq(at.fired, 1);
	cr_assert_geq(thp_events_count(ev, THPSIM_EV_TLB_FLUSH, NULL), 1,
		      "the isolate refused after the flush");
	check_eq(thp_events_count(ev, THPSIM_EV_ISOLATE, NULL), 4);
	free(ev);
	check_restored(&e, &r);
	unlock_page(page);
	/* An extra reference (a pin): the refcount check fails. */
	at.fn = pin_it;
	thp_at_point_arm(&at);
	check_eq(thpsim_collapse_anon(e.mm, r.addr), THPSIM_SCAN_PAGE_COUNT);
	thp_at_point_disarm();
	check_eq(at.fired, 1);
	check_restored(&e, &r);
	put_page(page);
	/* Nothing leaked: the huge pages went back. */
	thpsim_phys_stats(e.m, &after);
	check_eq(after.nr_free, before.nr_free);
	check_eq(after.used[THPSIM_PAGE_HUGE], 0);
	/* And now it works. */
	check_eq(thpsim_collapse_anon(e.mm, r.addr), THPSIM_SCAN_SUCCEED);
	thp_check_pattern(&e, r.addr, e.geo.entries);
	mm_env_teardown(&e);
}

Test(collapse, scan_results_for_bad_ranges, .timeout = 30)
{
	struct mm_env e;

	mm_env_setup(&e, "2x8", 12, 64);
	check_err(thpsim_collapse_anon(e.mm, e.page), -THPSIM_EINVAL);
	check_err(thpsim_collapse_anon(NULL, 0), -THPSIM_EINVAL);
	check_eq(thpsim_collapse_anon(e.mm, e.hpage), THPSIM_SCAN_VMA_NULL);
	/* A VMA smaller than the pmd range. */
	check_ok(thpsim_mm_mmap_anon(e.mm, e.hpage, e.hpage / 2, NULL));
	check_eq(thpsim_collapse_anon(e.mm, e.hpage),
		 THPSIM_SCAN_ADDRESS_RANGE);
	check_ok(thpsim_mm_mmap_anon(e.mm, 2 * e.hpage, e.hpage, NULL));
	/* No table yet, then an empty table. */
	check_eq(thpsim_collapse_anon(e.mm, 2 * e.hpage), THPSIM_SCAN_PMD_NONE);
	check_ok(thpsim_mm_fault(e.mm, 2 * e.hpage, true));
	check_ok(thpsim_mm_madvise_dontneed(e.mm, 2 * e.hpage, e.page));
	check_eq(thpsim_collapse_anon(e.mm, 2 * e.hpage),
		 THPSIM_SCAN_EXCEED_NONE_PTE);
	/* Allocation failures: the huge page, the fresh table. */
	check_ok(thpsim_mm_fault(e.mm, 2 * e.hpage, true));
	check_ok(thpsim_phys_inject_failure(e.m, THPSIM_ALLOC_HUGE, 0, 1));
	check_eq(thpsim_collapse_anon(e.mm, 2 * e.hpage),
		 THPSIM_SCAN_ALLOC_HUGE_PAGE_FAIL);
	thp_kconfig(&e, "arm64", "fresh-table", NULL);
	check_ok(thpsim_phys_inject_failure(e.m, THPSIM_ALLOC_TABLE, 0, 1));
	check_eq(thpsim_collapse_anon(e.mm, 2 * e.hpage), THPSIM_SCAN_FAIL);
	/* A sparse range collapses: the holes become zero subpages. */
	check_eq(thpsim_collapse_anon(e.mm, 2 * e.hpage), THPSIM_SCAN_SUCCEED);
	rcu_barrier();
	check_eq(thp_walk(&e, 2 * e.hpage + e.page).huge, 1);
	cr_assert_str_eq(thpsim_scan_result_name(THPSIM_SCAN_PAGE_COUNT),
			 "SCAN_PAGE_COUNT");
	cr_assert_str_eq(thpsim_scan_result_name(-1), "?");
	mm_env_teardown(&e);
}

Test(collapse, events_of_an_anon_collapse, .timeout = 30)
{
	struct mm_env e;
	struct anon_range r;
	struct thp_events *ev;
	const thpsim_event_t *end;

	mm_env_setup(&e, "2x4", 12, 32);
	anon_setup(&e, &r);
	ev = thp_events_start();
	check_eq(thpsim_collapse_anon(e.mm, r.addr), THPSIM_SCAN_SUCCEED);
	thp_events_stop(ev);
	check_eq(thp_events_count(ev, THPSIM_EV_COLLAPSE_BEGIN, "anon"), 1);
	check_eq(thp_events_count(ev, THPSIM_EV_ISOLATE, NULL), 4);
	check_eq(thp_events_count(ev, THPSIM_EV_COPY, NULL), 4);
	check_eq(thp_events_count(ev, THPSIM_EV_DEPOSIT, "generic"), 1);
	for (size_t i = 0; i < ev->n; i++) {
		if (ev->ev[i].kind == THPSIM_EV_COPY)
			check_eq(ev->ev[i].arg, 1);	/* bytes equal */
		if (ev->ev[i].kind == THPSIM_EV_ISOLATE)
			check_eq(ev->ev[i].arg, 1);
	}
	/* The pmd was cleared, then set huge; PTEs cleared in between. */
	check_eq(thp_events_count(ev, THPSIM_EV_ENTRY_SET, NULL), 1 + 4 + 1);
	end = thp_events_find(ev, 0, THPSIM_EV_COLLAPSE_END);
	cr_assert_not_null(end);
	check_eq(end->arg, THPSIM_SCAN_SUCCEED);
	cr_assert_str_eq(end->what, "SCAN_SUCCEED");
	free(ev);
	mm_env_teardown(&e);
}

Test(collapse, file_collapse_retracts_the_table, .timeout = 30)
{
	struct mm_env e;
	thpsim_file_t *f;
	thpsim_walk_t w;
	uint64_t table, table_gen, old[8], pfn, head;

	mm_env_setup(&e, "2x8", 12, 64);
	check_ok(thpsim_file_create(e.m, 16, &f));
	check_ok(thpsim_mm_mmap_file(e.mm, f, 8, e.hpage, e.hpage));
	thp_write_pattern(&e, e.hpage, 8);
	for (unsigned i = 0; i < 8; i++)
		old[i] = thp_walk(&e, e.hpage + i * e.page).pfn;
	w = thp_walk(&e, e.hpage);
	table = w.table_pfn[1];
	table_gen = page_info(e.m, table).generation;
	check_eq(thpsim_collapse_file(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
	/* "none": the table was freed at once (pte_free). */
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_FREED);
	check_eq(page_info(e.m, table).generation, table_gen + 1);
	for (unsigned i = 0; i < 8; i++)
		check_eq(page_info(e.m, old[i]).kind, THPSIM_PAGE_FREE);
	/* The page cache now holds the huge page's subpages. */
	check_ok(thpsim_file_page_pfn(f, 8, &head));
	check_eq(page_info(e.m, head).kind, THPSIM_PAGE_HUGE);
	for (unsigned i = 0; i < 8; i++) {
		check_ok(thpsim_file_page_pfn(f, 8 + i, &pfn));
		check_eq(pfn, head + i);
		thp_check_frame(&e, pfn, e.hpage + i * e.page);
	}
	/* Faulted back in (by PTE), the bytes are the same. */
	for (unsigned i = 0; i < 8; i++)
		check_ok(thpsim_mm_fault(e.mm, e.hpage + i * e.page, false));
	thp_check_pattern(&e, e.hpage, 8);
	check_ok(thpsim_mm_destroy(e.mm));
	e.mm = NULL;
	check_ok(thpsim_file_destroy(f));
	mm_env_teardown(&e);
}

/* ---- the page lock and frozen counts collapse_file relies on --------- */

struct fault_arg {
	struct mm_env *e;
	uint64_t addr;
	_Atomic int done;
};

static void *fault_thread(void *p)
{
	struct fault_arg *a = p;
	int id;

	check_ok(thpsim_cpu_register(a->e->m, &id));
	check_ok(thpsim_mm_fault(a->e->mm, a->addr, false));
	atomic_store(&a->done, 1);
	check_ok(thpsim_cpu_unregister());
	return NULL;
}

/* A shmem fault locks the page it maps (do_read_fault, 6.1): while a
 * collapse holds the lock, the fault waits; it maps the page once the lock
 * is dropped.  Without this, a fault could map a page collapse_file has
 * counted and is about to replace. */
Test(collapse, shmem_fault_waits_for_the_page_lock, .timeout = 30)
{
	struct mm_env e;
	thpsim_file_t *f;
	struct fault_arg a = { .e = &e };
	struct page *page;
	pthread_t th;
	uint64_t pfn;

	mm_env_setup(&e, "2x8", 12, 64);
	check_ok(thpsim_file_create(e.m, 16, &f));
	check_ok(thpsim_mm_mmap_file(e.mm, f, 8, e.hpage, e.hpage));
	thp_write_pattern(&e, e.hpage, 8);
	check_ok(thpsim_mm_madvise_dontneed(e.mm, e.hpage, e.hpage));
	check_ok(thpsim_file_page_pfn(f, 9, &pfn));
	page = pfn_to_page(thpsim__machine_phys(e.m), (unsigned long)pfn);
	cr_assert(trylock_page(page));
	a.addr = e.hpage + e.page;
	cr_assert_eq(pthread_create(&th, NULL, fault_thread, &a), 0);
	/* 100 ms is long enough for an unlocked fault to finish; a slow
	 * machine can only make this pass for the wrong reason, never fail. */
	usleep(100 * 1000);
	cr_assert_eq(atomic_load(&a.done), 0, "the fault mapped a locked page");
	cr_assert(!thp_walk_present(&e, a.addr));
	unlock_page(page);
	cr_assert_eq(pthread_join(th, NULL), 0);
	cr_assert_eq(atomic_load(&a.done), 1);
	cr_assert_eq(thp_walk(&e, a.addr).pfn, pfn);
	check_ok(thpsim_mm_destroy(e.mm));
	e.mm = NULL;
	check_ok(thpsim_file_destroy(f));
	mm_env_teardown(&e);
}

/* page_ref_freeze (6.1 page_ref.h): only at the expected count; while
 * frozen no speculative reference (GUP-fast's grab) can be taken. */
Test(collapse, frozen_count_refuses_speculative_references, .timeout = 30)
{
	struct mm_env e;
	thpsim_file_t *f;
	struct page *page;
	uint64_t pfn;

	mm_env_setup(&e, "2x8", 12, 64);
	check_ok(thpsim_file_create(e.m, 16, &f));
	check_ok(thpsim_mm_mmap_file(e.mm, f, 8, e.hpage, e.hpage));
	thp_write_pattern(&e, e.hpage, 1);
	check_ok(thpsim_file_page_pfn(f, 8, &pfn));
	page = pfn_to_page(thpsim__machine_phys(e.m), (unsigned long)pfn);
	/* The cache's reference and the mapping's. */
	cr_assert_eq(page_ref_count(page), 2);
	cr_assert(!page_ref_freeze(page, 1));
	cr_assert_eq(page_ref_count(page), 2);
	cr_assert(page_ref_freeze(page, 2));
	cr_assert_eq(page_ref_count(page), 0);
	cr_assert(!try_get_page(page));
	cr_assert(!page_ref_add_unless(page, 1, 0));
	page_ref_unfreeze(page, 2);
	cr_assert(try_get_page(page));
	put_page(page);
	check_ok(thpsim_mm_destroy(e.mm));
	e.mm = NULL;
	check_ok(thpsim_file_destroy(f));
	mm_env_teardown(&e);
}
