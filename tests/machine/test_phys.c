/*
 * test_phys.c - the frame allocator: failure injection, poison and
 * generations, LIFO reuse, compound pages, exhaustion, bounds checks,
 * references and the observer.
 */
#include "thpsim/phys.h"
#include "machine/phys.h"
#include "machine_test.h"

static thpsim_machine_t *phys_machine(size_t nr_frames, struct phys **p)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m = NULL;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.nr_frames = nr_frames;
	check_ok(thpsim_machine_create(&cfg, &m));
	*p = thpsim__machine_phys(m);
	cr_assert(*p, "machine has no phys");
	return m;
}

static thpsim_page_info_t info_of(thpsim_machine_t *m, unsigned long pfn)
{
	thpsim_page_info_t info;

	check_ok(thpsim_page_info(m, pfn, &info));
	return info;
}

static bool has_flag(thpsim_page_info_t info, thpsim_page_flag_t f)
{
	return (info.flags >> f) & 1;
}

Test(phys, inject_failure_per_kind, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = phys_machine(64, &p);
	thpsim_phys_stats_t st;
	unsigned long pfn;

	check_ok(thpsim_phys_inject_failure(m, THPSIM_ALLOC_TABLE, 2, 3));
	check_ok(phys_alloc(p, THPSIM_ALLOC_TABLE, 0, &pfn));
	check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &pfn));
	check_ok(phys_alloc(p, THPSIM_ALLOC_TABLE, 0, &pfn));
	for (int i = 0; i < 3; i++) {
		check_err(phys_alloc(p, THPSIM_ALLOC_TABLE, 0, &pfn),
			  -THPSIM_ENOFRAME);
		check_contains(thpsim_errmsg(), "injected");
		check_contains(thpsim_errmsg(), "table");
		/* Other kinds are not affected meanwhile. */
		check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &pfn));
		check_ok(phys_alloc(p, THPSIM_ALLOC_BATCH, 0, &pfn));
	}
	check_ok(phys_alloc(p, THPSIM_ALLOC_TABLE, 0, &pfn));
	thpsim_phys_stats(m, &st);
	check_eq(st.failed[THPSIM_ALLOC_TABLE], 3);
	check_eq(st.failed[THPSIM_ALLOC_DATA], 0);
	check_eq(st.allocs[THPSIM_ALLOC_TABLE], 3);
	check_eq(st.used[THPSIM_PAGE_TABLE], 3);
	check_eq(st.used[THPSIM_PAGE_DATA], 4);
	check_eq(st.used[THPSIM_PAGE_BATCH], 3);

	/* count 0 disables an armed injection. */
	check_ok(thpsim_phys_inject_failure(m, THPSIM_ALLOC_HUGE, 0, 5));
	check_ok(thpsim_phys_inject_failure(m, THPSIM_ALLOC_HUGE, 0, 0));
	check_ok(phys_alloc(p, THPSIM_ALLOC_HUGE, 2, &pfn));
	check_err(thpsim_phys_inject_failure(m, (thpsim_alloc_kind_t)9, 0, 1),
		  -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "9");
	thpsim_machine_destroy(m);
}

Test(phys, poison_and_generation_on_free, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = phys_machine(16, &p);
	thpsim_page_info_t before, after;
	unsigned char bytes[4096];
	unsigned long pfn;
	size_t ps;

	check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &pfn));
	ps = p->page_size;
	before = info_of(m, pfn);
	check_eq(before.kind, THPSIM_PAGE_DATA);
	check_eq(before.refcount, 1);
	check_eq(has_flag(before, THPSIM_PG_POISONED), 0);
	check_ok(thpsim_phys_read(m, pfn, 0, bytes, ps));
	for (size_t i = 0; i < ps; i++)
		check_eq(bytes[i], 0);	/* allocations come zeroed */
	memset(phys_bytes_map(p, pfn), 0x5a, ps);

	check_ok(phys_free(p, pfn));
	after = info_of(m, pfn);
	check_eq(after.kind, THPSIM_PAGE_FREE);
	check_eq(after.refcount, 0);
	check_eq(has_flag(after, THPSIM_PG_POISONED), 1);
	check_eq(after.generation, before.generation + 1);
	check_ok(thpsim_phys_read(m, pfn, 0, bytes, ps));
	for (size_t i = 0; i < ps; i++)
		check_eq(bytes[i], THPSIM_POISON_BYTE);

	/* A table frame is marked FREED as well. */
	check_ok(phys_alloc(p, THPSIM_ALLOC_TABLE, 0, &pfn));
	check_eq(info_of(m, pfn).generation, after.generation + 1);
	page_pt_set_state(pfn_to_page(p, pfn), THPSIM_PT_LIVE, 0x4000);
	check_eq(info_of(m, pfn).pt_state, THPSIM_PT_LIVE);
	check_eq(info_of(m, pfn).pt_addr, 0x4000);
	check_ok(phys_free(p, pfn));
	check_eq(info_of(m, pfn).pt_state, THPSIM_PT_FREED);
	check_eq(info_of(m, pfn).generation, after.generation + 2);

	check_err(phys_free(p, pfn), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "already free");
	thpsim_machine_destroy(m);
}

Test(phys, lifo_reuse, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = phys_machine(16, &p);
	unsigned long a, b, x, y;

	check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &a));
	check_ok(phys_alloc(p, THPSIM_ALLOC_TABLE, 0, &b));
	check_ne(a, b);
	check_ok(phys_free(p, a));
	check_ok(phys_free(p, b));
	check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &x));
	check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &y));
	check_eq(x, b);
	check_eq(y, a);
	thpsim_machine_destroy(m);
}

Test(phys, compound_pages, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = phys_machine(32, &p);
	thpsim_phys_stats_t st0, st;
	unsigned long small, huge;

	/* Occupy pfn 0 so the first aligned run of 8 starts at 8. */
	check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &small));
	check_eq(small, 0);
	thpsim_phys_stats(m, &st0);
	check_ok(phys_alloc(p, THPSIM_ALLOC_HUGE, 3, &huge));
	check_eq(huge % 8, 0);
	check_eq(huge, 8);
	for (unsigned long i = 0; i < 8; i++) {
		thpsim_page_info_t in = info_of(m, huge + i);

		check_eq(in.kind, THPSIM_PAGE_HUGE);
		check_eq(in.order, 3);
		check_eq(in.head_pfn, huge);
		check_eq(has_flag(in, THPSIM_PG_HEAD), i == 0);
		check_eq(has_flag(in, THPSIM_PG_TAIL), i != 0);
		check_eq(in.refcount, i == 0 ? 1 : 0);
	}
	thpsim_phys_stats(m, &st);
	check_eq(st.used[THPSIM_PAGE_HUGE], 8);
	check_eq(st.nr_free, st0.nr_free - 8);

	/* The frames are off the free list: order-0 allocs avoid them. */
	for (unsigned long i = 0; i < st.nr_free; i++) {
		unsigned long pfn;

		check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &pfn));
		cr_assert(pfn < huge || pfn >= huge + 8,
			  "order-0 alloc got pfn %lu inside the compound [%lu, %lu)",
			  pfn, huge, huge + 8);
	}
	/* A reference through a tail counts on the head. */
	get_page(pfn_to_page(p, huge + 3));
	check_eq(info_of(m, huge).refcount, 2);
	put_page(pfn_to_page(p, huge + 5));
	check_err(phys_free(p, huge + 1), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "tail");

	check_ok(phys_free(p, huge));
	thpsim_phys_stats(m, &st);
	check_eq(st.used[THPSIM_PAGE_HUGE], 0);
	check_eq(st.nr_free, 8);
	for (unsigned long i = 0; i < 8; i++) {
		thpsim_page_info_t in = info_of(m, huge + i);

		check_eq(in.kind, THPSIM_PAGE_FREE);
		check_eq(in.head_pfn, huge + i);
		check_eq(has_flag(in, THPSIM_PG_TAIL), 0);
		check_eq(has_flag(in, THPSIM_PG_POISONED), 1);
	}
	/* Order 4 (16 aligned frames) cannot fit any more. */
	check_err(phys_alloc(p, THPSIM_ALLOC_HUGE, 4, &huge), -THPSIM_ENOFRAME);
	thpsim_machine_destroy(m);
}

Test(phys, exhaustion, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = phys_machine(16, &p);
	thpsim_phys_stats_t st;
	unsigned long pfn;

	for (int i = 0; i < 16; i++)
		check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &pfn));
	check_err(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &pfn), -THPSIM_ENOFRAME);
	check_contains(thpsim_errmsg(), "exhausted");
	check_contains(thpsim_errmsg(), "data");
	cr_assert_null(alloc_pages(p, THPSIM_ALLOC_TABLE, 0));
	thpsim_phys_stats(m, &st);
	check_eq(st.nr_free, 0);
	check_eq(st.used[THPSIM_PAGE_DATA], 16);
	check_eq(st.failed[THPSIM_ALLOC_DATA], 1);
	check_eq(st.failed[THPSIM_ALLOC_TABLE], 1);
	thpsim_machine_destroy(m);
}

Test(phys, pfn_bounds_never_crash, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = phys_machine(16, &p);
	thpsim_page_info_t info;
	char buf[8];
	int local;

	cr_assert(pfn_valid(p, 15));
	cr_assert(!pfn_valid(p, 16));
	cr_assert(!pfn_valid(p, ~0UL));
	cr_assert(!pfn_valid(NULL, 0));
	cr_assert_null(pfn_to_page(p, 16));
	cr_assert_null(pfn_to_virt(p, 0x6b6b6b6b6bUL));
	cr_assert_null(virt_to_page(p, &local));
	cr_assert_not_null(virt_to_page(p, (char *)pfn_to_virt(p, 3) + 7));
	check_eq(page_to_pfn(virt_to_page(p, (char *)pfn_to_virt(p, 3) + 7)), 3);

	check_err(thpsim_page_info(m, 16, &info), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "pfn 16");
	check_err(thpsim_page_info(m, UINT64_MAX, &info), -THPSIM_EINVAL);
	check_err(thpsim_page_info(NULL, 0, &info), -THPSIM_EINVAL);
	check_err(thpsim_phys_read(m, 99, 0, buf, 8), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "pfn 99");
	check_err(thpsim_phys_read(m, 0, p->page_size - 4, buf, 8),
		  -THPSIM_EINVAL);
	check_err(phys_free(p, 1000), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "pfn 1000");
	thpsim_machine_destroy(m);
}

Test(phys, references_and_try_get, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = phys_machine(16, &p);
	struct page *page = alloc_pages(p, THPSIM_ALLOC_DATA, 0);
	uint64_t gen;

	cr_assert_not_null(page);
	gen = page_generation(page);
	cr_assert(try_get_page(page));
	check_eq(page_ref_count(page), 2);
	cr_assert(!page_ref_add_unless(page, 5, 2));
	check_eq(page_ref_count(page), 2);
	cr_assert(page_ref_add_unless(page, 5, 0));
	check_eq(page_ref_count(page), 7);
	for (int i = 0; i < 6; i++)
		put_page(page);
	check_eq(page_generation(page), gen);
	put_page(page);			/* the last one frees */
	check_eq(page_generation(page), gen + 1);
	check_eq(page_kind(page), THPSIM_PAGE_FREE);
	/* A speculative grab of a freed page fails and leaves it alone. */
	cr_assert(!try_get_page(page));
	check_eq(page_ref_count(page), 0);
	thpsim_machine_destroy(m);
}

struct event_log {
	int n;
	thpsim_phys_event_t ev[16];
};

static void log_event(const thpsim_phys_event_t *ev, void *arg)
{
	struct event_log *log = arg;

	if (log->n < 16)
		log->ev[log->n++] = *ev;
}

Test(phys, observer_sees_events, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = phys_machine(16, &p);
	struct event_log log = { 0 };
	unsigned long table, pfn, huge;

	thpsim_phys_set_observer(m, log_event, &log);
	check_ok(phys_alloc(p, THPSIM_ALLOC_TABLE, 0, &table));
	pfn = table;
	page_pt_set_state(pfn_to_page(p, pfn), THPSIM_PT_DETACHED, 0);
	page_pt_set_state(pfn_to_page(p, pfn), THPSIM_PT_LIVE, 0x2000);
	check_ok(phys_free(p, pfn));
	check_ok(phys_alloc(p, THPSIM_ALLOC_HUGE, 2, &huge));
	check_ok(phys_free(p, huge));
	thpsim_phys_set_observer(m, NULL, NULL);
	check_ok(phys_alloc(p, THPSIM_ALLOC_DATA, 0, &pfn));

	check_eq(log.n, 6);
	check_eq(log.ev[0].what, THPSIM_PHYS_EV_ALLOC);
	check_eq(log.ev[0].pfn, table);
	check_eq(log.ev[1].pfn, table);
	check_eq(log.ev[3].pfn, table);
	check_eq(log.ev[0].kind, THPSIM_PAGE_TABLE);
	check_eq(log.ev[1].what, THPSIM_PHYS_EV_PT_STATE);
	check_eq(log.ev[1].pt_old_state, THPSIM_PT_NONE);
	check_eq(log.ev[1].pt_state, THPSIM_PT_DETACHED);
	check_eq(log.ev[2].pt_state, THPSIM_PT_LIVE);
	check_eq(log.ev[2].pt_addr, 0x2000);
	check_eq(log.ev[2].generation, log.ev[0].generation);
	check_eq(log.ev[3].what, THPSIM_PHYS_EV_FREE);
	check_eq(log.ev[3].kind, THPSIM_PAGE_TABLE);
	check_eq(log.ev[3].pt_old_state, THPSIM_PT_LIVE);
	check_eq(log.ev[3].pt_state, THPSIM_PT_FREED);
	check_eq(log.ev[3].generation, log.ev[0].generation + 1);
	check_eq(log.ev[4].what, THPSIM_PHYS_EV_ALLOC);
	check_eq(log.ev[4].order, 2);
	check_eq(log.ev[4].pfn, huge);
	check_eq(log.ev[5].what, THPSIM_PHYS_EV_FREE);
	check_eq(log.ev[5].kind, THPSIM_PAGE_HUGE);
	check_eq(log.ev[5].order, 2);
	thpsim_machine_destroy(m);
}
