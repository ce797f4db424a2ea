/*
 * test_events_api.c - thpsim/observe.h: a run's events to on_event (the
 * same ones its oracle judged), a lab's own invariants in runs,
 * exploration and replay, the oracle and the timeline as public objects,
 * and the trace's args (every field of every event kind) and CPU names.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/pgtable_x86.h"
#include "thpsim/thpsim.h"

static void s1(thpsim_run_config_t *rc, const char *profile, const char *fix)
{
	thpsim_run_config_init(rc);
	rc->profile = profile;
	rc->fix = fix;
	cr_assert_eq(thpsim_geometry_parse("2x4", &rc->geometry), 0);
}

/* ---- on_event, on_phase ---------------------------------------------- */

#define LOG_MAX 20000

struct log {
	thpsim_event_t ev[LOG_MAX];
	thpsim_run_phase_t phase_of[LOG_MAX];
	size_t nr;
	thpsim_run_phase_t phase;
	unsigned phases[THPSIM_PHASE__NR];
	bool ordered;		/* seq strictly increasing */
};

static void log_event(const thpsim_event_t *ev, void *arg)
{
	struct log *l = arg;

	if (l->nr && ev->seq <= l->ev[l->nr - 1].seq)
		l->ordered = false;
	if (l->nr < LOG_MAX) {
		l->phase_of[l->nr] = l->phase;
		l->ev[l->nr++] = *ev;
	}
}

static void log_phase(thpsim_run_phase_t p, void *arg)
{
	struct log *l = arg;

	cr_assert_lt((int)p, THPSIM_PHASE__NR);
	l->phase = p;
	l->phases[p]++;
}

static size_t before_teardown(const struct log *l)
{
	size_t n = 0;

	for (size_t i = 0; i < l->nr; i++)
		n += l->phase_of[i] != THPSIM_PHASE_TEARDOWN;
	return n;
}

Test(events_api, on_event_sees_what_the_oracle_judged, .timeout = 60)
{
	static struct log l;
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	thpsim_oracle_t *o;
	thpsim_verdict_t v;

	memset(&l, 0, sizeof(l));
	l.ordered = true;
	s1(&rc, "arm64", "none");
	rc.on_event = log_event;
	rc.on_phase = log_phase;
	rc.on_event_arg = &l;
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_UAF);
	cr_assert_eq(l.phases[THPSIM_PHASE_SETUP], 1);
	cr_assert_eq(l.phases[THPSIM_PHASE_RUN], 1);
	cr_assert_eq(l.phases[THPSIM_PHASE_TEARDOWN], 1);
	cr_assert(l.ordered);
	cr_assert_lt(l.nr, LOG_MAX);
	/* The oracle judges setup and run; teardown comes after it. */
	cr_assert_eq(before_teardown(&l), res.verdict.nr_events,
		     "on_event saw %zu events before teardown, the oracle judged %llu",
		     before_teardown(&l), (unsigned long long)res.verdict.nr_events);
	cr_assert_gt(l.nr, before_teardown(&l), "teardown events are reported too");
	/* Steps: 0 in setup, 1..res.steps in the run. */
	for (size_t i = 0; i < l.nr; i++) {
		if (l.phase_of[i] == THPSIM_PHASE_RUN)
			cr_assert(l.ev[i].step >= 1 && l.ev[i].step <= res.steps);
	}
	/* A public oracle fed with the same events reaches the same verdict. */
	cr_assert_eq(thpsim_oracle_create(&rc.geometry, 0, &o), 0, "%s", thpsim_errmsg());
	for (size_t i = 0; i < l.nr; i++)
		if (l.phase_of[i] != THPSIM_PHASE_TEARDOWN)
			thpsim_oracle_feed(o, &l.ev[i]);
	thpsim_oracle_verdict(o, &v);
	cr_assert_eq(v.outcome, res.verdict.outcome);
	cr_assert_eq(v.nr_events, res.verdict.nr_events);
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		cr_assert_eq(v.counts[c], res.verdict.counts[c], "class %s",
			     thpsim_outcome_name((thpsim_outcome_t)c));
	cr_assert_eq(v.first[THPSIM_OUTCOME_UAF].seq,
		     res.verdict.first[THPSIM_OUTCOME_UAF].seq);
	thpsim_oracle_destroy(o);
	thpsim_run_result_fini(&res);
}

static void count_event(const thpsim_event_t *ev, void *arg)
{
	(void)ev;
	((uint64_t *)arg)[1]++;
}

static void count_phase(thpsim_run_phase_t p, void *arg)
{
	if (p == THPSIM_PHASE_SETUP)
		((uint64_t *)arg)[0]++;
}

Test(events_api, explore_reports_every_schedule, .timeout = 120)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	uint64_t n[2] = { 0, 0 };

	thpsim_explore_config_init(&ec);
	s1(&ec.run, "arm64", "none");
	ec.iterations = 20;
	ec.run.on_event = count_event;
	ec.run.on_phase = count_phase;
	ec.run.on_event_arg = n;
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert_eq(xr.schedules, 20);
	cr_assert_eq(n[0], xr.schedules, "one SETUP phase per schedule");
	cr_assert_gt(n[1], 20 * 10);
	thpsim_explore_result_fini(&xr);
}

/* ---- invariants ------------------------------------------------------- */

/*
 * "No page-table frame is freed while a CPU is inside a GUP-fast walk
 * with its IRQs off": the guarantee fast GUP relies on (mm/gup.c).
 */
#define TRACK_CPUS 64
#define TRACK_FRAMES 4096

struct irqoff_state {
	bool irq_off[TRACK_CPUS], in_walk[TRACK_CPUS];
	bool table[TRACK_FRAMES];
	unsigned begins;
};

static void irqoff_begin(void *arg)
{
	struct irqoff_state *st = arg;
	unsigned b = st->begins + 1;

	memset(st, 0, sizeof(*st));
	st->begins = b;
}

static bool irqoff_event(const thpsim_event_t *ev, void *arg,
			 thpsim_finding_t *f)
{
	struct irqoff_state *st = arg;
	bool cpu_ok = ev->cpu >= 0 && ev->cpu < TRACK_CPUS;
	bool pfn_ok = ev->pfn < TRACK_FRAMES;

	switch (ev->kind) {
	case THPSIM_EV_IRQ_OFF:
	case THPSIM_EV_IRQ_ON:
		if (cpu_ok)
			st->irq_off[ev->cpu] = ev->kind == THPSIM_EV_IRQ_OFF;
		return false;
	case THPSIM_EV_WALK_BEGIN:
		if (cpu_ok && ev->arg == THPSIM_WALKER_GUP_FAST)
			st->in_walk[ev->cpu] = true;
		return false;
	case THPSIM_EV_WALK_END:
		if (cpu_ok)
			st->in_walk[ev->cpu] = false;
		return false;
	case THPSIM_EV_TABLE_STATE:
		if (pfn_ok && ev->arg != THPSIM_PT_NONE && ev->arg != THPSIM_PT_FREED)
			st->table[ev->pfn] = true;
		return false;
	case THPSIM_EV_FRAME_FREE:
		if (!pfn_ok || !st->table[ev->pfn])
			return false;
		st->table[ev->pfn] = false;
		for (int c = 0; c < TRACK_CPUS; c++) {
			if (st->irq_off[c] && st->in_walk[c]) {
				snprintf(f->text, sizeof(f->text),
					 "table frame %llu freed by CPU %d while CPU %d walks with IRQs off",
					 (unsigned long long)ev->pfn, ev->cpu, c);
				f->pfn = ev->pfn;
				return true;
			}
		}
		return false;
	default:
		return false;
	}
}

static struct irqoff_state irqoff_st;
static const thpsim_invariant_t irqoff_inv = {
	.name = "no-free-under-irq-off", .begin = irqoff_begin,
	.on_event = irqoff_event, .arg = &irqoff_st,
};

Test(events_api, invariant_in_a_scripted_run, .timeout = 60)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	const thpsim_finding_t *f;

	memset(&irqoff_st, 0, sizeof(irqoff_st));
	s1(&rc, "arm64", "none");
	rc.invariant = &irqoff_inv;
	rc.timeline = true;
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(irqoff_st.begins, 1);
	cr_assert(res.verdict.found[THPSIM_OUTCOME_INVARIANT]);
	cr_assert_eq(res.verdict.counts[THPSIM_OUTCOME_INVARIANT], 1);
	/* UAF is more severe: the outcome stays the oracle's. */
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_UAF);
	f = &res.verdict.first[THPSIM_OUTCOME_INVARIANT];
	cr_assert_eq(f->outcome, THPSIM_OUTCOME_INVARIANT);
	cr_assert(strstr(f->text, "invariant no-free-under-irq-off: table frame"), "%s", f->text);
	cr_assert_neq(f->seq, THPSIM_NO_SEQ);
	cr_assert_eq(f->cpu, 2, "U (CPU 2) frees the table: %d", f->cpu);
	/* The UAF read comes after the free the invariant flagged. */
	cr_assert_lt(f->seq, res.verdict.first[THPSIM_OUTCOME_UAF].seq);
	cr_assert(strstr(res.verdict_text, "invariant no-free-under-irq-off"));
	cr_assert(strstr(res.timeline, "INVARIANT"), "the timeline marks it");
	thpsim_run_result_fini(&res);

	/* The sync IPI waits for the walker: the invariant holds. */
	s1(&rc, "arm64", "ipi-sync");
	rc.invariant = &irqoff_inv;
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(irqoff_st.begins, 2);
	cr_assert(!res.verdict.found[THPSIM_OUTCOME_INVARIANT]);
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_BLOCKED);
	thpsim_run_result_fini(&res);
}

Test(events_api, invariant_schedule_replays, .timeout = 120)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	thpsim_run_result_t res;

	memset(&irqoff_st, 0, sizeof(irqoff_st));
	thpsim_explore_config_init(&ec);
	s1(&ec.run, "arm64", "none");
	ec.policy = THPSIM_POLICY_DFS;	/* every schedule, 1 preemption */
	ec.preemptions = 1;
	ec.iterations = 0;
	ec.run.invariant = &irqoff_inv;
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert_eq(irqoff_st.begins, xr.schedules, "begin once per schedule");
	cr_assert(xr.exhausted);
	cr_assert(xr.invariant_found);
	cr_assert_gt(xr.invariant_runs, 0);
	/* Every UAF of S1's GUP-fast walker reads a table freed under it. */
	cr_assert_geq(xr.invariant_runs, xr.counts[THPSIM_OUTCOME_UAF]);
	cr_assert_leq(xr.invariant_runs, xr.schedules);
	cr_assert(xr.invariant_schedule);
	cr_assert_lt(xr.invariant_index, xr.schedules);
	/* The schedule replays, and the same invariant reports it again. */
	cr_assert_eq(thpsim_replay(&ec.run, xr.invariant_schedule, &res), 0,
		     "%s", thpsim_errmsg());
	cr_assert(res.verdict.found[THPSIM_OUTCOME_INVARIANT]);
	thpsim_run_result_fini(&res);
	/* Without it, the replay has no such class. */
	ec.run.invariant = NULL;
	cr_assert_eq(thpsim_replay(&ec.run, xr.invariant_schedule, &res), 0,
		     "%s", thpsim_errmsg());
	cr_assert(!res.verdict.found[THPSIM_OUTCOME_INVARIANT]);
	thpsim_run_result_fini(&res);
	thpsim_explore_result_fini(&xr);
}

/*
 * "No CPU waits for an IPI ack from a CPU with IRQs off": stricter than
 * the oracle, which calls that BLOCKED (not a violation).  On x86 with
 * no fix S1 only blocks, so exploration finds no violation without the
 * invariant, and INVARIANT as the first violation with it.
 */
static bool nowait_event(const thpsim_event_t *ev, void *arg,
			 thpsim_finding_t *f)
{
	(void)arg;
	if (ev->kind != THPSIM_EV_IPI_WAIT || !(ev->val & 1))
		return false;
	snprintf(f->text, sizeof(f->text),
		 "CPU %d waits for CPU %d, whose IRQs are off", ev->cpu, ev->arg);
	f->waiter = ev->cpu;
	f->target = ev->arg;
	return true;
}

static const thpsim_invariant_t nowait_inv = {
	.name = "no-wait-on-masked", .on_event = nowait_event,
};

Test(events_api, invariant_is_a_violation_of_its_own, .timeout = 120)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	thpsim_run_result_t res;

	thpsim_explore_config_init(&ec);
	s1(&ec.run, "x86", "none");
	ec.policy = THPSIM_POLICY_DFS;
	ec.preemptions = 1;
	ec.iterations = 0;
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert(!xr.found, "x86/none S1 only blocks (%s)",
		  thpsim_outcome_name(xr.first_outcome));
	cr_assert_gt(xr.counts[THPSIM_OUTCOME_BLOCKED], 0);
	cr_assert_eq(xr.counts[THPSIM_OUTCOME_INVARIANT], 0);
	cr_assert(!xr.invariant_found);
	thpsim_explore_result_fini(&xr);

	ec.run.invariant = &nowait_inv;
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert(xr.found);
	cr_assert_eq(xr.first_outcome, THPSIM_OUTCOME_INVARIANT);
	cr_assert(xr.first_schedule);
	cr_assert_str_eq(xr.first_schedule, xr.invariant_schedule);
	cr_assert_eq(xr.violations, xr.invariant_runs);
	cr_assert_eq(xr.counts[THPSIM_OUTCOME_INVARIANT], xr.invariant_runs);
	cr_assert_eq(thpsim_replay(&ec.run, xr.first_schedule, &res), 0, "%s",
		     thpsim_errmsg());
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_INVARIANT);
	cr_assert(res.verdict.found[THPSIM_OUTCOME_BLOCKED]);
	cr_assert(strstr(res.verdict.first[THPSIM_OUTCOME_INVARIANT].text,
			 "invariant no-wait-on-masked: CPU "),
		  "%s", res.verdict.first[THPSIM_OUTCOME_INVARIANT].text);
	thpsim_run_result_fini(&res);
	thpsim_explore_result_fini(&xr);
}

/* after_step once per step, at_end once, with the machine and mm. */
struct stepper {
	uint64_t steps, ends, last_step;
	bool view_ok;
};

static bool step_check(const thpsim_invariant_view_t *view, void *arg,
		       thpsim_finding_t *f)
{
	struct stepper *s = arg;
	thpsim_page_info_t pi;

	(void)f;
	s->steps++;
	if (view->step != s->last_step + 1 || !view->machine || !view->mm ||
	    !view->last || view->nr_events == 0 ||
	    thpsim_page_info(view->machine, 0, &pi))
		s->view_ok = false;
	s->last_step = view->step;
	return false;
}

static bool end_check(const thpsim_invariant_view_t *view, void *arg,
		      thpsim_finding_t *f)
{
	struct stepper *s = arg;

	s->ends++;
	snprintf(f->text, sizeof(f->text), "the run ended after %llu steps",
		 (unsigned long long)view->step);
	return true;	/* always "broken": where at_end findings land */
}

Test(events_api, after_step_and_at_end, .timeout = 60)
{
	struct stepper st = { .view_ok = true };
	const thpsim_invariant_t inv = { .name = "steps", .after_step = step_check,
					 .at_end = end_check, .arg = &st };
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	const thpsim_finding_t *f;

	s1(&rc, "arm64", "ipi-sync");
	rc.invariant = &inv;
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(st.steps, res.steps);
	cr_assert(st.view_ok);
	cr_assert_eq(st.ends, 1);
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_INVARIANT);
	f = &res.verdict.first[THPSIM_OUTCOME_INVARIANT];
	cr_assert(strstr(f->text, "invariant steps: the run ended after"), "%s", f->text);
	cr_assert(f->step >= 1 && f->step <= res.steps, "judged at the last event");
	cr_assert_neq(f->seq, THPSIM_NO_SEQ);
	thpsim_run_result_fini(&res);
}

/* ---- the oracle and the timeline on a hand-made history -------------- */

#define ROOT 1
#define TBL 17
#define PAGE 33

static uint64_t seq;

static thpsim_event_t ev_at(int cpu, enum thpsim_event_kind k, uint64_t step)
{
	return (thpsim_event_t){ .seq = seq++, .step = step, .cpu = cpu,
				 .point = -1, .kind = k };
}

Test(events_api, public_oracle_on_a_hand_made_list, .timeout = 30)
{
	thpsim_geometry_t g = { 2, 4, 12 };
	uint64_t a = 2 * thpsim_geometry_hpage_size(&g);
	uint64_t pmd = pmd_val(pmd_mktable(TBL));
	thpsim_event_t evs[16];
	thpsim_oracle_t *o;
	thpsim_timeline_t *t;
	thpsim_verdict_t v;
	char *text = NULL;
	size_t len = 0, n = 0;
	FILE *out;

	seq = 0;
	/* Setup: a pmd table ROOT, a pte table TBL mapping PAGE at a. */
	evs[n] = ev_at(-1, THPSIM_EV_FRAME_ALLOC, 0);
	evs[n].pfn = ROOT, evs[n].arg = THPSIM_ALLOC_TABLE, evs[n++].gen = 1;
	evs[n] = ev_at(-1, THPSIM_EV_TABLE_STATE, 0);
	evs[n].pfn = ROOT, evs[n].arg = THPSIM_PT_LIVE, evs[n].val = THPSIM_PT_DETACHED,
	evs[n++].gen = 1;
	evs[n] = ev_at(-1, THPSIM_EV_FRAME_ALLOC, 0);
	evs[n].pfn = TBL, evs[n].arg = THPSIM_ALLOC_TABLE, evs[n++].gen = 1;
	evs[n] = ev_at(-1, THPSIM_EV_FRAME_ALLOC, 0);
	evs[n].pfn = PAGE, evs[n].arg = THPSIM_ALLOC_DATA, evs[n++].gen = 1;
	evs[n] = ev_at(-1, THPSIM_EV_ENTRY_SET, 0);
	evs[n].level = 1, evs[n].pfn = TBL, evs[n].addr = a,
	evs[n++].val2 = pte_val(pfn_pte(PAGE, PAGE_SHARED));
	evs[n] = ev_at(-1, THPSIM_EV_ENTRY_SET, 0);
	evs[n].level = 2, evs[n].pfn = ROOT, evs[n].addr = a, evs[n].idx = 2,
	evs[n++].val2 = pmd;
	evs[n] = ev_at(-1, THPSIM_EV_TABLE_STATE, 0);
	evs[n].pfn = TBL, evs[n].arg = THPSIM_PT_LIVE, evs[n].val = THPSIM_PT_DETACHED,
	evs[n++].gen = 1;
	/* Step 1: G, IRQs off, reads the pmd. */
	evs[n++] = ev_at(1, THPSIM_EV_IRQ_OFF, 1);
	evs[n] = ev_at(1, THPSIM_EV_WALK_BEGIN, 1);
	evs[n].addr = a, evs[n].val = 1, evs[n++].arg = THPSIM_WALKER_GUP_FAST;
	evs[n] = ev_at(1, THPSIM_EV_WALK_READ, 1);
	evs[n].level = 2, evs[n].pfn = ROOT, evs[n].addr = a, evs[n].idx = 2,
	evs[n].val = pmd, evs[n].gen = 1, evs[n++].arg = THPSIM_PT_LIVE;
	/* Step 2: U clears the pmd and frees the table at once. */
	evs[n] = ev_at(2, THPSIM_EV_ENTRY_SET, 2);
	evs[n].level = 2, evs[n].pfn = ROOT, evs[n].addr = a, evs[n].idx = 2,
	evs[n++].val = pmd;
	evs[n] = ev_at(2, THPSIM_EV_FRAME_FREE, 2);
	evs[n].pfn = TBL, evs[n].arg = THPSIM_ALLOC_TABLE, evs[n++].gen = 2;
	/* Step 3: G reads the pte of the freed table. */
	evs[n] = ev_at(1, THPSIM_EV_WALK_READ, 3);
	evs[n].level = 1, evs[n].pfn = TBL, evs[n].addr = a, evs[n].gen = 2,
	evs[n++].arg = THPSIM_PT_FREED;
	evs[n++] = ev_at(1, THPSIM_EV_WALK_END, 3);
	evs[n++] = ev_at(1, THPSIM_EV_IRQ_ON, 3);
	cr_assert_leq(n, sizeof(evs) / sizeof(evs[0]));

	cr_assert_eq(thpsim_oracle_create(NULL, 0, NULL), -THPSIM_EINVAL);
	cr_assert_eq(thpsim_oracle_create(&g, 64, &o), 0, "%s", thpsim_errmsg());
	for (size_t i = 0; i < n; i++)
		thpsim_oracle_sink(&evs[i], o);
	thpsim_oracle_verdict(o, &v);
	cr_assert_eq(v.outcome, THPSIM_OUTCOME_UAF, "%s: %s",
		     thpsim_outcome_name(v.outcome), v.first[v.outcome].text);
	cr_assert_eq(v.nr_events, n);
	cr_assert_eq(v.first[THPSIM_OUTCOME_UAF].pfn, TBL);
	cr_assert_eq(v.first[THPSIM_OUTCOME_UAF].cpu, 1);
	thpsim_oracle_destroy(o);

	/* The same list on a timeline, the verdict marked. */
	cr_assert_eq(thpsim_timeline_create(&t), 0);
	cr_assert_eq(thpsim_timeline_name_cpu(t, 1, "G (GUP-fast walker)"), 0);
	cr_assert_eq(thpsim_timeline_name_cpu(t, 9999, "x"), -THPSIM_EINVAL);
	for (size_t i = 0; i < n; i++)
		thpsim_timeline_feed(t, &evs[i]);
	cr_assert_eq(thpsim_timeline_mark_verdict(t, &v), 0);
	out = open_memstream(&text, &len);
	cr_assert(out);
	cr_assert_eq(thpsim_timeline_render(t, out, 100), 0);
	fclose(out);
	cr_assert(strstr(text, "CPU 1: G (GUP-fast walker)"), "%s", text);
	cr_assert(strstr(text, "CPU 2"), "an unnamed CPU gets a column: %s", text);
	cr_assert(strstr(text, "UAF"), "%s", text);
	free(text);
	thpsim_timeline_destroy(t);
	{
		char buf[128];

		cr_assert_gt(thpsim_event_text(&evs[7], buf, sizeof(buf)), 0);
		cr_assert_str_eq(buf, "IRQs off");
	}
}

/* ---- the trace: args and CPU names ------------------------------------ */

static json_t *trace_of(const char *scenario, const char *profile,
			const char *fix, unsigned idle)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	json_error_t jerr;
	json_t *doc;

	s1(&rc, profile, fix);
	rc.scenario = scenario;
	rc.idle_cpus = idle;
	rc.trace = true;
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	cr_assert(res.trace);
	doc = json_loads(res.trace, 0, &jerr);
	cr_assert(doc, "line %d: %s", jerr.line, jerr.text);
	thpsim_run_result_fini(&res);
	return doc;
}

static const char *const fields[] = { "kind", "cpu", "point", "level", "idx",
	"arg", "addr", "pfn", "pfn2", "val", "val2", "gen", "what", "step", "seq" };

/* Checks every event of doc; marks the kinds seen; 1 per sync IPI. */
static unsigned check_trace(json_t *doc, bool *kinds)
{
	json_t *evs = json_object_get(doc, "traceEvents"), *e;
	bool named[64] = { false }, used[64] = { false };
	unsigned syncs = 0;
	size_t i;

	cr_assert(json_is_array(evs));
	json_array_foreach(evs, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));
		const char *cat = json_string_value(json_object_get(e, "cat"));
		json_t *args = json_object_get(e, "args");
		json_int_t tid = json_integer_value(json_object_get(e, "tid"));

		if (!strcmp(ph, "M")) {
			if (!strcmp(json_string_value(json_object_get(e, "name")),
				    "thread_name") && tid >= 0 && tid < 64)
				named[tid] = true;
			continue;
		}
		if (!strcmp(cat, "verdict"))
			continue;
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
			cr_assert(json_object_get(args, fields[k]),
				  "%s event without args.%s", cat, fields[k]);
		cr_assert_str_eq(json_string_value(json_object_get(args, "kind")), cat);
		cr_assert_eq(json_integer_value(json_object_get(args, "cpu")), tid);
		for (int k = 0; k < THPSIM_EV__NR; k++)
			if (!strcmp(cat, thpsim_event_kind_name((enum thpsim_event_kind)k)))
				kinds[k] = true;
		if (!strcmp(cat, "IPI_SEND") || !strcmp(cat, "IPI_RUN")) {
			cr_assert(json_is_boolean(json_object_get(args, "sync")));
			syncs += json_is_true(json_object_get(args, "sync"));
		}
		if (tid >= 0 && tid < 64)
			used[tid] = true;
	}
	for (int c = 0; c < 64; c++)
		cr_assert(!used[c] || named[c], "CPU %d has events but no name", c);
	return syncs;
}

Test(events_api, trace_args_and_cpu_names, .timeout = 300)
{
	static const struct { const char *sc, *profile, *fix; unsigned idle; } runs[] = {
		{ "S1", "arm64", "none", 0 }, { "S1", "x86", "ipi-sync", 2 }, { "S1", "arm64", "ipi-sync", 2 },
		{ "S1", "ppc64-radix", "pte-free-defer", 0 },
		{ "S2", "arm64", "none", 0 }, { "S3", "x86", "none", 0 },
		{ "S4", "x86-kvm-pv", "none", 0 }, { "S5", "arm64", "ipi-sync", 0 },
		{ "S6", "arm64", "none", 0 }, { "S7", "arm64", "none", 0 },
		{ "S8", "x86", "fresh-table", 0 }, { "S10", "arm64", "none", 0 },
		{ "S12", "arm64", "none", 0 }, { "S13", "x86", "ipi-sync", 1 },
	};
	bool kinds[THPSIM_EV__NR] = { false };
	unsigned syncs = 0;

	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		json_t *doc = trace_of(runs[i].sc, runs[i].profile, runs[i].fix,
				       runs[i].idle);

		syncs += check_trace(doc, kinds);
		json_decref(doc);
	}
	cr_assert_gt(syncs, 0, "some run sends the sync IPI and says so");
	/* Every kind a scenario's run phase can report was checked. */
	for (int k = 0; k < THPSIM_EV__NR; k++)
		cr_log_info("%s %s", thpsim_event_kind_name((enum thpsim_event_kind)k),
			    kinds[k] ? "seen" : "not seen");
	cr_assert(kinds[THPSIM_EV_WALK_READ] && kinds[THPSIM_EV_IPI_SEND] &&
		  kinds[THPSIM_EV_IPI_RUN] && kinds[THPSIM_EV_TLB_FLUSH] &&
		  kinds[THPSIM_EV_FRAME_FREE] && kinds[THPSIM_EV_ENTRY_SET]);
}

/* The sync IPI's target: every CPU online takes it, even idle ones. */
Test(events_api, trace_names_ipi_only_cpus, .timeout = 60)
{
	json_t *doc = trace_of("S1", "arm64", "ipi-sync", 1);
	json_t *evs = json_object_get(doc, "traceEvents"), *e;
	bool kinds[THPSIM_EV__NR] = { false };
	bool ran[64] = { false };
	size_t i;

	check_trace(doc, kinds);
	json_array_foreach(evs, i, e) {
		const char *cat = json_string_value(json_object_get(e, "cat"));
		json_int_t tid = json_integer_value(json_object_get(e, "tid"));

		if (cat && !strcmp(cat, "IPI_RUN") && tid >= 0 && tid < 64)
			ran[tid] = true;
	}
	cr_assert(ran[1], "G takes the sync IPI");
	cr_assert(ran[5], "the RCU CPU takes the sync IPI");
	cr_assert(ran[6], "setup's CPU takes the sync IPI");
	cr_assert(ran[9], "the idle CPU takes the sync IPI");
	json_decref(doc);
}

/* ---- the stress workload's events -------------------------------------- */

struct stress_count {
	uint64_t n, ipi_run;
	uint64_t kinds[THPSIM_EV__NR];
};

static void stress_event(const thpsim_event_t *ev, void *arg)
{
	struct stress_count *c = arg;

	/* Serialized by the library: plain increments are enough. */
	c->n++;
	c->ipi_run += ev->kind == THPSIM_EV_IPI_RUN;
	if ((unsigned)ev->kind < THPSIM_EV__NR)
		c->kinds[ev->kind]++;
}

Test(events_api, stress_on_event, .timeout = 60)
{
	static struct stress_count c;
	thpsim_stress_config_t sc;
	thpsim_stress_result_t res;

	memset(&c, 0, sizeof(c));
	thpsim_stress_config_init(&sc);
	sc.duration_ns = 100 * 1000 * 1000;
	sc.on_event = stress_event;
	sc.on_event_arg = &c;
	cr_assert_eq(thpsim_stress_run(&sc, &res), 0, "%s", thpsim_errmsg());
	cr_assert_gt(res.counters.events, 0);
	/* The oracle's count, plus any it set aside as re-entered. */
	cr_assert_geq(c.n, res.counters.events);
	cr_assert_leq(c.n, res.counters.events + res.verdict.nr_ignored);
	cr_assert_eq(c.ipi_run, 0);
	cr_assert_gt(c.kinds[THPSIM_EV_WALK_BEGIN], 0);
}

/* The timeline titles the same CPUs: setup's, the RCU one, idle ones. */
Test(events_api, timeline_names_ipi_only_cpus, .timeout = 60)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;

	s1(&rc, "arm64", "ipi-sync");
	rc.idle_cpus = 1;
	rc.timeline = true;
	rc.timeline_width = 400;
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	cr_assert(res.timeline);
	cr_assert(strstr(res.timeline, "CPU 5: R: RCU callbacks"), "%s", res.timeline);
	cr_assert(strstr(res.timeline, "CPU 6: setup's CPU"), "%s", res.timeline);
	cr_assert(strstr(res.timeline, "CPU 9: idle"), "%s", res.timeline);
	cr_assert(strstr(res.timeline, "runs IPI from CPU 0"), "%s", res.timeline);
	thpsim_run_result_fini(&res);
}

/* ---- invariants by name, and the command's --invariant ------------------ */

static int cli(const char **args)
{
	char *argv[32];
	int argc = 0;

	for (; args[argc]; argc++)
		argv[argc] = (char *)args[argc];
	argv[argc] = NULL;
	/* The command closes standard output at its end (to report a
	 * failed write): a fresh one for each call. */
	cr_assert(freopen("/dev/null", "w", stdout));
	return thpsim_cli_main(argc, argv);
}

Test(events_api, registry_and_command, .timeout = 120)
{
	thpsim_invariant_t bad = { .name = "no spaces" };
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	char *s;

	cr_assert_eq(thpsim_invariant_register(NULL), -THPSIM_EINVAL);
	cr_assert_eq(thpsim_invariant_register(&bad), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "'no spaces'"), "%s", thpsim_errmsg());
	cr_assert_null(thpsim_invariant_find("no-wait-on-masked"));
	cr_assert(strstr(thpsim_errmsg(), "none registered"), "%s", thpsim_errmsg());
	cr_assert_eq(thpsim_invariant_register(&nowait_inv), 0, "%s", thpsim_errmsg());
	cr_assert_eq(thpsim_invariant_register(&nowait_inv), -THPSIM_EEXIST);
	cr_assert_eq(thpsim_invariant_count(), 1);
	cr_assert_eq(thpsim_invariant_at(0), &nowait_inv);
	cr_assert_null(thpsim_invariant_at(1));
	cr_assert_eq(thpsim_invariant_find("no-wait-on-masked"), &nowait_inv);
	cr_assert_null(thpsim_invariant_find("other"));
	cr_assert(strstr(thpsim_errmsg(), "registered: no-wait-on-masked"), "%s", thpsim_errmsg());

	/* A schedule the invariant flags, from the API ... */
	thpsim_explore_config_init(&ec);
	s1(&ec.run, "x86", "none");
	ec.policy = THPSIM_POLICY_DFS;
	ec.preemptions = 1;
	ec.iterations = 0;
	ec.run.invariant = &nowait_inv;
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert(xr.invariant_schedule);
	s = xr.invariant_schedule;
	/* ... replays from the command line: a violation with --invariant,
	 * not without. */
	{
		const char *with[] = { "thpsim", "replay", "S1", "--profile", "x86",
			"--fix", "none", "--geometry", "2x4", "--invariant",
			"no-wait-on-masked", "--schedule", s, NULL };
		const char *without[] = { "thpsim", "replay", "S1", "--profile", "x86",
			"--fix", "none", "--geometry", "2x4", "--schedule", s, NULL };
		const char *unknown[] = { "thpsim", "run", "S1", "--invariant",
			"nope", NULL };
		const char *explore_with[] = { "thpsim", "explore", "S1", "--profile",
			"x86", "--fix", "none", "--geometry", "2x4", "--policy", "dfs",
			"--preemptions", "1", "--invariant", "no-wait-on-masked", NULL };

		cr_assert_eq(cli(with), 1);
		cr_assert_eq(cli(without), 0);
		cr_assert_eq(cli(unknown), 2);
		cr_assert_eq(cli(explore_with), 1);
	}
	thpsim_explore_result_fini(&xr);
	cr_assert_eq(thpsim_invariant_unregister("no-wait-on-masked"), 0);
	cr_assert_eq(thpsim_invariant_unregister("no-wait-on-masked"), -THPSIM_ENOENT);
	cr_assert_eq(thpsim_invariant_count(), 0);
}

Test(events_api, registry_full, .timeout = 30)
{
	static char names[THPSIM_INVARIANTS_MAX + 1][16];
	static thpsim_invariant_t invs[THPSIM_INVARIANTS_MAX + 1];

	for (int i = 0; i <= THPSIM_INVARIANTS_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "inv%d", i);
		invs[i].name = names[i];
	}
	for (int i = 0; i < THPSIM_INVARIANTS_MAX; i++)
		cr_assert_eq(thpsim_invariant_register(&invs[i]), 0, "%s", thpsim_errmsg());
	cr_assert_eq(thpsim_invariant_register(&invs[THPSIM_INVARIANTS_MAX]),
		     -THPSIM_ENOSPC);
	cr_assert_eq(thpsim_invariant_unregister("inv3"), 0);
	cr_assert_eq(thpsim_invariant_register(&invs[THPSIM_INVARIANTS_MAX]), 0);
	cr_assert_eq(thpsim_invariant_at(THPSIM_INVARIANTS_MAX - 1),
		     &invs[THPSIM_INVARIANTS_MAX]);
}
