/*
 * test_oracle.c - the oracle on the races of KERNEL-NOTES.md section 8:
 * each test builds the event stream of one scenario by hand (S1, S3, S4,
 * S5, S6 and controls) and checks the class, and the evidence, the oracle
 * finds in it.  Other classes and odd input: test_oracle_edges.c.
 */
#include "oracle_test.h"

/* ---- S1: deposited table freed by a zap, then read ----------------------- */

static uint64_t s1_history(struct hist *h, bool zap_frees)
{
	uint64_t free_seq = THPSIM_NO_SEQ;

	setup(h);
	g_reads_pmd(h, h->a);
	k_collapses(h);
	h->step = 3;
	if (zap_frees) {
		set_pmd(h, U, h->a, pmd_huge(H), 0);
		tstate(h, U, T, THPSIM_PT_DEPOSITED, THPSIM_PT_DETACHED);
		free_seq = release(h, U, T, THPSIM_ALLOC_TABLE);
		alloc(h, U, T, THPSIM_ALLOC_DATA, 0);	/* reused */
	}
	h->step = 4;
	read_pte(h, G, T, 0, h->a, zap_frees ? 0 : 0,
		 zap_frees ? THPSIM_PT_NONE : THPSIM_PT_DEPOSITED);
	EV(h, G, WALK_BAIL, .level = 1, .what = "pte none");
	EV(h, G, WALK_END);
	EV(h, G, IRQ_ON);
	return free_seq;
}

Test(oracle, s1_uaf_with_the_free_as_evidence, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	const thpsim_finding_t *f;
	uint64_t free_seq;

	hist_init(&h, 2, 4);
	free_seq = s1_history(&h, true);
	verdict(&h, &v);
	check_outcome(v, UAF);
	f = &v.first[THPSIM_OUTCOME_UAF];
	check_eq(f->cause_seq, free_seq);
	check_eq(f->cause_step, 3);
	check_eq(f->cause_cpu, U);
	check_eq(f->cpu, G);
	check_eq(f->step, 4);
	check_eq(f->pfn, T);
	check_eq(f->gen_then, 1);
	check_eq(f->gen_now, 3);
	check_eq(f->read_step, 1);
	check_eq(v.counts[THPSIM_OUTCOME_UAF], 1);
	check_contains(f->text, "table frame 17");
	check_contains(f->text, "freed at step 3 by CPU 2");
	check_contains(f->text, "generation now 3");
	check_contains(f->text, "reused");
	cr_assert(thpsim_outcome_is_violation(v.outcome));
	hist_fini(&h);
}

Test(oracle, s1_without_the_free_is_safe, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	s1_history(&h, false);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		check_eq(v.counts[c], 0);
	check_eq(v.nr_ignored, 0);
	hist_fini(&h);
}

Test(oracle, read_of_a_freed_table_without_a_walk_is_uaf, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	setup(&h);
	set_pmd(&h, U, h.a, pmd_table(T), 0);
	release(&h, U, T, THPSIM_ALLOC_TABLE);
	h.step = 5;
	read_pte(&h, G, T, 2, page(&h, h.a, 2), 0x6b6b6b6b6b6b6b6bULL,
		 THPSIM_PT_FREED);
	verdict(&h, &v);
	check_outcome(v, UAF);
	/* The poison read is not GARBAGE on top of the UAF. */
	cr_assert(!v.found[THPSIM_OUTCOME_GARBAGE]);
	check_contains(v.first[THPSIM_OUTCOME_UAF].text, "pte 2");
	hist_fini(&h);
}

/* ---- S3: radix deposit writes list pointers into slots 0 and 1 ----------- */

static void s3_history(struct hist *h, uint64_t slot0)
{
	setup(h);
	g_reads_pmd(h, h->a);
	k_collapses(h);
	set_pte(h, K, T, 0, h->a, 0, slot0);	/* the deposit's list */
	h->step = 3;
	read_pte(h, G, T, 0, h->a, slot0, THPSIM_PT_DEPOSITED);
	EV(h, G, WALK_BAIL, .level = 1);
	EV(h, G, WALK_END);
}

Test(oracle, s3_deposited_slot_read_nonzero_is_garbage, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	s3_history(&h, 0xc000000000001234ULL);
	verdict(&h, &v);
	check_outcome(v, GARBAGE);
	check_eq(v.first[THPSIM_OUTCOME_GARBAGE].pfn, T);
	check_eq(v.first[THPSIM_OUTCOME_GARBAGE].step, 3);
	check_eq(v.first[THPSIM_OUTCOME_GARBAGE].cause_step, 2);
	check_contains(v.first[THPSIM_OUTCOME_GARBAGE].text, "deposited");
	hist_fini(&h);
}

Test(oracle, s3_deposited_slot_read_as_zero_is_safe, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	s3_history(&h, 0);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	hist_fini(&h);
}

/* ---- S4: Yang Shi's race, stale pin after the isolate check -------------- */

/* G has read the pmd and the pte of a; K cleared the pmd. */
static void s4_start(struct hist *h)
{
	setup(h);
	g_reads_pmd(h, h->a);
	read_pte(h, G, T, 0, h->a, pte(P), THPSIM_PT_LIVE);
	h->step = 2;
	EV(h, K, COLLAPSE_BEGIN, .addr = h->a);
	set_pmd(h, K, h->a, pmd_table(T), 0);	/* pmdp_collapse_flush */
}

static void g_pins_p(struct hist *h, bool recheck_pmd)
{
	EV(h, G, WALK_GRAB, .pfn2 = P, .addr = h->a, .arg = 1, .val = 1);
	EV(h, G, WALK_RECHECK, .level = 1, .pfn = T, .idx = 0, .addr = h->a,
	   .arg = 1, .val = pte(P), .val2 = pte(P));
	if (recheck_pmd) {
		EV(h, G, WALK_RECHECK, .level = 2, .addr = h->a, .arg = 0,
		   .val = pmd_table(T), .val2 = 0);
		EV(h, G, WALK_UNGRAB, .pfn2 = P, .addr = h->a);
	} else {
		EV(h, G, WALK_PIN, .pfn2 = P, .addr = h->a);
	}
	EV(h, G, WALK_END, .arg = recheck_pmd ? 0 : 1);
	EV(h, G, IRQ_ON);
}

/* K finishes the collapse of S4 step 4. */
static uint64_t k_copies_p(struct hist *h)
{
	uint64_t copy_seq;

	h->step = 4;
	alloc(h, K, H, THPSIM_ALLOC_HUGE, 2);
	copy_seq = EV(h, K, COPY, .pfn = H, .pfn2 = P, .addr = h->a,
		      .arg = 1);
	set_pte(h, K, T, 0, h->a, pte(P), 0);
	set_pmd(h, K, h->a, 0, pmd_huge(H));
	return copy_seq;
}

Test(oracle, s4_recheck_off_is_stale_pin_at_the_copy, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	const thpsim_finding_t *f;
	uint64_t copy_seq;

	hist_init(&h, 2, 4);
	s4_start(&h);
	EV(&h, K, ISOLATE, .pfn2 = P, .addr = h.a, .arg = 1, .val = 1,
	   .val2 = 1);
	h.step = 3;
	g_pins_p(&h, false);
	copy_seq = k_copies_p(&h);
	verdict(&h, &v);
	check_outcome(v, STALE_PIN);
	f = &v.first[THPSIM_OUTCOME_STALE_PIN];
	check_eq(f->cause_seq, copy_seq);
	check_eq(f->seq, copy_seq);
	check_eq(f->read_step, 3);
	check_eq(f->pfn2, P);
	check_eq(f->pfn, H);
	check_eq(f->addr, h.a);
	cr_assert(!v.found[THPSIM_OUTCOME_WRONG_ADDR]);
	check_contains(f->text, "isolate check passed at step 2");
	hist_fini(&h);
}

Test(oracle, s4_copy_before_the_pin_is_stale_pin_at_the_pin, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	uint64_t pin_seq;

	hist_init(&h, 2, 4);
	s4_start(&h);
	EV(&h, K, ISOLATE, .pfn2 = P, .addr = h.a, .arg = 1);
	alloc(&h, K, H, THPSIM_ALLOC_HUGE, 2);
	EV(&h, K, COPY, .pfn = H, .pfn2 = P, .addr = h.a, .arg = 1);
	h.step = 3;
	EV(&h, G, WALK_GRAB, .pfn2 = P, .addr = h.a, .arg = 1);
	pin_seq = EV(&h, G, WALK_PIN, .pfn2 = P, .addr = h.a);
	verdict(&h, &v);
	check_outcome(v, STALE_PIN);
	check_eq(v.first[THPSIM_OUTCOME_STALE_PIN].seq, pin_seq);
	hist_fini(&h);
}

Test(oracle, s4_recheck_on_drops_the_right_page_safe, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	s4_start(&h);
	EV(&h, K, ISOLATE, .pfn2 = P, .addr = h.a, .arg = 1);
	h.step = 3;
	g_pins_p(&h, true);
	k_copies_p(&h);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	hist_fini(&h);
}

/* X0: the flush IPI waits for G, G pins while the pmd is clear, isolate
 * then sees the pin and the collapse puts the table back: BLOCKED only. */
Test(oracle, s4_pin_seen_by_isolate_is_not_stale, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	s4_start(&h);
	EV(&h, K, IPI_SEND, .arg = G, .what = "flush_tlb_func");
	EV(&h, K, IPI_WAIT, .arg = G, .val = 1);
	h.step = 3;
	g_pins_p(&h, false);
	EV(&h, G, IPI_RUN, .arg = K);
	h.step = 4;
	EV(&h, K, IPI_WAIT_END, .arg = G);
	EV(&h, K, ISOLATE, .pfn2 = P, .addr = h.a, .arg = 0, .val = 2,
	   .val2 = 1);
	set_pmd(&h, K, h.a, 0, pmd_table(T));
	EV(&h, K, COLLAPSE_END, .what = "SCAN_PAGE_COUNT");
	verdict(&h, &v);
	check_outcome(v, BLOCKED);
	cr_assert(!v.found[THPSIM_OUTCOME_STALE_PIN]);
	hist_fini(&h);
}

Test(oracle, pin_then_legitimate_munmap_is_safe, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	setup(&h);
	g_reads_pmd(&h, h.a);
	read_pte(&h, G, T, 0, h.a, pte(P), THPSIM_PT_LIVE);
	g_pins_p(&h, false);
	h.step = 2;
	EV(&h, U, ZAP, .addr = h.a, .val = h.b);
	set_pte(&h, U, T, 0, h.a, pte(P), 0);
	set_pte(&h, U, T, 1, page(&h, h.a, 1), pte(P1), 0);
	release(&h, U, P1, THPSIM_ALLOC_DATA);
	set_pmd(&h, U, h.a, pmd_table(T), 0);
	release(&h, U, T, THPSIM_ALLOC_TABLE);
	h.step = 3;
	EV(&h, G, WALK_UNPIN, .pfn2 = P, .addr = h.a);
	release(&h, G, P, THPSIM_ALLOC_DATA);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	check_eq(v.nr_ignored, 0);
	hist_fini(&h);
}

Test(oracle, pinned_page_freed_is_corruption, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	uint64_t free_seq;

	hist_init(&h, 2, 4);
	setup(&h);
	g_reads_pmd(&h, h.a);
	read_pte(&h, G, T, 0, h.a, pte(P), THPSIM_PT_LIVE);
	g_pins_p(&h, false);
	h.step = 2;
	set_pte(&h, U, T, 0, h.a, pte(P), 0);
	free_seq = release(&h, U, P, THPSIM_ALLOC_DATA);
	verdict(&h, &v);
	check_outcome(v, CORRUPTION);
	check_eq(v.first[THPSIM_OUTCOME_CORRUPTION].seq, free_seq);
	check_eq(v.first[THPSIM_OUTCOME_CORRUPTION].pfn2, P);
	check_contains(v.first[THPSIM_OUTCOME_CORRUPTION].text, "pin");
	hist_fini(&h);
}

/* ---- S5: deposited table withdrawn at another address -------------------- */

static void s5_history(struct hist *h, bool recheck_pmd)
{
	setup(h);
	alloc(h, -1, H2, THPSIM_ALLOC_HUGE, 2);
	set_pmd(h, -1, h->b, 0, pmd_huge(H2));
	g_reads_pmd(h, page(h, h->a, 1));
	k_collapses(h);
	h->step = 3;		/* S splits the THP at b, reusing T */
	set_pmd(h, S, h->b, pmd_huge(H2), pmd_huge(H2) & ~_PAGE_PRESENT);
	EV(h, S, WITHDRAW, .pfn = T, .pfn2 = ROOT);
	tstate(h, S, T, THPSIM_PT_DEPOSITED, THPSIM_PT_DETACHED);
	for (int i = 0; i < 4; i++)
		set_pte(h, S, T, i, page(h, h->b, i), 0, pte(H2 + i));
	set_pmd(h, S, h->b, pmd_huge(H2) & ~_PAGE_PRESENT, pmd_table(T));
	tstate(h, S, T, THPSIM_PT_DETACHED, THPSIM_PT_LIVE);
	h->step = 4;		/* G reads T[1], which now maps b + 1 */
	read_pte(h, G, T, 1, page(h, h->a, 1), pte(H2 + 1), THPSIM_PT_LIVE);
	EV(h, G, WALK_GRAB, .pfn2 = H2 + 1, .addr = page(h, h->a, 1),
	   .arg = 1);
	EV(h, G, WALK_RECHECK, .level = 1, .pfn = T, .idx = 1,
	   .addr = page(h, h->a, 1), .arg = 1, .val = pte(H2 + 1),
	   .val2 = pte(H2 + 1));
	if (recheck_pmd) {
		EV(h, G, WALK_RECHECK, .level = 2, .addr = page(h, h->a, 1),
		   .arg = 0, .val = pmd_table(T), .val2 = pmd_huge(H));
		EV(h, G, WALK_UNGRAB, .pfn2 = H2 + 1, .addr = page(h, h->a, 1));
	} else {
		EV(h, G, WALK_PIN, .pfn2 = H2 + 1, .addr = page(h, h->a, 1));
	}
	EV(h, G, WALK_END);
}

Test(oracle, s5_recheck_on_is_spec_ref, .timeout = 30)
{
	for (int geo = 0; geo < 2; geo++) {
		struct hist h;
		thpsim_verdict_t v;

		hist_init(&h, geo ? 4 : 2, geo ? 512 : 4);
		s5_history(&h, true);
		verdict(&h, &v);
		check_outcome(v, SPEC_REF);
		check_eq(v.first[THPSIM_OUTCOME_SPEC_REF].addr,
			 page(&h, h.a, 1));
		check_eq(v.first[THPSIM_OUTCOME_SPEC_REF].read_step, 4);
		cr_assert(!thpsim_outcome_is_violation(v.outcome));
		hist_fini(&h);
	}
}

Test(oracle, s5_recheck_off_is_wrong_addr, .timeout = 30)
{
	for (int geo = 0; geo < 2; geo++) {
		struct hist h;
		thpsim_verdict_t v;
		const thpsim_finding_t *f;

		hist_init(&h, geo ? 4 : 2, geo ? 512 : 4);
		s5_history(&h, false);
		verdict(&h, &v);
		check_outcome(v, WRONG_ADDR);
		f = &v.first[THPSIM_OUTCOME_WRONG_ADDR];
		check_eq(f->pfn2, H2 + 1);
		check_eq(f->addr, page(&h, h.a, 1));
		/* The collapse's huge pmd at a is the last change there. */
		check_eq(f->cause_step, 2);
		check_contains(f->text, "page 41");	/* H + 1 is there */
		hist_fini(&h);
	}
}

/* ---- S6: the collapse fails and puts the same table back ----------------- */

Test(oracle, s6_restored_pmd_is_benign_aba, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	const thpsim_finding_t *f;
	uint64_t clear_seq;

	hist_init(&h, 2, 4);
	setup(&h);
	g_reads_pmd(&h, h.a);
	read_pte(&h, G, T, 0, h.a, pte(P), THPSIM_PT_LIVE);
	h.step = 2;
	clear_seq = set_pmd(&h, K, h.a, pmd_table(T), 0);
	EV(&h, K, ISOLATE, .pfn2 = P, .addr = h.a, .arg = 0);
	set_pmd(&h, K, h.a, 0, pmd_table(T));
	h.step = 3;
	EV(&h, G, WALK_GRAB, .pfn2 = P, .addr = h.a, .arg = 1);
	EV(&h, G, WALK_RECHECK, .level = 2, .addr = h.a, .arg = 1,
	   .val = pmd_table(T), .val2 = pmd_table(T));
	EV(&h, G, WALK_RECHECK, .level = 1, .pfn = T, .idx = 0, .addr = h.a,
	   .arg = 1, .val = pte(P), .val2 = pte(P));
	EV(&h, G, WALK_PIN, .pfn2 = P, .addr = h.a);
	EV(&h, G, WALK_END, .arg = 1);
	verdict(&h, &v);
	check_outcome(v, BENIGN_ABA);
	f = &v.first[THPSIM_OUTCOME_BENIGN_ABA];
	check_eq(f->cause_seq, clear_seq);
	check_eq(f->read_step, 1);
	check_eq(v.counts[THPSIM_OUTCOME_BENIGN_ABA], 1);	/* pte same */
	hist_fini(&h);
}

Test(oracle, unchanged_recheck_is_not_aba, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	setup(&h);
	g_reads_pmd(&h, h.a);
	read_pte(&h, G, T, 0, h.a, pte(P), THPSIM_PT_LIVE);
	g_pins_p(&h, false);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	hist_fini(&h);
}

/* Pages mapped only after the walk began count as mapped during it. */
Test(oracle, pages_mapped_during_the_walk_are_right, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	uint64_t a2 = 0;

	hist_init(&h, 2, 4);
	setup(&h);
	h.step = 1;	/* a 2-pmd walk: a+2 (in T), b (no table yet) */
	a2 = page(&h, h.a, 2);
	EV(&h, G, WALK_BEGIN, .addr = a2, .val = 6);
	h.step = 2;		/* U faults a+2 in, in the linked table T */
	alloc(&h, U, 35, THPSIM_ALLOC_DATA, 0);
	set_pte(&h, U, T, 2, a2, 0, pte(35));
	/* ... and b: a new table filled before it is linked. */
	alloc(&h, U, 20, THPSIM_ALLOC_TABLE, 0);
	alloc(&h, U, 36, THPSIM_ALLOC_DATA, 0);
	set_pte(&h, U, 20, 0, h.b, 0, pte(36));
	set_pmd(&h, U, h.b, 0, pmd_table(20));
	h.step = 3;
	EV(&h, G, WALK_PIN, .pfn2 = 35, .addr = a2);
	EV(&h, G, WALK_PIN, .pfn2 = 36, .addr = h.b);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	/* The same pages at the wrong addresses are not. */
	EV(&h, G, WALK_PIN, .pfn2 = 36, .addr = page(&h, h.b, 1));
	verdict(&h, &v);
	check_outcome(v, WRONG_ADDR);
	hist_fini(&h);
}

/* ---- huge pmds: folios and subpages -------------------------------------- */

Test(oracle, huge_pmd_subpages_and_folio_grabs, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	uint64_t a3;

	hist_init(&h, 2, 4);
	setup(&h);
	alloc(&h, -1, H2, THPSIM_ALLOC_HUGE, 2);
	set_pmd(&h, -1, h.b, 0, pmd_huge(H2));
	a3 = page(&h, h.b, 3);
	h.step = 1;
	EV(&h, G, WALK_BEGIN, .addr = h.b, .val = 4);
	read_pmd(&h, G, a3, pmd_huge(H2));
	/* A reference on the folio head for b + 3 is on the right folio. */
	EV(&h, G, WALK_GRAB, .pfn2 = H2, .addr = a3, .arg = 1, .val = 4);
	EV(&h, G, WALK_UNGRAB, .pfn2 = H2, .addr = a3);
	EV(&h, G, WALK_PIN, .pfn2 = H2 + 3, .addr = a3);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	EV(&h, G, WALK_PIN, .pfn2 = H2 + 2, .addr = a3);
	verdict(&h, &v);
	check_outcome(v, WRONG_ADDR);
	hist_fini(&h);
}
