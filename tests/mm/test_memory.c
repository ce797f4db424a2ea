/*
 * test_memory.c - address spaces end to end: fault, write, walk, read,
 * MADV_DONTNEED, munmap and exit over geometries from 2x4 to 5x512; file
 * mappings; VMA splitting and free_pgtables' floor/ceiling; bad arguments.
 */
#include <stdlib.h>

#include "mm_test.h"
/* After criterion.h (via mm_test.h): the other order breaks Test(). */
#include <criterion/parameterized.h>

struct geo_param {
	char geo[8];
	unsigned page_shift;
	size_t nr_frames;
};

ParameterizedTestParameters(memory, geometries)
{
	static struct geo_param params[] = {
		{ "2x4", 12, 32 },  { "2x8", 6, 32 },   { "3x4", 6, 64 },
		{ "3x16", 12, 64 }, { "4x64", 9, 64 },  { "4x512", 12, 1024 },
		{ "5x4", 12, 64 },  { "5x512", 12, 48 },
	};

	return cr_make_param_array(struct geo_param, params,
				   sizeof(params) / sizeof(params[0]));
}

static void fill_pattern(unsigned char *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 31 + seed);
}

/* Walk every page of [addr, addr + npages pages): all present. */
static void walk_pages(struct mm_env *e, uint64_t addr, unsigned npages,
		       uint64_t *pfns, uint64_t *pte_tables)
{
	for (unsigned i = 0; i < npages; i++) {
		thpsim_walk_t w;
		thpsim_page_info_t in;

		check_ok(thpsim_mm_walk(e->mm, addr + i * e->page, &w));
		cr_assert(w.present && !w.huge && w.write,
			  "page %u: present %d huge %d write %d", i, w.present,
			  w.huge, w.write);
		check_eq(w.leaf_level, 1);
		check_eq(w.levels, e->geo.levels);
		check_eq(w.entry[1] & 1, 1);
		check_eq((w.entry[1] >> 12) & 0xffffffffffULL, w.pfn);
		for (unsigned l = 1; l <= e->geo.levels; l++)
			check_ne(w.table_pfn[l], UINT64_MAX);
		in = page_info(e->m, w.pfn);
		check_eq(in.kind, THPSIM_PAGE_DATA);
		check_eq(in.mapcount, 1);
		check_eq(in.refcount, 1);
		cr_assert(page_flag(in, THPSIM_PG_ANON));
		pfns[i] = w.pfn;
		pte_tables[i] = w.table_pfn[1];
	}
}

ParameterizedTest(struct geo_param *gp, memory, geometries, .timeout = 60)
{
	enum { NPAGES = 3 };
	struct mm_env e;
	uint64_t addr, len, base, pfns[NPAGES], gens[NPAGES], tables[NPAGES];
	uint64_t tables2[NPAGES];
	unsigned char *out, *in;
	thpsim_mm_stats_t st;

	mm_env_setup(&e, gp->geo, gp->page_shift, gp->nr_frames);
	base = used_frames(e.m);
	check_eq(base, 1);	/* the root table */
	/* Start one pmd above the middle of the address space. */
	addr = thpsim_geometry_va_size(&e.geo) / 2 + e.hpage;
	len = NPAGES * e.page;
	check_ok(thpsim_mm_mmap_anon(e.mm, addr, len, NULL));
	check_eq(used_frames(e.m), base);	/* mmap allocates nothing */

	out = malloc(len);
	in = malloc(len);
	fill_pattern(out, len, 7);
	/* Unaligned on both ends: crosses every page boundary. */
	check_ok(thpsim_mm_write(e.mm, addr + 5, out, len - 10));
	walk_pages(&e, addr, NPAGES, pfns, tables);
	check_eq(used_frames(e.m), base + (e.geo.levels - 1) + NPAGES);
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.anon_pages, NPAGES);
	check_eq(st.nr_tables[1], 1);
	/* The bytes are in the frames the walk found. */
	for (unsigned i = 0; i < NPAGES; i++) {
		unsigned char frame[4096];
		size_t lo = i ? 0 : 5;

		check_ok(thpsim_phys_read(e.m, pfns[i], 0, frame, e.page));
		for (size_t b = lo; b < e.page && i * e.page + b < len - 5; b++)
			check_eq(frame[b], out[i * e.page + b - 5]);
		gens[i] = page_info(e.m, pfns[i]).generation;
	}
	memset(in, 0, len);
	check_ok(thpsim_mm_read(e.mm, addr + 5, in, len - 10));
	cr_assert(memcmp(in, out, len - 10) == 0, "read back differs");

	/* MADV_DONTNEED frees the pages, keeps the tables. */
	check_ok(thpsim_mm_madvise_dontneed(e.mm, addr, len));
	check_eq(used_frames(e.m), base + (e.geo.levels - 1));
	for (unsigned i = 0; i < NPAGES; i++) {
		thpsim_page_info_t pi = page_info(e.m, pfns[i]);
		thpsim_walk_t w;

		check_eq(pi.kind, THPSIM_PAGE_FREE);
		check_eq(pi.generation, gens[i] + 1);
		cr_assert(page_flag(pi, THPSIM_PG_POISONED));
		check_err(thpsim_mm_walk(e.mm, addr + i * e.page, &w),
			  -THPSIM_EFAULT);
		check_eq(w.leaf_level, 1);
		check_eq(w.table_pfn[1], tables[i]);
		check_eq(w.entry[1], 0);
	}
	check_err(thpsim_mm_read(e.mm, addr, in, 1), -THPSIM_EFAULT);
	check_contains(thpsim_errmsg(), "no page present");
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.anon_pages, 0);

	/* Fault back in (read faults too), then munmap frees the tables. */
	check_ok(thpsim_mm_fault(e.mm, addr, false));
	check_ok(thpsim_mm_write(e.mm, addr, out, len));
	walk_pages(&e, addr, NPAGES, pfns, tables2);
	check_eq(tables2[0], tables[0]);
	check_ok(thpsim_mm_read(e.mm, addr, in, len));
	cr_assert(memcmp(in, out, len) == 0, "read back differs");
	check_ok(thpsim_mm_munmap(e.mm, addr, len));
	check_ok(thpsim_machine_rcu_barrier(e.m));	/* mmu_gather's RCU batch */
	check_eq(used_frames(e.m), base);
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.nr_vmas, 0);
	check_eq(st.nr_tables[e.geo.levels], 1);
	for (unsigned l = 1; l < e.geo.levels; l++)
		check_eq(st.nr_tables[l], 0);
	check_eq(page_info(e.m, tables[0]).pt_state, THPSIM_PT_FREED);

	/* exit_mmap with mappings still present. */
	check_ok(thpsim_mm_mmap_anon(e.mm, addr, len, NULL));
	check_ok(thpsim_mm_write(e.mm, addr, out, len));
	free(out);
	free(in);
	mm_env_teardown(&e);
}

Test(memory, whole_thp_range_4x512, .timeout = 60)
{
	struct mm_env e;
	const uint64_t addr = 1UL << 30;
	unsigned char *buf;
	uint64_t base;

	mm_env_setup(&e, "4x512", 12, 1024);
	base = used_frames(e.m);
	check_ok(thpsim_mm_mmap_anon(e.mm, addr, e.hpage, NULL));
	buf = malloc(e.hpage);
	fill_pattern(buf, e.hpage, 3);
	check_ok(thpsim_mm_write(e.mm, addr, buf, e.hpage));
	check_eq(used_frames(e.m), base + 3 + 512);
	memset(buf, 0, e.hpage);
	check_ok(thpsim_mm_read(e.mm, addr, buf, e.hpage));
	for (size_t i = 0; i < e.hpage; i += 4099)
		check_eq(buf[i], (unsigned char)(i * 31 + 3));
	check_ok(thpsim_mm_madvise_dontneed(e.mm, addr, e.hpage));
	check_eq(used_frames(e.m), base + 3);
	free(buf);
	mm_env_teardown(&e);
}

Test(memory, file_mapping_keeps_page_cache, .timeout = 60)
{
	struct mm_env e;
	thpsim_file_t *f;
	const uint64_t addr = 0x8000;
	thpsim_page_info_t pi;
	thpsim_walk_t w;
	uint64_t cached, gen;
	char msg[] = "page cache bytes", back[sizeof(msg)];

	mm_env_setup(&e, "3x16", 12, 64);
	check_ok(thpsim_file_create(e.m, 4, &f));
	check_ok(thpsim_mm_mmap_file(e.mm, f, 1, addr, 2 * e.page));
	check_err(thpsim_file_page_pfn(f, 2, &cached), -THPSIM_ENOENT);
	check_ok(thpsim_mm_write(e.mm, addr + e.page + 3, msg, sizeof(msg)));
	check_ok(thpsim_file_page_pfn(f, 2, &cached));
	check_ok(thpsim_mm_walk(e.mm, addr + e.page, &w));
	check_eq(w.pfn, cached);
	pi = page_info(e.m, cached);
	check_eq(pi.refcount, 2);	/* the cache + the mapping */
	check_eq(pi.mapcount, 1);
	cr_assert(pi.file && !page_flag(pi, THPSIM_PG_ANON));
	check_eq(pi.index, 2);
	gen = pi.generation;

	/* A second mm maps the same page. */
	{
		thpsim_mm_t *mm2;

		check_ok(thpsim_mm_create(e.m, &e.geo, &mm2));
		check_ok(thpsim_mm_mmap_file(mm2, f, 0, 0, 4 * e.page));
		memset(back, 0, sizeof(back));
		check_ok(thpsim_mm_fault(mm2, 2 * e.page, false));
		check_ok(thpsim_mm_read(mm2, 2 * e.page + 3, back, sizeof(back)));
		cr_assert_str_eq(back, msg);
		check_eq(page_info(e.m, cached).mapcount, 2);
		check_eq(page_info(e.m, cached).refcount, 3);
		check_ok(thpsim_mm_destroy(mm2));
	}

	/* Zap: the page stays cached, unmapped. */
	check_ok(thpsim_mm_madvise_dontneed(e.mm, addr, 2 * e.page));
	pi = page_info(e.m, cached);
	check_eq(pi.kind, THPSIM_PAGE_DATA);
	check_eq(pi.refcount, 1);
	check_eq(pi.mapcount, 0);
	check_eq(pi.generation, gen);
	cr_assert(!page_flag(pi, THPSIM_PG_POISONED));
	check_err(thpsim_mm_walk(e.mm, addr + e.page, &w), -THPSIM_EFAULT);
	check_ok(thpsim_mm_fault(e.mm, addr + e.page, false));
	memset(back, 0, sizeof(back));
	check_ok(thpsim_mm_read(e.mm, addr + e.page + 3, back, sizeof(back)));
	cr_assert_str_eq(back, msg);

	check_err(thpsim_file_destroy(f), -THPSIM_EBUSY);
	check_contains(thpsim_errmsg(), "mapped");
	check_ok(thpsim_mm_destroy(e.mm));
	e.mm = NULL;
	check_eq(used_frames(e.m), 1);	/* only the cached page */
	check_ok(thpsim_file_destroy(f));
	check_eq(page_info(e.m, cached).kind, THPSIM_PAGE_FREE);
	mm_env_teardown(&e);
}

Test(memory, file_beyond_eof_and_bounds, .timeout = 60)
{
	struct mm_env e;
	thpsim_file_t *f;

	mm_env_setup(&e, "2x8", 12, 32);
	check_ok(thpsim_file_create(e.m, 2, &f));
	check_err(thpsim_mm_mmap_file(e.mm, f, 1, 0, 2 * e.page),
		  -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "2 pages");
	check_err(thpsim_mm_mmap_file(e.mm, NULL, 0, 0, e.page), -THPSIM_EINVAL);
	check_err(thpsim_file_create(e.m, 0, &f), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "nr_pages 0");
	check_ok(thpsim_file_destroy(f));
	mm_env_teardown(&e);
}

/*
 * free_pgtables keeps a table while a VMA outside the unmapped range still
 * shares its span (floor: the previous VMA's end, ceiling: the next one's
 * start).  Run at base 0 and at base 1 GiB: in the first pud span a
 * ceiling masked to the span start is 0, elsewhere it is not, and the two
 * take different branches of the check.
 */
static void split_and_free_pgtables(uint64_t base_addr)
{
	struct mm_env e;
	const uint64_t a = base_addr + (2UL << 21);
	uint64_t base, pt, buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	thpsim_mm_stats_t st;
	thpsim_walk_t w;

	mm_env_setup(&e, "4x512", 12, 128);
	base = used_frames(e.m);
	check_ok(thpsim_mm_mmap_anon(e.mm, a, 4 * e.page, NULL));
	for (int i = 0; i < 4; i++)
		check_ok(thpsim_mm_write(e.mm, a + i * e.page, &buf[i], 8));
	check_ok(thpsim_mm_walk(e.mm, a, &w));
	pt = w.table_pfn[1];

	/* Punch the second page: the VMA splits, the table stays. */
	check_ok(thpsim_mm_munmap(e.mm, a + e.page, e.page));
	check_ok(thpsim_machine_rcu_barrier(e.m));	/* mmu_gather's RCU batch */
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.nr_vmas, 2);
	check_eq(used_frames(e.m), base + 3 + 3);
	check_err(thpsim_mm_write(e.mm, a + e.page, buf, 8), -THPSIM_EFAULT);
	check_ok(thpsim_mm_walk(e.mm, a + 3 * e.page, &w));
	check_eq(w.table_pfn[1], pt);
	/* The first piece goes; the last still shares the PTE table. */
	check_ok(thpsim_mm_munmap(e.mm, a, e.page));
	check_ok(thpsim_machine_rcu_barrier(e.m));	/* mmu_gather's RCU batch */
	check_eq(page_info(e.m, pt).pt_state, THPSIM_PT_LIVE);
	check_eq(used_frames(e.m), base + 3 + 2);

	/* A next neighbour in another PTE table of the same pmd table:
	 * unmapping everything before it keeps the pud and pmd tables. */
	check_ok(thpsim_mm_mmap_anon(e.mm, a + 2 * e.hpage, e.page, NULL));
	check_ok(thpsim_mm_write(e.mm, a + 2 * e.hpage, buf, 8));
	check_eq(used_frames(e.m), base + 3 + 2 + 2);
	check_ok(thpsim_mm_munmap(e.mm, a, 2 * e.hpage));
	check_ok(thpsim_machine_rcu_barrier(e.m));	/* mmu_gather's RCU batch */
	check_eq(page_info(e.m, pt).pt_state, THPSIM_PT_FREED);
	check_eq(used_frames(e.m), base + 3 + 1);
	check_ok(thpsim_mm_read(e.mm, a + 2 * e.hpage, &buf[7], 8));
	check_eq(buf[7], 1);
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.nr_vmas, 1);
	check_eq(st.nr_tables[1], 1);

	/* A previous neighbour: unmapping what follows it keeps them too. */
	check_ok(thpsim_mm_mmap_anon(e.mm, a + 4 * e.hpage, e.page, NULL));
	check_ok(thpsim_mm_write(e.mm, a + 4 * e.hpage, &buf[2], 8));
	check_eq(used_frames(e.m), base + 3 + 1 + 2);
	check_ok(thpsim_mm_munmap(e.mm, a + 4 * e.hpage, e.page));
	check_ok(thpsim_machine_rcu_barrier(e.m));	/* mmu_gather's RCU batch */
	check_eq(used_frames(e.m), base + 3 + 1);
	check_ok(thpsim_mm_read(e.mm, a + 2 * e.hpage, &buf[6], 8));
	check_eq(buf[6], 1);

	/* A range with holes is fine for munmap; then nothing is left. */
	check_ok(thpsim_mm_munmap(e.mm, base_addr, 64 * e.hpage));
	check_ok(thpsim_machine_rcu_barrier(e.m));	/* mmu_gather's RCU batch */
	check_eq(used_frames(e.m), base);
	mm_env_teardown(&e);
}

Test(memory, free_pgtables_floor_ceiling_low, .timeout = 60)
{
	split_and_free_pgtables(0);
}

Test(memory, free_pgtables_floor_ceiling_high, .timeout = 60)
{
	split_and_free_pgtables(1UL << 30);
}

Test(memory, fault_alloc_failure, .timeout = 60)
{
	struct mm_env e;
	uint64_t base;
	char c = 'x';

	mm_env_setup(&e, "4x512", 12, 64);
	base = used_frames(e.m);
	check_ok(thpsim_mm_mmap_anon(e.mm, 0x400000, 0x4000, NULL));
	check_ok(thpsim_phys_inject_failure(e.m, THPSIM_ALLOC_TABLE, 1, 1));
	check_err(thpsim_mm_fault(e.mm, 0x400000, true), -THPSIM_ENOFRAME);
	check_contains(thpsim_errmsg(), "0x400000");
	check_contains(thpsim_errmsg(), "injected");
	check_eq(used_frames(e.m), base + 1);
	check_ok(thpsim_phys_inject_failure(e.m, THPSIM_ALLOC_DATA, 0, 1));
	check_err(thpsim_mm_write(e.mm, 0x401000, &c, 1), -THPSIM_ENOFRAME);
	check_contains(thpsim_errmsg(), "data");
	check_eq(used_frames(e.m), base + 3);
	check_ok(thpsim_mm_write(e.mm, 0x401000, &c, 1));
	check_eq(used_frames(e.m), base + 4);
	mm_env_teardown(&e);
}

Test(memory, bad_arguments, .timeout = 60)
{
	struct mm_env e;
	thpsim_geometry_t g;
	thpsim_mm_t *mm2 = NULL;
	thpsim_walk_t w;
	char buf[16];

	mm_env_setup(&e, "2x4", 12, 32);	/* 64 KiB address space */
	g = e.geo;
	g.levels = 7;
	check_err(thpsim_mm_create(e.m, &g, &mm2), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "levels 7");
	g = e.geo;
	g.page_shift = 13;
	check_err(thpsim_mm_create(e.m, &g, &mm2), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "page_shift 13");
	check_err(thpsim_mm_create(NULL, NULL, &mm2), -THPSIM_EINVAL);
	cr_assert_null(mm2);

	check_err(thpsim_mm_mmap_anon(e.mm, 0x1001, 0x1000, NULL),
		  -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "0x1001");
	check_err(thpsim_mm_mmap_anon(e.mm, 0x1000, 0, NULL), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "len is 0");
	check_err(thpsim_mm_mmap_anon(e.mm, 0x1000, 0x1800, NULL),
		  -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "0x1800");
	check_err(thpsim_mm_mmap_anon(e.mm, 0xf000, 0x2000, NULL),
		  -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "outside the address space");
	check_err(thpsim_mm_mmap_anon(e.mm, 0x10000, 0x1000, NULL),
		  -THPSIM_EINVAL);
	check_err(thpsim_mm_mmap_anon(e.mm, 0x1000, UINT64_MAX - 0xfff, NULL),
		  -THPSIM_EINVAL);
	check_err(thpsim_mm_mmap_anon(NULL, 0x1000, 0x1000, NULL),
		  -THPSIM_EINVAL);

	check_ok(thpsim_mm_mmap_anon(e.mm, 0x4000, 0x3000, NULL));
	check_err(thpsim_mm_mmap_anon(e.mm, 0x6000, 0x2000, NULL),
		  -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "overlaps");
	check_contains(thpsim_errmsg(), "0x4000");
	check_err(thpsim_mm_mmap_anon(e.mm, 0x2000, 0x8000, NULL),
		  -THPSIM_EINVAL);

	check_err(thpsim_mm_fault(e.mm, 0x8000, false), -THPSIM_EFAULT);
	check_contains(thpsim_errmsg(), "0x8000");
	check_err(thpsim_mm_fault(e.mm, 0x3fff, true), -THPSIM_EFAULT);
	check_err(thpsim_mm_fault(e.mm, UINT64_MAX, true), -THPSIM_EFAULT);
	check_err(thpsim_mm_fault(NULL, 0, true), -THPSIM_EINVAL);
	check_ok(thpsim_mm_fault(e.mm, 0x4abc, true));	/* unaligned is fine */
	/* The second page of the read was never faulted in. */
	check_err(thpsim_mm_read(e.mm, 0x4ff8, buf, 16), -THPSIM_EFAULT);
	check_contains(thpsim_errmsg(), "no page present at 0x5000");
	check_err(thpsim_mm_write(e.mm, 0x3ff8, buf, 16), -THPSIM_EFAULT);
	check_contains(thpsim_errmsg(), "no VMA at 0x3ff8");
	check_err(thpsim_mm_read(e.mm, 0xfff8, buf, 16), -THPSIM_EFAULT);
	check_contains(thpsim_errmsg(), "outside");
	check_err(thpsim_mm_read(e.mm, 0x4000, NULL, 16), -THPSIM_EINVAL);
	check_ok(thpsim_mm_read(e.mm, 0x4000, buf, 0));
	check_err(thpsim_mm_walk(e.mm, 0x1000, &w), -THPSIM_EFAULT);
	check_contains(thpsim_errmsg(), "0x1000");
	check_err(thpsim_mm_walk(e.mm, 0x10000, &w), -THPSIM_EFAULT);
	check_err(thpsim_mm_walk(e.mm, 0, NULL), -THPSIM_EINVAL);

	check_err(thpsim_mm_munmap(e.mm, 0x4800, 0x1000), -THPSIM_EINVAL);
	check_err(thpsim_mm_munmap(e.mm, 0x4000, 0), -THPSIM_EINVAL);
	check_err(thpsim_mm_madvise_dontneed(e.mm, 0x3000, 0x2000),
		  -THPSIM_EFAULT);
	check_contains(thpsim_errmsg(), "no VMA at 0x3000");
	check_err(thpsim_mm_madvise_dontneed(e.mm, 0x4000, 0x4000),
		  -THPSIM_EFAULT);
	check_contains(thpsim_errmsg(), "0x7000");
	check_err(thpsim_mm_madvise_dontneed(e.mm, 0x4001, 0x1000),
		  -THPSIM_EINVAL);
	check_ok(thpsim_mm_destroy(NULL));
	check_ok(thpsim_file_destroy(NULL));
	mm_env_teardown(&e);
}

/* ---- concurrency ---------------------------------------------------------- */

struct stress {
	struct mm_env *e;
	uint64_t addr;
	unsigned npages;
	_Atomic int errors;
	char msg[256];
};

static void stress_fail(struct stress *s, int err)
{
	if (atomic_fetch_add(&s->errors, 1) == 0)
		snprintf(s->msg, sizeof(s->msg), "%s: %s", thpsim_err_name(err),
			 thpsim_errmsg());
}

/* Each CPU writes its own slot of pages spread over several PTE tables,
 * so faults race on pmd_install() and on the same PTEs, and now and then
 * zaps the whole range under everyone else's feet. */
static void stress_body(struct cpu_thread *t)
{
	struct stress *s = t->arg;
	uint64_t page = s->e->page;
	int err;

	for (unsigned it = 0; it < 400; it++) {
		unsigned pg = (it * 7 + (unsigned)t->id) % s->npages;
		uint64_t v = ((uint64_t)t->id << 32) | it;

		err = thpsim_mm_write(s->e->mm, s->addr + pg * page + t->id * 8,
				      &v, 8);
		if (err)
			stress_fail(s, err);
		if (it % 64 != 63)
			continue;
		err = thpsim_mm_madvise_dontneed(s->e->mm, s->addr,
						 s->npages * page);
		if (err)
			stress_fail(s, err);
	}
}

Test(memory, concurrent_faults_and_zaps, .timeout = 60)
{
	enum { THREADS = 4 };
	struct mm_env e;
	struct stress s = { .npages = 32 };
	struct cpu_thread t[THREADS];
	thpsim_mm_stats_t st;
	uint64_t present = 0, tables = 0;

	mm_env_setup(&e, "3x4", 12, 256);
	s.e = &e;
	s.addr = 4 * e.hpage;
	check_ok(thpsim_mm_mmap_anon(e.mm, s.addr, s.npages * e.page, NULL));
	for (int i = 0; i < THREADS; i++)
		cpu_thread_start(&t[i], e.m, stress_body, &s);
	for (int i = 0; i < THREADS; i++)
		cpu_thread_join(&t[i]);
	cr_assert(atomic_load(&s.errors) == 0, "%d errors, first: %s",
		  atomic_load(&s.errors), s.msg);

	/* The counters agree with what the tables hold. */
	for (unsigned i = 0; i < s.npages; i++) {
		thpsim_walk_t w;

		if (thpsim_mm_walk(e.mm, s.addr + i * e.page, &w) == 0) {
			present++;
			check_eq(page_info(e.m, w.pfn).mapcount, 1);
		}
	}
	thpsim_mm_stats(e.mm, &st);
	check_eq(st.anon_pages, present);
	for (unsigned l = 1; l <= e.geo.levels; l++)
		tables += st.nr_tables[l];
	/* 3x4: [64 KiB, 192 KiB) needs the root, two pmd tables (64 KiB
	 * each) and eight PTE tables (16 KiB each). */
	check_eq(tables, 1 + 2 + 8);
	check_eq(used_frames(e.m), tables + present);
	mm_env_teardown(&e);
}

struct not_cpu_result {
	thpsim_mm_t *mm;
	int fault, mmap, munmap, destroy;
};

static void *not_a_cpu(void *arg)
{
	struct not_cpu_result *r = arg;

	r->fault = thpsim_mm_fault(r->mm, 0, true);
	r->mmap = thpsim_mm_mmap_anon(r->mm, 0, 0x1000, NULL);
	r->munmap = thpsim_mm_munmap(r->mm, 0, 0x1000);
	r->destroy = thpsim_mm_destroy(r->mm);
	return NULL;
}

Test(memory, calls_need_a_registered_cpu, .timeout = 60)
{
	struct mm_env e;
	struct not_cpu_result r = { 0 };
	pthread_t th;

	mm_env_setup(&e, "2x4", 12, 16);
	r.mm = e.mm;
	cr_assert(pthread_create(&th, NULL, not_a_cpu, &r) == 0);
	pthread_join(th, NULL);
	check_eq(r.fault, -THPSIM_ENOTCPU);
	check_eq(r.mmap, -THPSIM_ENOTCPU);
	check_eq(r.munmap, -THPSIM_ENOTCPU);
	check_eq(r.destroy, -THPSIM_ENOTCPU);
	mm_env_teardown(&e);
}
