/*
 * test_timeline.c - the terminal timeline: events in words, one column per
 * CPU, one row per step, aligned columns, the oracle's mark.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch/pgtable_x86.h"
#include "lab/oracle.h"
#include "lab/timeline.h"
#include "thpsim/errors.h"
#include "../machine/machine_test.h"

#define T 17
#define P 33
#define K 0
#define G 1
#define U 2
#define A 0x8000

struct hist {
	struct timeline *t;
	struct oracle *o;
	uint64_t seq, step;
};

static uint64_t put(struct hist *h, thpsim_event_t ev)
{
	ev.seq = h->seq++;
	ev.step = h->step;
	timeline_feed(h->t, &ev);
	if (h->o)
		oracle_feed(h->o, &ev);
	return ev.seq;
}

#define EV(h, c, k, ...)                                                     \
	put((h), (thpsim_event_t){ .cpu = (c), .kind = THPSIM_EV_##k,        \
				   __VA_ARGS__ })

static uint64_t pte(uint64_t pfn)
{
	return pte_val(pfn_pte(pfn, PAGE_SHARED));
}

/* S1 on a 2x4 geometry: G reads the pmd, K collapses, U frees T (which
 * is reused as a table at once), G reads T[0]. */
static void s1(struct hist *h)
{
	EV(h, -1, FRAME_ALLOC, .pfn = T, .arg = THPSIM_ALLOC_TABLE, .gen = 1);
	EV(h, -1, FRAME_ALLOC, .pfn = P, .arg = THPSIM_ALLOC_DATA, .gen = 1);
	EV(h, -1, ENTRY_SET, .level = 1, .pfn = T, .idx = 0, .addr = A,
	   .val2 = pte(P));
	EV(h, -1, ENTRY_SET, .level = 2, .pfn = 1, .idx = 2, .addr = A,
	   .val2 = pmd_val(pmd_mktable(T)));
	h->step = 1;
	EV(h, G, IRQ_OFF);
	EV(h, G, WALK_BEGIN, .addr = A, .val = 1);
	EV(h, G, WALK_READ, .level = 2, .pfn = 1, .idx = 2, .addr = A,
	   .val = pmd_val(pmd_mktable(T)), .arg = THPSIM_PT_LIVE, .gen = 1);
	EV(h, G, VCPU_PREEMPT, .arg = 1);
	h->step = 2;
	EV(h, K, ENTRY_SET, .level = 2, .pfn = 1, .idx = 2, .addr = A,
	   .val = pmd_val(pmd_mktable(T)), .val2 = 0);
	EV(h, K, TLB_FLUSH, .addr = A, .val = A + 0x4000, .what = "broadcast");
	EV(h, K, COPY, .pfn = 40, .pfn2 = P, .addr = A, .arg = 1);
	EV(h, K, DEPOSIT, .pfn = T, .pfn2 = 1, .what = "generic");
	EV(h, K, TABLE_STATE, .pfn = T, .val = THPSIM_PT_LIVE,
	   .arg = THPSIM_PT_DEPOSITED, .gen = 1);
	h->step = 3;
	EV(h, U, FRAME_FREE, .pfn = T, .arg = THPSIM_ALLOC_TABLE, .gen = 2);
	EV(h, U, FRAME_ALLOC, .pfn = T, .arg = THPSIM_ALLOC_TABLE, .gen = 3);
	h->step = 4;
	EV(h, G, VCPU_PREEMPT, .arg = 0);
	EV(h, G, WALK_READ, .level = 1, .pfn = T, .idx = 0, .addr = A,
	   .val = 0, .arg = THPSIM_PT_DETACHED, .gen = 3);
	h->step = 5;
	EV(h, K, IPI_WAIT, .arg = G, .val = 1);
}

static char *render(struct timeline *t, unsigned width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);

	cr_assert(mem);
	check_ok(timeline_render(t, mem, width));
	fclose(mem);
	cr_log_info("\n%s", buf);
	return buf;
}

/* Display columns (code points) of the '|' separators of one line. */
static int bars(const char *line, size_t n, size_t *pos, int max)
{
	size_t col = 0;
	int nr = 0;

	for (size_t i = 0; i < n; i++) {
		if (((unsigned char)line[i] & 0xc0) == 0x80)
			continue;
		if ((line[i] == '|' || line[i] == '+') && nr < max)
			pos[nr++] = col;
		col++;
	}
	return nr;
}

static size_t width_of(const char *line, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)line[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* Every line has its separators in the same columns (a line may stop
 * early: trailing blanks are trimmed), none is wider than max_width and
 * none ends in a blank; returns the number of lines. */
static int check_aligned(const char *buf, size_t max_width)
{
	size_t first[16], pos[16];
	int nr0 = -1, lines = 0;

	for (const char *l = buf; *l; lines++) {
		size_t n = strcspn(l, "\n");
		int nr = bars(l, n, pos, 16);

		if (nr0 < 0) {
			nr0 = nr;
			memcpy(first, pos, sizeof(pos));
		}
		cr_assert(nr <= nr0 && nr > 0, "line %d: %d separators, "
			  "not %d: '%.*s'", lines, nr, nr0, (int)n, l);
		for (int i = 0; i < nr; i++)
			cr_assert(pos[i] == first[i],
				  "line %d: separator %d at %zu, not %zu",
				  lines, i, pos[i], first[i]);
		check_le(width_of(l, n), max_width);
		cr_assert(n && l[n - 1] != ' ', "line %d ends in a blank",
			  lines);
		l += n + (l[n] == '\n');
	}
	return lines;
}

Test(timeline, s1_reads_as_an_explanation, .timeout = 30)
{
	struct hist h = { .t = timeline_create() };
	thpsim_geometry_t g = { 2, 4, 12 };
	thpsim_verdict_t v;
	char *out;

	h.o = oracle_create(&g, 64);
	cr_assert(h.t && h.o);
	check_ok(timeline_name_cpu(h.t, K, "K (khugepaged)"));
	check_ok(timeline_name_cpu(h.t, G, "G (GUP-fast walker)"));
	check_ok(timeline_name_cpu(h.t, U, "U (munmap)"));
	s1(&h);
	oracle_verdict(h.o, &v);
	check_eq(v.outcome, THPSIM_OUTCOME_UAF);
	check_ok(timeline_mark_verdict(h.t, &v));
	check_err(timeline_mark_verdict(h.t, NULL), -THPSIM_EINVAL);
	out = render(h.t, 240);
	check_contains(out, "CPU 1: G (GUP-fast walker)");
	check_contains(out, "setup (no CPU)");
	check_contains(out, "IRQs off");
	check_contains(out, "GUP-fast walk of 0x8000 (1 page)");
	check_contains(out, "reads pmd → table #17 (gen 1)");
	check_contains(out, "vCPU preempted by the host");
	check_contains(out, "sets pmd 0x8000: table #17 → none");
	check_contains(out, "copies page #33 into #40");
	check_contains(out, "table #17: live → deposited");
	check_contains(out, "frees table #17 (gen now 2)");
	check_contains(out, "table #17 reused (gen 3)");
	check_contains(out,
		       "reads pte[0] of #17 (detached, gen 3): none → UAF");
	check_contains(out,
		       "waits for CPU 1's ack (its IRQs are off) → BLOCKED");
	check_contains(out, ">4 |");	/* the marked step */
	check_aligned(out, 240);
	/* Rows follow the steps, K's collapse before U's free. */
	cr_assert(strstr(out, "copies page") < strstr(out, "frees table"));
	free(out);
	oracle_destroy(h.o);
	timeline_destroy(h.t);
}

Test(timeline, narrow_columns_wrap_and_stay_aligned, .timeout = 30)
{
	struct hist h = { .t = timeline_create() };
	char *out;
	int lines;

	s1(&h);
	EV(&h, K, NOTE, .what = "a_very_long_word_that_cannot_fit_in_one_"
				"column_and_must_be_broken_by_the_layout");
	for (unsigned width = 20; width <= 120; width += 25) {
		out = render(h.t, width);
		lines = check_aligned(out, width < TIMELINE_WIDTH_MIN ?
					  200 : (width > 80 ? width : 200));
		check_gt(lines, 10);
		free(out);
	}
	out = render(h.t, 60);
	check_contains(out, "a_very_lon");
	/* Columns are at least 12 wide, so 4 of them overflow 60. */
	check_aligned(out, 200);
	free(out);
	timeline_destroy(h.t);
}

Test(timeline, free_mode_is_one_row_per_event, .timeout = 30)
{
	struct hist h = { .t = timeline_create() };
	char *out;

	EV(&h, 0, IRQ_OFF);
	EV(&h, 1, IRQ_OFF);
	EV(&h, 0, IRQ_ON);
	EV(&h, 1, IRQ_ON);
	out = render(h.t, 80);
	/* Header, rule, four rows numbered by seq. */
	check_eq(check_aligned(out, 80), 6);
	check_contains(out, " 3 |");
	free(out);
	check_eq(timeline_nr_events(h.t), 4);
	check_eq(timeline_nr_dropped(h.t), 0);
	timeline_destroy(h.t);
}

Test(timeline, event_text, .timeout = 30)
{
	char buf[128], tiny[8];
	thpsim_event_t ev = {
		.kind = THPSIM_EV_WALK_READ, .level = 2,
		.val = pmd_val(pmd_mktable(T)), .arg = THPSIM_PT_LIVE,
	};
	size_t n;

	timeline_event_text(&ev, buf, sizeof(buf));
	cr_assert_str_eq(buf, "reads pmd → table #17");
	ev = (thpsim_event_t){ .kind = THPSIM_EV_ENTRY_SET, .level = 1,
			       .pfn = T, .idx = 2, .val = pte(P) };
	timeline_event_text(&ev, buf, sizeof(buf));
	cr_assert_str_eq(buf, "sets pte[2] of #17: page #33 → none");
	ev = (thpsim_event_t){ .kind = THPSIM_EV_WALK_PIN, .pfn2 = P,
			       .addr = 0x1000 };
	n = timeline_event_text(&ev, tiny, sizeof(tiny));
	check_eq(n, strlen("pins page #33 for 0x1000"));
	cr_assert_str_eq(tiny, "pins pa");
	ev = (thpsim_event_t){ .kind = THPSIM_EV__NR + 5 };
	timeline_event_text(&ev, buf, sizeof(buf));
	snprintf(tiny, sizeof(tiny), "%d", THPSIM_EV__NR + 5);
	cr_assert(!strncmp(buf, "event ", 6) && !strcmp(buf + 6, tiny),
		  "'%s'", buf);
	ev = (thpsim_event_t){ .kind = THPSIM_EV_IPI_WAIT, .arg = 3 };
	timeline_event_text(&ev, buf, sizeof(buf));
	cr_assert_str_eq(buf, "waits for CPU 3's ack");
	check_eq(timeline_event_text(&ev, NULL, 0), strlen(buf));
	check_eq(timeline_event_text(NULL, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	/* Every kind has words. */
	for (int k = 0; k < THPSIM_EV__NR; k++) {
		ev = (thpsim_event_t){ .kind = k, .level = 1 };
		timeline_event_text(&ev, buf, sizeof(buf));
		cr_assert(buf[0] && !strstr(buf, "event "),
			  "kind %s has no words ('%s'): add them in "
			  "lib/lab/timeline_text.c", thpsim_event_kind_name(k),
			  buf);
	}
}

Test(timeline, bad_input, .timeout = 30)
{
	struct timeline *t = timeline_create();

	cr_assert(t);
	check_err(timeline_name_cpu(t, -2, "x"), -THPSIM_EINVAL);
	check_err(timeline_name_cpu(t, THPSIM_NR_CPUS_MAX, "x"),
		  -THPSIM_EINVAL);
	check_err(timeline_name_cpu(t, 0, NULL), -THPSIM_EINVAL);
	check_ok(timeline_name_cpu(t, 0, "first"));
	check_ok(timeline_name_cpu(t, 0, "renamed"));
	check_err(timeline_mark(t, 0, NULL), -THPSIM_EINVAL);
	check_err(timeline_render(t, NULL, 80), -THPSIM_EINVAL);
	check_err(timeline_render(NULL, stdout, 80), -THPSIM_EINVAL);
	timeline_feed(t, NULL);
	timeline_feed(NULL, NULL);
	timeline_sink(NULL, t);
	check_eq(timeline_nr_events(t), 0);
	timeline_destroy(t);
	timeline_destroy(NULL);
}

Test(timeline, named_cpu_without_events_and_odd_cpus, .timeout = 30)
{
	struct hist h = { .t = timeline_create() };
	char *out;

	check_ok(timeline_name_cpu(h.t, 5, "idle"));
	EV(&h, 100000, IRQ_OFF);	/* no such CPU: the setup column */
	EV(&h, -7, IRQ_ON);
	out = render(h.t, 80);
	check_contains(out, "CPU 5: idle");
	check_contains(out, "setup (no CPU)");
	check_aligned(out, 80);
	free(out);
	timeline_destroy(h.t);
}
