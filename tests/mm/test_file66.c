/*
 * test_file66.c - the 6.6 file path (pte-free-defer): retract without the
 * mmap lock, collapse_pte_mapped_thp(), and what it needs: MAP_PRIVATE
 * file VMAs (COW), UFFDIO_COPY, the anon_vma recheck under the PTE lock.
 */
#include "thp_test.h"

static void fill(unsigned char *buf, size_t n, unsigned char c)
{
	memset(buf, c, n);
}

/* A 16-page file whose second pmd range (pgoff 8..15) holds the pattern
 * of address e->hpage, written through a shared mapping at 3 * hpage
 * that is then unmapped. */
static thpsim_file_t *pattern_file(struct mm_env *e)
{
	thpsim_file_t *f;
	unsigned char *buf = malloc(e->page);

	cr_assert_not_null(buf);
	check_ok(thpsim_file_create(e->m, 16, &f));
	check_ok(thpsim_mm_mmap_file(e->mm, f, 8, 3 * e->hpage, e->hpage));
	for (unsigned p = 0; p < 8; p++) {
		for (size_t i = 0; i < e->page; i++)
			buf[i] = thp_byte(e->hpage + p * e->page, i);
		check_ok(thpsim_mm_write(e->mm, 3 * e->hpage + p * e->page,
					 buf, e->page));
	}
	check_ok(thpsim_mm_munmap(e->mm, 3 * e->hpage, e->hpage));
	free(buf);
	return f;
}

static void done(struct mm_env *e, thpsim_file_t *f)
{
	check_ok(thpsim_mm_destroy(e->mm));
	e->mm = NULL;
	check_ok(thpsim_file_destroy(f));
	mm_env_teardown(e);
}

Test(file66, private_mapping_copies_on_write, .timeout = 30)
{
	struct mm_env e;
	thpsim_file_t *f;
	unsigned char buf[4096];
	uint64_t file_pfn;

	mm_env_setup(&e, "2x8", 12, 64);
	f = pattern_file(&e);
	check_ok(thpsim_mm_mmap_file_private(e.mm, f, 8, e.hpage, e.hpage));
	/* A read fault maps the file's page read-only. */
	check_ok(thpsim_mm_fault(e.mm, e.hpage, false));
	check_ok(thpsim_file_page_pfn(f, 8, &file_pfn));
	check_eq(thp_walk(&e, e.hpage).pfn, file_pfn);
	thp_check_pattern(&e, e.hpage, 1);
	/* A write to it (wp_page_copy) and to an unmapped page
	 * (do_cow_fault) map private copies; the file is unchanged. */
	fill(buf, sizeof(buf), 0x5a);
	check_ok(thpsim_mm_write(e.mm, e.hpage, buf, 16));
	check_ok(thpsim_mm_write(e.mm, e.hpage + e.page, buf, 16));
	cr_assert_neq(thp_walk(&e, e.hpage).pfn, file_pfn);
	check_ok(thpsim_mm_read(e.mm, e.hpage, buf, sizeof(buf)));
	check_eq(buf[0], 0x5a);
	check_eq(buf[16], thp_byte(e.hpage, 16));	/* the rest copied */
	check_ok(thpsim_mm_read(e.mm, e.hpage + e.page, buf, sizeof(buf)));
	check_eq(buf[15], 0x5a);
	check_eq(buf[16], thp_byte(e.hpage + e.page, 16));
	thp_check_frame(&e, file_pfn, e.hpage);
	done(&e, f);
}

Test(file66, uffd_copy_fills_only_unmapped_private_pages, .timeout = 30)
{
	struct mm_env e;
	thpsim_file_t *f;
	unsigned char buf[4096], back[4096];

	mm_env_setup(&e, "2x8", 12, 64);
	f = pattern_file(&e);
	check_ok(thpsim_mm_mmap_file_private(e.mm, f, 8, e.hpage, e.hpage));
	check_ok(thpsim_mm_mmap_file(e.mm, f, 0, 2 * e.hpage, e.hpage));
	fill(buf, sizeof(buf), 0xa5);
	check_ok(thpsim_mm_uffd_copy(e.mm, e.hpage + 2 * e.page, buf, e.page));
	check_ok(thpsim_mm_read(e.mm, e.hpage + 2 * e.page, back, e.page));
	cr_assert(!memcmp(buf, back, e.page));
	check_eq(thpsim_mm_uffd_copy(e.mm, e.hpage + 2 * e.page, buf, e.page),
		 -THPSIM_EEXIST);
	check_eq(thpsim_mm_uffd_copy(e.mm, 2 * e.hpage, buf, e.page),
		 -THPSIM_EINVAL);
	check_eq(thpsim_mm_uffd_copy(e.mm, 5 * e.hpage, buf, e.page),
		 -THPSIM_EFAULT);
	check_eq(thpsim_mm_uffd_copy(e.mm, e.hpage + 1, buf, e.page),
		 -THPSIM_EINVAL);
	done(&e, f);
}

/* Collapse the private mapping's range with pte-free-defer: retract
 * frees the table only while the VMA has no anon_vma. */
static void collapse_private(bool written, bool recheck)
{
	struct mm_env e;
	thpsim_file_t *f;
	thpsim_kconfig_t kc;
	unsigned char buf[4096];
	uint64_t table;

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "arm64", "pte-free-defer", &kc);
	kc.knobs.retract_recheck = recheck;
	check_ok(thpsim_mm_set_kconfig(e.mm, &kc));
	f = pattern_file(&e);
	check_ok(thpsim_mm_mmap_file_private(e.mm, f, 8, e.hpage, e.hpage));
	for (unsigned i = 0; i < 8; i++)
		check_ok(thpsim_mm_fault(e.mm, e.hpage + i * e.page, false));
	table = thp_walk(&e, e.hpage).table_pfn[1];
	if (written) {
		fill(buf, sizeof(buf), 0x77);
		check_ok(thpsim_mm_write(e.mm, e.hpage, buf, 8));
	}
	check_eq(thpsim_collapse_file(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
	rcu_barrier();
	if (written) {
		/* Skipped (the lockless check already sees the anon_vma,
		 * whatever the knob): the private copy stays mapped. */
		check_eq(page_info(e.m, table).pt_state, THPSIM_PT_LIVE);
		check_ok(thpsim_mm_read(e.mm, e.hpage, buf, 8));
		check_eq(buf[0], 0x77);
	} else {
		check_eq(page_info(e.m, table).pt_state, THPSIM_PT_FREED);
		cr_assert(!thp_walk_present(&e, e.hpage));
		for (unsigned i = 0; i < 8; i++)
			check_ok(thpsim_mm_fault(e.mm, e.hpage + i * e.page,
						 false));
		thp_check_pattern(&e, e.hpage, 8);
	}
	done(&e, f);
}

Test(file66, retract_skips_a_written_private_vma, .timeout = 30)
{
	collapse_private(true, true);
	collapse_private(true, false);
}

Test(file66, retract_frees_an_unwritten_private_vma_table, .timeout = 30)
{
	collapse_private(false, true);
}

Test(file66, collapse_pte_mapped_thp_retracts_a_pte_mapped_thp, .timeout = 30)
{
	struct mm_env e;
	thpsim_file_t *f;
	uint64_t table, head;

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "arm64", "pte-free-defer", NULL);
	f = pattern_file(&e);
	check_ok(thpsim_mm_mmap_file(e.mm, f, 8, e.hpage, e.hpage));
	check_ok(thpsim_mm_fault(e.mm, e.hpage, false));
	check_eq(thpsim_collapse_file(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
	/* Faulted back in by PTE: a PTE-mapped THP. */
	for (unsigned i = 0; i < 8; i++)
		check_ok(thpsim_mm_fault(e.mm, e.hpage + i * e.page, false));
	check_ok(thpsim_file_page_pfn(f, 8, &head));
	check_eq(thp_walk(&e, e.hpage + e.page).pfn, head + 1);
	table = thp_walk(&e, e.hpage).table_pfn[1];
	check_eq(thpsim_collapse_pte_mapped_thp(e.mm, e.hpage),
		 THPSIM_SCAN_SUCCEED);
	rcu_barrier();
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_FREED);
	cr_assert(!thp_walk_present(&e, e.hpage));
	for (unsigned i = 0; i < 8; i++)
		check_ok(thpsim_mm_fault(e.mm, e.hpage + i * e.page, false));
	thp_check_pattern(&e, e.hpage, 8);
	/* Nothing to do where the range is not in the page cache huge. */
	check_eq(thpsim_collapse_pte_mapped_thp(e.mm, 0), THPSIM_SCAN_VMA_CHECK);
	done(&e, f);
}

Test(file66, collapse_pte_mapped_thp_keeps_a_private_copy, .timeout = 30)
{
	struct mm_env e;
	thpsim_file_t *f;
	unsigned char buf[8];
	uint64_t table;

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "arm64", "pte-free-defer", NULL);
	f = pattern_file(&e);
	check_ok(thpsim_mm_mmap_file_private(e.mm, f, 8, e.hpage, e.hpage));
	check_ok(thpsim_mm_fault(e.mm, e.hpage, false));
	check_eq(thpsim_collapse_file(e.mm, e.hpage), THPSIM_SCAN_SUCCEED);
	for (unsigned i = 0; i < 8; i++)
		check_ok(thpsim_mm_fault(e.mm, e.hpage + i * e.page, false));
	fill(buf, sizeof(buf), 0x66);
	check_ok(thpsim_mm_write(e.mm, e.hpage + e.page, buf, sizeof(buf)));
	table = thp_walk(&e, e.hpage).table_pfn[1];
	check_eq(thpsim_collapse_pte_mapped_thp(e.mm, e.hpage), THPSIM_SCAN_FAIL);
	rcu_barrier();
	check_eq(page_info(e.m, table).pt_state, THPSIM_PT_LIVE);
	check_ok(thpsim_mm_read(e.mm, e.hpage + e.page, buf, sizeof(buf)));
	check_eq(buf[0], 0x66);
	thp_check_pattern(&e, e.hpage + 2 * e.page, 6);
	done(&e, f);
}
