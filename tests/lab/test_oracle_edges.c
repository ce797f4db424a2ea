/*
 * test_oracle_edges.c - the oracle's other classes (BLOCKED, CORRUPTION,
 * DEADLOCK, GARBAGE), severity ordering, its API edges and 100k random
 * events.  The scenario histories are in test_oracle.c.
 */
#include "oracle_test.h"

/* ---- BLOCKED, CORRUPTION, severity, DEADLOCK ----------------------------- */

Test(oracle, ipi_wait_on_a_masked_walker_is_blocked, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	const thpsim_finding_t *f;

	hist_init(&h, 2, 4);
	setup(&h);
	g_reads_pmd(&h, h.a);
	h.step = 5;
	EV(&h, K, RCU_GP_START, .val = 1);	/* a GP a walker delays... */
	EV(&h, K, IPI_WAIT, .arg = U, .val = 1);	/* ...not a walker */
	EV(&h, K, IPI_WAIT, .arg = G, .val = 0);	/* G took it at once */
	verdict(&h, &v);
	check_outcome(v, SAFE);
	EV(&h, K, IPI_WAIT, .arg = G, .val = 1);
	h.step = 6;
	EV(&h, G, WALK_END);
	EV(&h, G, IRQ_ON);
	EV(&h, G, IPI_RUN, .arg = K);
	h.step = 7;
	EV(&h, K, IPI_WAIT_END, .arg = G);
	EV(&h, K, RCU_GP_END, .val = 1);
	verdict(&h, &v);
	check_outcome(v, BLOCKED);
	f = &v.first[THPSIM_OUTCOME_BLOCKED];
	check_eq(f->waiter, K);
	check_eq(f->target, G);
	check_eq(f->wait_step, 5);
	check_eq(f->wait_end_step, 7);
	check_eq(f->read_step, 1);
	check_contains(f->text, "CPU 0 waited from step 5 to step 7 for CPU 1");
	cr_assert(!thpsim_outcome_is_violation(v.outcome));
	hist_fini(&h);
}

Test(oracle, copy_with_differing_bytes_is_corruption, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	setup(&h);
	h.step = 2;
	EV(&h, K, COPY, .pfn = H, .pfn2 = P, .addr = h.a, .arg = 1);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	EV(&h, K, COPY, .pfn = H + 1, .pfn2 = P1, .addr = h.a + 4096,
	   .arg = 0);
	verdict(&h, &v);
	check_outcome(v, CORRUPTION);
	check_contains(v.first[THPSIM_OUTCOME_CORRUPTION].text,
		       "bytes differ");
	hist_fini(&h);
}

Test(oracle, most_severe_class_wins_and_all_are_listed, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;

	hist_init(&h, 2, 4);
	setup(&h);
	g_reads_pmd(&h, h.a);
	h.step = 2;
	EV(&h, K, IPI_WAIT, .arg = G, .val = 1);	/* BLOCKED first */
	set_pmd(&h, K, h.a, pmd_table(T), 0);
	release(&h, K, T, THPSIM_ALLOC_TABLE);
	h.step = 3;
	read_pte(&h, G, T, 0, h.a, 0x6b6b6b6b6b6b6b6bULL, THPSIM_PT_FREED);
	verdict(&h, &v);
	check_outcome(v, UAF);
	cr_assert(v.found[THPSIM_OUTCOME_BLOCKED]);
	cr_assert(v.found[THPSIM_OUTCOME_UAF]);
	cr_assert(v.first[THPSIM_OUTCOME_BLOCKED].seq <
		  v.first[THPSIM_OUTCOME_UAF].seq);
	mem = open_memstream(&buf, &len);
	cr_assert(thpsim_verdict_print(&v, mem) > 0);
	fclose(mem);
	check_contains(buf, "outcome: UAF (violation)");
	check_contains(buf, "BLOCKED");
	cr_assert(strstr(buf, "  UAF") && strstr(buf, "  BLOCKED"));
	cr_assert(strstr(buf, "  UAF") < strstr(buf, "  BLOCKED"));
	free(buf);
	hist_fini(&h);
}

Test(oracle, deadlock_report, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	setup(&h);
	g_reads_pmd(&h, h.a);
	oracle_report_deadlock(h.o, "CPU 0 (K) waits for CPU 1's ack; CPU 1 "
				    "(G) waits for K's lock");
	verdict(&h, &v);
	check_outcome(v, DEADLOCK);
	check_contains(v.first[THPSIM_OUTCOME_DEADLOCK].text,
		       "CPU 1 (G) waits for K's lock");
	check_eq(v.first[THPSIM_OUTCOME_DEADLOCK].seq, h.seq - 1);
	oracle_report_deadlock(h.o, NULL);
	verdict(&h, &v);
	check_eq(v.counts[THPSIM_OUTCOME_DEADLOCK], 2);
	hist_fini(&h);
}

Test(oracle, garbage_pfn_beyond_the_arena, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	setup(&h);
	g_reads_pmd(&h, h.a);
	read_pte(&h, G, T, 0, h.a, pte(1000000), THPSIM_PT_LIVE);
	verdict(&h, &v);
	check_outcome(v, GARBAGE);
	check_contains(v.first[THPSIM_OUTCOME_GARBAGE].text, "1000000");
	EV(&h, G, WALK_GRAB, .pfn2 = UINT64_C(1) << 40, .addr = h.a, .arg = 1);
	EV(&h, G, WALK_PIN, .pfn2 = UINT64_MAX, .addr = h.a);
	EV(&h, G, WALK_UNGRAB, .pfn2 = UINT64_C(1) << 40, .addr = h.a);
	read_pte(&h, G, UINT64_MAX, 3, h.a, 1, THPSIM_PT_LIVE);
	read_pmd(&h, G, h.a, pmd_table(UINT64_C(1) << 39));
	verdict(&h, &v);
	check_outcome(v, GARBAGE);
	check_eq(v.counts[THPSIM_OUTCOME_GARBAGE], 5);
	hist_fini(&h);
}

/* ---- API edges and robustness -------------------------------------------- */

Test(oracle, names_and_classes, .timeout = 30)
{
	check_contains(thpsim_outcome_name(THPSIM_OUTCOME_WRONG_ADDR),
		       "WRONG-ADDR");
	cr_assert_str_eq(thpsim_outcome_name(THPSIM_OUTCOME__NR), "?");
	cr_assert(thpsim_outcome_is_violation(THPSIM_OUTCOME_STALE_PIN));
	cr_assert(thpsim_outcome_is_violation(THPSIM_OUTCOME_INVARIANT));
	cr_assert(!thpsim_outcome_is_violation(THPSIM_OUTCOME_SPEC_REF));
	cr_assert(!thpsim_outcome_is_violation(THPSIM_OUTCOME__NR));
	check_eq(thpsim_outcome_parse("wrong_addr"), THPSIM_OUTCOME_WRONG_ADDR);
	check_eq(thpsim_outcome_parse("BENIGN-ABA"), THPSIM_OUTCOME_BENIGN_ABA);
	check_eq(thpsim_outcome_parse("UAFX"), -1);
	check_eq(thpsim_outcome_parse(NULL), -1);
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++) {
		cr_assert(thpsim_outcome_doc(c)[0]);
		check_eq(thpsim_outcome_parse(thpsim_outcome_name(c)), c);
		check_eq(thpsim_outcome_is_violation(c),
			 c <= THPSIM_OUTCOME_INVARIANT);
	}
}

Test(oracle, create_rejects_bad_input, .timeout = 30)
{
	thpsim_geometry_t bad = { 2, 6, 12 };
	struct oracle *o;
	thpsim_verdict_t v;

	cr_assert_null(oracle_create(&bad, 16));
	cr_assert_null(oracle_create(NULL, (size_t)ORACLE_FRAMES_MAX + 1));
	o = oracle_create(NULL, 0);
	cr_assert(o);
	oracle_feed(o, NULL);
	oracle_feed(NULL, NULL);
	oracle_verdict(o, &v);
	check_outcome(v, SAFE);
	oracle_verdict(NULL, &v);
	check_outcome(v, SAFE);
	oracle_report_deadlock(NULL, "x");
	oracle_destroy(o);
	oracle_destroy(NULL);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A mostly plausible, sometimes absurd event. */
static thpsim_event_t random_event(uint64_t *s, uint64_t seq)
{
	static const uint64_t odd[] = { 0, 1, UINT64_MAX, UINT64_C(1) << 63,
					0x6b6b6b6b6b6b6b6bULL };
	uint64_t r = rnd(s);
	thpsim_event_t ev = {
		.seq = seq,
		.step = seq / 7,
		.cpu = (int)(rnd(s) % 8) - 1,
		.kind = (enum thpsim_event_kind)(r % (THPSIM_EV__NR + 3)),
		.level = (int)(rnd(s) % 5) - 1,
		.idx = (int)(rnd(s) % 8) - 2,
		.arg = (int)(rnd(s) % 5) - 1,
		.addr = (rnd(s) % 64) << 12,
		.pfn = rnd(s) % 80,
		.pfn2 = rnd(s) % 80,
		.val = (rnd(s) % 5) ? pte(rnd(s) % 90) : odd[rnd(s) % 5],
		.val2 = (rnd(s) % 4) ? pte(rnd(s) % 90) : odd[rnd(s) % 5],
		.gen = rnd(s) % 4,
	};

	if (r % 97 == 0)
		ev.cpu = (int)(rnd(s) % 100000) - 50000;
	if (r % 89 == 0)
		ev.addr = rnd(s);
	if (r % 83 == 0)
		ev.pfn = rnd(s);
	if (r % 13 == 0)
		ev.val2 = pmd_huge(rnd(s) % 80);
	if (ev.kind == THPSIM_EV_WALK_BEGIN)
		ev.val = (r % 7 == 0) ? rnd(s) : rnd(s) % 40;
	return ev;
}

Test(oracle, fuzz_100k_random_events, .timeout = 60)
{
	static const struct {
		unsigned levels, entries;
		size_t frames;
	} geo[] = {
		{ 2, 4, 64 }, { 4, 512, 64 }, { 3, 8, 0 },
	};

	for (size_t gi = 0; gi < sizeof(geo) / sizeof(geo[0]); gi++) {
		thpsim_geometry_t g = { geo[gi].levels, geo[gi].entries, 12 };
		struct oracle *o = oracle_create(&g, geo[gi].frames);
		uint64_t s = 0x9e3779b97f4a7c15ULL + gi;
		thpsim_verdict_t v;

		cr_assert(o);
		for (uint64_t i = 0; i < 100000; i++) {
			thpsim_event_t ev = random_event(&s, i);

			oracle_feed(o, &ev);
		}
		oracle_report_deadlock(o, "fuzz");
		oracle_verdict(o, &v);
		check_eq(v.nr_events, 100000);
		check_eq(v.outcome, THPSIM_OUTCOME_DEADLOCK);
		for (int c = 0; c < THPSIM_OUTCOME__NR; c++) {
			check_eq(v.found[c], v.counts[c] > 0);
			if (!v.found[c])
				continue;
			check_eq(v.first[c].outcome, c);
			cr_assert(memchr(v.first[c].text, '\0',
					 sizeof(v.first[c].text)));
			cr_assert(v.first[c].text[0], "class %d: no text", c);
		}
		oracle_destroy(o);
	}
}

/* ---- a PTE table freed while it still maps a page (S13) ---------------- */

/*
 * S13's history: K unhooks T (which maps P and P1), and, with the knob,
 * U's page P1 is still in T when T is freed; without it the entries were
 * cleared first.
 */
static void table_free_history(struct hist *h, bool cleared)
{
	setup(h);
	h->step = 1;
	set_pmd(h, K, h->a, pmd_table(T), 0);
	tstate(h, K, T, THPSIM_PT_LIVE, THPSIM_PT_DETACHED);
	set_pte(h, K, T, 0, h->a, pte(P), 0);
	if (cleared)
		set_pte(h, K, T, 1, page(h, h->a, 1), pte(P1), 0);
	h->step = 2;
	release(h, 5, T, THPSIM_ALLOC_TABLE);
}

Test(oracle, table_freed_while_mapping_a_page_is_corruption, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;
	const thpsim_finding_t *f;

	hist_init(&h, 2, 4);
	table_free_history(&h, false);
	verdict(&h, &v);
	check_outcome(v, CORRUPTION);
	f = &v.first[THPSIM_OUTCOME_CORRUPTION];
	check_eq(f->pfn, T);
	check_eq(f->pfn2, P1);
	check_eq(f->addr, page(&h, h.a, 1));
	check_eq(f->step, 2);
	check_eq(f->cpu, 5);
	check_eq(v.counts[THPSIM_OUTCOME_CORRUPTION], 1);
	check_contains(f->text, "Page table 17 was freed at step 2");
	check_contains(f->text, "still mapped frame 34");
	hist_fini(&h);
}

Test(oracle, table_freed_after_its_entries_were_cleared_is_safe, .timeout = 30)
{
	struct hist h;
	thpsim_verdict_t v;

	hist_init(&h, 2, 4);
	table_free_history(&h, true);
	verdict(&h, &v);
	check_outcome(v, SAFE);
	hist_fini(&h);
}
