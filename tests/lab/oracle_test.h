/*
 * oracle_test.h - a tiny builder of synthetic event histories for the
 * oracle suites: frames, entries, walks, as the model would report them.
 *
 * Threads as in the scenarios (KERNEL-NOTES.md section 8): K (khugepaged)
 * on CPU 0, G (GUP-fast) on CPU 1, U (user zap) on CPU 2, S (splitter)
 * on CPU 3.  The geometry is small (2 levels x 4 entries) unless a test
 * asks for another; a and b are two neighbouring pmds.
 */
#ifndef THPSIM_TESTS_LAB_ORACLE_TEST_H
#define THPSIM_TESTS_LAB_ORACLE_TEST_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch/pgtable_x86.h"
#include "lab/oracle.h"
#include "thpsim/machine.h"
#include "../machine/machine_test.h"

#define NR_FRAMES 64
#define ROOT 1		/* the pmd table (2 levels) */
#define T 17		/* the PTE table raced on */
#define P 33		/* pages mapped through T */
#define P1 34
#define H 40		/* a huge page, 4 frames (order 2) */
#define H2 48		/* another huge page, at B */
#define K 0
#define G 1
#define U 2
#define S 3

struct hist {
	struct oracle *o;
	thpsim_geometry_t g;
	uint64_t a, b;		/* two pmds of the same pmd table */
	uint64_t seq, step;
	uint64_t gen[NR_FRAMES];
};

static inline uint64_t put(struct hist *h, thpsim_event_t ev)
{
	ev.seq = h->seq++;
	ev.step = h->step;
	ev.point = -1;
	oracle_feed(h->o, &ev);
	return ev.seq;
}

#define EV(h, c, k, ...)                                                     \
	put((h), (thpsim_event_t){ .cpu = (c), .kind = THPSIM_EV_##k,        \
				   __VA_ARGS__ })

static inline uint64_t pte(uint64_t pfn)
{
	return pte_val(pfn_pte(pfn, PAGE_SHARED));
}

static inline uint64_t pmd_table(uint64_t pfn)
{
	return pmd_val(pmd_mktable(pfn));
}

static inline uint64_t pmd_huge(uint64_t pfn)
{
	return pmd_val(mk_huge_pmd(pfn, PAGE_SHARED));
}

static inline uint64_t page(struct hist *h, uint64_t base, unsigned i)
{
	return base + ((uint64_t)i << h->g.page_shift);
}

static inline void hist_init(struct hist *h, unsigned levels, unsigned entries)
{
	memset(h, 0, sizeof(*h));
	h->g = (thpsim_geometry_t){ levels, entries, 12 };
	h->o = oracle_create(&h->g, NR_FRAMES);
	cr_assert(h->o, "oracle_create: %s", thpsim_errmsg());
	/* Two neighbouring pmds, both in the same pmd table. */
	h->a = 2 * thpsim_geometry_hpage_size(&h->g);
	h->b = 3 * thpsim_geometry_hpage_size(&h->g);
}

static inline uint64_t alloc(struct hist *h, int cpu, uint64_t pfn, int kind,
		      int order)
{
	h->gen[pfn]++;
	return EV(h, cpu, FRAME_ALLOC, .pfn = pfn, .arg = kind,
		  .level = order, .gen = h->gen[pfn]);
}

static inline uint64_t release(struct hist *h, int cpu, uint64_t pfn, int kind)
{
	h->gen[pfn]++;
	return EV(h, cpu, FRAME_FREE, .pfn = pfn, .arg = kind,
		  .gen = h->gen[pfn]);
}

static inline uint64_t tstate(struct hist *h, int cpu, uint64_t pfn, int from,
		       int to)
{
	return EV(h, cpu, TABLE_STATE, .pfn = pfn, .arg = to, .val = from,
		  .gen = h->gen[pfn]);
}

static inline uint64_t set_pmd(struct hist *h, int cpu, uint64_t addr,
			       uint64_t old, uint64_t new)
{
	return EV(h, cpu, ENTRY_SET, .level = 2, .pfn = ROOT, .addr = addr,
		  .idx = (int)((addr >> thpsim_geometry_level_shift(&h->g, 2)) &
			       (h->g.entries - 1)),
		  .val = old,
		  .val2 = new);
}

static inline uint64_t set_pte(struct hist *h, int cpu, uint64_t table, int idx,
			uint64_t addr, uint64_t old, uint64_t new)
{
	return EV(h, cpu, ENTRY_SET, .level = 1, .pfn = table, .idx = idx,
		  .addr = addr, .val = old, .val2 = new);
}

static inline uint64_t read_pmd(struct hist *h, int cpu, uint64_t addr,
			 uint64_t val)
{
	return EV(h, cpu, WALK_READ, .level = 2, .pfn = ROOT, .addr = addr,
		  .val = val, .gen = h->gen[ROOT], .arg = THPSIM_PT_LIVE);
}

static inline uint64_t read_pte(struct hist *h, int cpu, uint64_t table,
				int idx, uint64_t addr, uint64_t val, int state)
{
	return EV(h, cpu, WALK_READ, .level = 1, .pfn = table, .idx = idx,
		  .addr = addr, .val = val, .arg = state,
		  .gen = table < NR_FRAMES ? h->gen[table] : 0);
}

/* The world every scenario starts from: T maps P and P1 at a, a+1. */
static inline void setup(struct hist *h)
{
	h->step = 0;
	alloc(h, -1, ROOT, THPSIM_ALLOC_TABLE, 0);
	tstate(h, -1, ROOT, THPSIM_PT_DETACHED, THPSIM_PT_LIVE);
	alloc(h, -1, T, THPSIM_ALLOC_TABLE, 0);
	alloc(h, -1, P, THPSIM_ALLOC_DATA, 0);
	alloc(h, -1, P1, THPSIM_ALLOC_DATA, 0);
	set_pte(h, -1, T, 0, h->a, 0, pte(P));
	set_pte(h, -1, T, 1, page(h, h->a, 1), 0, pte(P1));
	set_pmd(h, -1, h->a, 0, pmd_table(T));
	tstate(h, -1, T, THPSIM_PT_DETACHED, THPSIM_PT_LIVE);
}

/* G: IRQs off, a one-page walk of addr, pmd read (S1/S2/S3/S5 step 1). */
static inline void g_reads_pmd(struct hist *h, uint64_t addr)
{
	h->step = 1;
	EV(h, G, IRQ_OFF);
	EV(h, G, WALK_BEGIN, .addr = addr, .val = 1,
	   .arg = THPSIM_WALKER_GUP_FAST);
	read_pmd(h, G, addr, pmd_table(T));
}

/* K: collapse a into huge page H and deposit T (S1 steps 3-4). */
static inline void k_collapses(struct hist *h)
{
	h->step = 2;
	EV(h, K, COLLAPSE_BEGIN, .addr = h->a, .what = "anon");
	set_pmd(h, K, h->a, pmd_table(T), 0);
	EV(h, K, ISOLATE, .pfn2 = P, .addr = h->a, .arg = 1, .val = 1,
	   .val2 = 1);
	alloc(h, K, H, THPSIM_ALLOC_HUGE, 2);
	EV(h, K, COPY, .pfn = H, .pfn2 = P, .addr = h->a, .arg = 1);
	set_pte(h, K, T, 0, h->a, pte(P), 0);
	release(h, K, P, THPSIM_ALLOC_DATA);
	EV(h, K, COPY, .pfn = H + 1, .pfn2 = P1, .addr = page(h, h->a, 1),
	   .arg = 1);
	set_pte(h, K, T, 1, page(h, h->a, 1), pte(P1), 0);
	release(h, K, P1, THPSIM_ALLOC_DATA);
	EV(h, K, DEPOSIT, .pfn = T, .pfn2 = ROOT, .what = "generic");
	tstate(h, K, T, THPSIM_PT_DETACHED, THPSIM_PT_DEPOSITED);
	set_pmd(h, K, h->a, 0, pmd_huge(H));
	EV(h, K, COLLAPSE_END, .arg = 0, .what = "SCAN_SUCCEED");
}

/* The verdict, also logged (run with --verbose to read the findings). */
static inline void verdict(struct hist *h, thpsim_verdict_t *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	oracle_verdict(h->o, v);
	cr_assert(v->outcome < THPSIM_OUTCOME__NR);
	mem = open_memstream(&buf, &len);
	if (!mem)
		return;
	thpsim_verdict_print(v, mem);
	fclose(mem);
	cr_log_info("%s", buf);
	free(buf);
}

static inline void hist_fini(struct hist *h)
{
	oracle_destroy(h->o);
}

#define check_outcome(v, c)                                                  \
	cr_assert((v).outcome == THPSIM_OUTCOME_##c,                         \
		  "outcome %s, expected %s (first %s: %s)",                  \
		  thpsim_outcome_name((v).outcome), #c,                      \
		  thpsim_outcome_name((v).outcome),                          \
		  (v).first[(v).outcome].text)

#endif /* THPSIM_TESTS_LAB_ORACLE_TEST_H */
