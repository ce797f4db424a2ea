/*
 * scenario.c - one deterministic run of a catalogue scenario.
 *
 * Steps: a fresh machine and mm with the asked-for geometry and kernel
 * configuration; the oracle and the timeline subscribe to the event
 * stream; the scenario's setup runs (on a setup CPU, free mode); its
 * threads become fibers on their fixed CPUs, plus the RCU thread; the
 * scripted policy runs them; the oracle judges.  The scenario never sees
 * the profile, the fix or the knobs: they go to the mm only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lab/observe.h"
#include "lab/oracle.h"
#include "lab/scenario.h"
#include "lab/timeline.h"
#include "lab/trace.h"
#include "machine/cpu.h"
#include "machine/detsched.h"
#include "machine/errors.h"
#include "machine/event.h"
#include "machine/fiber.h"
#include "machine/rcu.h"
#include "machine/rcu_det.h"
#include "machine/snapshot.h"
#include "mm/abandon.h"

/* Default steps before a run is declared a livelock (never expected). */
#define RUN_MAX_STEPS 100000

void thpsim_run_config_init(thpsim_run_config_t *rc)
{
	thpsim_kconfig_t kc;

	if (!rc)
		return;
	*rc = (thpsim_run_config_t){ .scenario = "S1", .profile = "arm64",
				     .fix = "none", .timeline_width = 120 };
	thpsim_kconfig_default(&kc);
	thpsim_geometry_default(&rc->geometry);
	rc->knobs = kc.knobs;
}

/* ---- one run --------------------------------------------------------- */

enum run_phase { PHASE_SETUP, PHASE_SCRIPT, PHASE_TEARDOWN };

struct run {
	const thpsim_scenario_def_t *sc;	/* &def */
	thpsim_scenario_def_t def;		/* a copy: the registry may move */
	enum run_phase phase;
	int setup_err;
	uint32_t shown_cpus;		/* timeline columns */
	thpsim_scenario_ctx_t ctx;
	thpsim_kconfig_t kc;
	struct oracle *oracle;
	struct timeline *timeline;
	struct trace *trace;
	const struct scenario_hooks *hooks;
	struct run_observer obs;	/* rc->on_event, rc->invariant */
	struct detsched ds;
	struct script_state script;
	/* Idle CPUs outside the mm: slots with no thread (they only take
	 * interrupts), from THPSIM_RUN_FIRST_IDLE_CPU on. */
	unsigned nr_idle;
	struct cpu *idle[THPSIM_IDLE_CPUS_MAX];
};

_Static_assert(SCENARIO_NR_CPUS == THPSIM_RUN_FIRST_IDLE_CPU,
	       "idle CPUs follow the fixed roles");

struct thread_arg {
	struct run *run;
	const thpsim_scenario_thread_t *t;
};

static void thread_body(void *p)
{
	struct thread_arg *a = p;

	if (a->t->uses_mm)
		thpsim_mm_switch(a->run->ctx.mm);
	a->t->fn(&a->run->ctx);
	if (a->t->uses_mm)
		thpsim_mm_unuse(a->run->ctx.mm);
}

static size_t frames_for(const thpsim_geometry_t *g)
{
	/* Two pmd ranges of small pages, two huge pages, tables, slack.  The
	 * slack is small: exploration makes a machine per schedule, and the
	 * arena's poisoning is most of a 2x4 run's cost. */
	return 6 * (size_t)g->entries + 8 * g->levels + 16;
}

static int run_machine(struct run *r, const thpsim_run_config_t *rc)
{
	thpsim_machine_config_t cfg;
	int id = 0;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = SCENARIO_NR_CPUS + r->nr_idle;
	cfg.page_shift = rc->geometry.page_shift;
	cfg.nr_frames = frames_for(&rc->geometry);
	cfg.guest = r->kc.profile->guest;
	(void)id;
	return thpsim_machine_create(&cfg, &r->ctx.m);
}

static void run_layout(struct run *r, const thpsim_run_config_t *rc)
{
	thpsim_scenario_ctx_t *ctx = &r->ctx;

	ctx->g = rc->geometry;
	ctx->page = UINT64_C(1) << rc->geometry.page_shift;
	ctx->hpage = thpsim_geometry_hpage_size(&rc->geometry);
	/* A and B: adjacent pmd entries of one PMD table, not the first. */
	ctx->A = 2 * ctx->hpage;
	ctx->B = 3 * ctx->hpage;
	ctx->walk_addr = ctx->A + 2 * ctx->page;
	ctx->arg = r->sc->arg;
}

static void name_cpu(struct run *r, int cpu, const char *label);

/* A CPU with no thread of the script that takes part anyway (an IPI). */
static const char *idle_cpu_label(int cpu)
{
	switch (cpu) {
	case CPU_SETUP: return "setup's CPU (no thread now)";
	case CPU_TEARDOWN: return "teardown's CPU (no thread now)";
	case CPU_R: return "R: RCU callbacks";
	}
	return cpu >= SCENARIO_NR_CPUS ? "idle" : "no thread";
}

static void event_to_both(const thpsim_event_t *ev, void *arg)
{
	struct run *r = arg;

	oracle_feed(r->oracle, ev);
	observe_event(&r->obs, ev);
	/* The timeline shows the script's phase, every CPU taking part. */
	if (r->phase != PHASE_SCRIPT)
		return;
	if (ev->cpu >= 0 && ev->cpu < 32) {
		if (!((r->shown_cpus >> ev->cpu) & 1))
			name_cpu(r, ev->cpu, idle_cpu_label(ev->cpu));
		if (r->timeline)
			timeline_feed(r->timeline, ev);
		if (r->trace)
			trace_feed(r->trace, ev);
	}
	if (r->hooks->sink)
		r->hooks->sink(ev, r->hooks->sink_arg);
}

/* A column of the timeline and a track of the trace. */
static void name_cpu(struct run *r, int cpu, const char *label)
{
	if (r->timeline)
		timeline_name_cpu(r->timeline, cpu, label);
	if (r->trace)
		trace_name_cpu(r->trace, cpu, label);
	r->shown_cpus |= 1u << cpu;
}

static int run_spawn(struct run *r, struct thread_arg *args)
{
	int err = 0, n = 0;

	for (int i = 0; i < THPSIM_SCENARIO_THREADS_MAX && !err; i++) {
		const thpsim_scenario_thread_t *t = &r->sc->threads[i];
		static const char *names[] = { "G", "K", "U", "S", "W", "L" };
		const char *name = NULL;

		if (!t->name)
			break;
		for (int k = 0; k < 6; k++)
			if (names[k][0] == t->name)
				name = names[k];
		args[n] = (struct thread_arg){ r, t };
		err = detsched_spawn(&r->ds, name, scenario_thread_cpu(t->name),
				     thread_body, &args[n++]);
		if (!err) {
			char label[64];

			snprintf(label, sizeof(label), "%c: %s", t->name, t->role);
			name_cpu(r, scenario_thread_cpu(t->name), label);
		}
	}
	if (!err)
		name_cpu(r, CPU_R, "R: RCU callbacks");
	for (unsigned i = 0; !err && i < r->nr_idle; i++)
		name_cpu(r, r->idle[i]->id, "idle");
	return err;
}

/*
 * Idle CPUs: online, interrupts on, never switched to the mm, with no
 * fiber: an IPI to one runs at once on its behalf (detsched.c: det_kick),
 * as on a CPU in the idle loop.
 */
static int idle_attach(struct run *r)
{
	for (unsigned i = 0; i < r->nr_idle; i++) {
		int err = thpsim__cpu_attach(r->ctx.m, SCENARIO_NR_CPUS + (int)i,
					     &r->idle[i]);

		if (err)
			return err;
	}
	return 0;
}

static void idle_detach(struct run *r)
{
	for (unsigned i = 0; i < r->nr_idle; i++)
		if (r->idle[i])
			thpsim__cpu_detach(r->idle[i]);
}

/* out->irqs: what each CPU took since `before` (the script's share). */
static void irq_counts(struct run *r, thpsim_irq_counts_t *now)
{
	unsigned n = SCENARIO_NR_CPUS + r->nr_idle;

	for (unsigned i = 0; i < n; i++)
		thpsim_cpu_irq_counts(r->ctx.m, (int)i, &now[i]);
}

/* ---- setup and teardown run as fibers too (simulated RCU, locks) ----- */

static void setup_body(void *p)
{
	struct run *r = p;
	int err;

	err = thpsim_mm_create(r->ctx.m, &r->ctx.g, &r->ctx.mm);
	if (!err)
		err = thpsim_mm_set_kconfig(r->ctx.mm, &r->kc);
	if (!err)
		err = r->sc->setup(&r->ctx);
	if (!err)
		rcu_barrier();	/* nothing of setup's still pending */
	r->setup_err = err;
}

static void teardown_body(void *p)
{
	struct run *r = p;

	/* Each pointer is cleared once destroyed: a BUG in between leaves
	 * what remains to thpsim__mm_abandon / thpsim__file_abandon. */
	if (r->ctx.mm) {
		scenario_unpin_all(&r->ctx);
		thpsim_mm_destroy(r->ctx.mm);
		r->ctx.mm = NULL;
	}
	if (r->ctx.file) {
		thpsim_file_destroy(r->ctx.file);
		r->ctx.file = NULL;
	}
	rcu_barrier();
}

static enum det_result run_alone(struct run *r, int cpu,
				 void (*fn)(void *), const char *name)
{
	static const thpsim_script_step_t nothing[] = { THPSIM_SCRIPT_END };
	struct det_policy p = { "run-out", script_next, &r->script };
	int err;

	script_init(&r->script, nothing);
	err = detsched_spawn(&r->ds, name, cpu, fn, r);
	if (err)
		return DET_ERROR;
	return detsched_run(&r->ds, &p);
}

static int run_script(struct run *r, thpsim_run_result_t *out)
{
	struct thread_arg args[THPSIM_SCENARIO_THREADS_MAX];
	struct det_policy script = { "script", script_next, &r->script };
	const struct det_policy *p = r->hooks->policy ? r->hooks->policy : &script;
	thpsim_irq_counts_t before[THPSIM_RUN_CPUS_MAX];
	enum det_result dr;

	if (run_spawn(r, args))
		return thpsim__err(-THPSIM_EINTERNAL, "scenario %s: %s",
				   r->sc->id, thpsim_errmsg());
	r->phase = PHASE_SCRIPT;
	observe_phase(&r->obs, THPSIM_PHASE_RUN);
	r->ds.step = 0;		/* the script's steps count from 1 */
	script_init(&r->script, r->sc->script);
	irq_counts(r, before);
	observe_attach(&r->obs, &r->ds, r->ctx.m, r->ctx.mm);
	dr = detsched_run(&r->ds, p);
	/*
	 * The footprint log (partial-order reduction) is the script's: the
	 * teardown of a fresh run would otherwise add what it touches to the
	 * last step's footprint, which a session's run (no teardown) does
	 * not, and the two would explore different classes.
	 */
	detsched_set_footprint(NULL);
	observe_run_end(&r->obs);
	irq_counts(r, out->irqs);
	out->nr_cpus = SCENARIO_NR_CPUS + r->nr_idle;
	out->nr_idle_cpus = r->nr_idle;
	for (unsigned i = 0; i < out->nr_cpus; i++) {
		out->irqs[i].cal -= before[i].cal;
		out->irqs[i].tlb -= before[i].tlb;
	}
	r->phase = PHASE_TEARDOWN;
	out->steps = r->ds.step;
	if (dr == DET_DEADLOCK) {
		snprintf(out->deadlock, sizeof(out->deadlock), "%s", r->ds.report);
		oracle_report_deadlock(r->oracle, r->ds.report);
		return 0;
	}
	if (dr == DET_BUG)
		return thpsim__err(-THPSIM_EMODEL,
				   "scenario %s, step %llu: %s (the run was ended)",
				   r->sc->id, (unsigned long long)r->ds.step + 1,
				   r->ds.report);
	if (dr != DET_FINISHED)
		return thpsim__err(-THPSIM_EINTERNAL, "scenario %s: scheduler %s: %s",
				   r->sc->id, det_result_name(dr), r->ds.report);
	return 0;
}

/* ---- the entry point ------------------------------------------------- */

static int run_config(struct run *r, const thpsim_run_config_t *rc)
{
	int err;

	if (rc->timeline_width > THPSIM_TIMELINE_WIDTH_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "timeline width %u too large (allowed: 0 for the default, up to %d)",
				   rc->timeline_width, THPSIM_TIMELINE_WIDTH_MAX);
	err = scenario_copy(rc->scenario, &r->def);
	if (err)
		return err;
	r->sc = &r->def;
	err = thpsim_geometry_validate(&rc->geometry);
	if (err)
		return err;
	r->kc.profile = thpsim_profile_find(rc->profile ? rc->profile : "arm64");
	if (!r->kc.profile)
		return -THPSIM_EINVAL;
	r->kc.strategy = thpsim_strategy_find(rc->fix ? rc->fix : "none");
	if (!r->kc.strategy)
		return -THPSIM_EINVAL;
	r->kc.knobs = rc->knobs;
	if (rc->idle_cpus > THPSIM_IDLE_CPUS_MAX - r->sc->idle_cpus)
		return thpsim__err(-THPSIM_EINVAL,
				   "idle_cpus: %u out of range 0..%u (scenario %s has %u of its own; at most %d in all)",
				   rc->idle_cpus,
				   THPSIM_IDLE_CPUS_MAX - r->sc->idle_cpus,
				   r->sc->id, r->sc->idle_cpus,
				   THPSIM_IDLE_CPUS_MAX);
	r->nr_idle = r->sc->idle_cpus + rc->idle_cpus;
	run_layout(r, rc);
	return 0;
}

static char *render_timeline(struct run *r, unsigned width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	timeline_render(r->timeline, f, width ? width : 120);
	fclose(f);
	return buf;
}

static char *print_verdict(const thpsim_verdict_t *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	thpsim_verdict_print(v, f);
	fclose(f);
	return buf;
}

/* The RCU daemon, then the scenario's set-up on its own CPU: 0, or
 * -THPSIM_EMODEL (a rule of the model broken) / -THPSIM_EINTERNAL. */
static int run_setup(struct run *r)
{
	enum det_result dr;

	if (detsched_spawn_rcu(&r->ds, CPU_R))
		return thpsim__err(-THPSIM_EINTERNAL, "scenario: %s", thpsim_errmsg());
	dr = run_alone(r, CPU_SETUP, setup_body, "setup");
	if (dr == DET_BUG)
		return thpsim__err(-THPSIM_EMODEL,
				   "scenario %s setup: %s (the run was ended)",
				   r->sc->id, r->ds.report);
	if (dr != DET_FINISHED || r->setup_err)
		return thpsim__err(-THPSIM_EINTERNAL,
				   "scenario %s setup failed (%s): %s", r->sc->id,
				   det_result_name(dr),
				   r->setup_err ? thpsim_errmsg() : r->ds.report);
	return 0;
}

static int run_all(struct run *r, const thpsim_run_config_t *rc,
		   thpsim_run_result_t *out)
{
	int err;

	observe_phase(&r->obs, THPSIM_PHASE_SETUP);
	err = run_setup(r);
	if (err)
		return err;
	err = run_script(r, out);
	if (err)
		return err;
	oracle_verdict(r->oracle, &out->verdict);
	observe_verdict(&r->obs, &out->verdict);
	if (r->timeline) {
		timeline_mark_verdict(r->timeline, &out->verdict);
		out->timeline = render_timeline(r, rc->timeline_width);
	}
	if (r->trace) {
		trace_mark_verdict(r->trace, &out->verdict);
		out->trace = trace_render(r->trace);
	}
	if (!r->hooks->quiet)
		out->verdict_text = print_verdict(&out->verdict);
	out->events = out->verdict.nr_events;
	/* After a deadlock the threads still hold locks: no teardown. */
	if (!out->deadlock[0])
		observe_phase(&r->obs, THPSIM_PHASE_TEARDOWN);
	if (!out->deadlock[0] &&
	    run_alone(r, CPU_TEARDOWN, teardown_body, "teardown") == DET_BUG)
		return thpsim__err(-THPSIM_EMODEL,
				   "scenario %s teardown: %s (the run was ended)",
				   r->sc->id, r->ds.report);
	return 0;
}

int thpsim_scenario_run(const thpsim_run_config_t *rc, thpsim_run_result_t *out)
{
	static const struct scenario_hooks script = { NULL, NULL, NULL, false };

	return scenario_run_hooked(rc, &script, out);
}

/* The machine goes, and r with it; abandon: the mm and the file cannot
 * be torn down through the model (see the callers). */
static void run_release(struct run *r, bool abandon)
{
	if (abandon) {
		thpsim__mm_abandon(r->ctx.mm);
		thpsim__file_abandon(r->ctx.file);
	}
	if (r->ctx.m) {
		idle_detach(r);
		thpsim_machine_destroy(r->ctx.m);
	}
	free(r);
}

int scenario_run_hooked(const thpsim_run_config_t *rc,
			const struct scenario_hooks *h,
			thpsim_run_result_t *out)
{
	struct run *r;
	int err;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "scenario: out is NULL (need a place for the result)");
	memset(out, 0, sizeof(*out));
	if (!rc)
		return thpsim__err(-THPSIM_EINVAL, "scenario: run configuration is NULL");
	r = calloc(1, sizeof(*r));
	if (!r)
		return thpsim__err(-THPSIM_ENOMEM, "scenario: out of memory");
	r->hooks = h;
	observe_begin(&r->obs, rc);
	err = run_config(r, rc);
	if (!err)
		err = run_machine(r, rc);
	if (!err)
		err = idle_attach(r);
	if (!err) {
		r->oracle = oracle_create(&rc->geometry, frames_for(&rc->geometry));
		r->timeline = rc->timeline ? timeline_create() : NULL;
		r->trace = rc->trace ? trace_create(rc) : NULL;
		err = r->oracle && (!rc->trace || r->trace) ? event_subscribe(event_to_both, r) :
				  -THPSIM_ENOMEM;
	}
	if (!err) {
		detsched_init(&r->ds, r->ctx.m, RUN_MAX_STEPS);
		err = run_all(r, rc, out);
		event_unsubscribe(event_to_both, r);
		detsched_fini(&r->ds);
	}
	if (r->timeline)
		timeline_destroy(r->timeline);
	trace_destroy(r->trace);
	if (r->oracle)
		oracle_destroy(r->oracle);
	/*
	 * A BUG ended the run (or a deadlock left locks held): its threads
	 * were abandoned mid-operation, so the mm and the file cannot be torn
	 * down through the model.  Their host memory is given back as is
	 * (mm/abandon.h); the simulated state goes with the machine.
	 */
	run_release(r, r->ds.bugged || out->deadlock[0]);
	return err;
}

void thpsim_run_result_fini(thpsim_run_result_t *r)
{
	if (!r)
		return;
	free(r->timeline);
	free(r->verdict_text);
	free(r->trace);
	r->trace = NULL;
	r->timeline = NULL;
	r->verdict_text = NULL;
}

/* ---- fast restarts: one set-up run, many schedules ------------------- */

/*
 * An exploration runs one configuration many times, and every run starts
 * with the same machine, mm, setup and parked RCU thread.  A session
 * builds that state once, snapshots it (machine/snapshot.h) and puts it
 * back after every schedule: a schedule pays for its own steps only.
 * What a schedule sees is what a fresh scenario_run_hooked() would give
 * it (tests/lab/test_fastpath.c compares the two); the one difference is
 * that the teardown runs once, at scenario_session_close(), not after
 * every schedule (its events come after the verdict).
 */
struct scenario_session {
	struct run *r;
	struct snapshot *snap;
	int nr_threads;			/* after setup: the daemons */
	bool subscribed, inited, ready;
};

bool scenario_session_supported(void)
{
	/* The parked RCU fiber's stack must be known (x86-64 switch). */
	return fiber_stacks_known();
}

static int session_setup(struct scenario_session *s)
{
	struct run *r = s->r;
	void *p, *q;
	size_t n, nq;
	int err;

	err = run_setup(r);
	if (err)
		return err;
	err = snapshot_add_region(s->snap, r, sizeof(*r));
	rcu_det_state_region(&p, &n);
	if (!err)
		err = snapshot_add_region(s->snap, p, n);
	event_state_regions(&p, &n, &q, &nq);
	if (!err)
		err = snapshot_add_region(s->snap, p, n);
	if (!err)
		err = snapshot_add_region(s->snap, q, nq);
	/* The parked daemons' stacks (the RCU thread). */
	for (int i = 0; !err && i < r->ds.nr_threads; i++)
		if (r->ds.threads[i].state != DT_DONE) {
			if (!fiber_live_stack(&r->ds.threads[i].fiber, &p, &n))
				return thpsim__err(-THPSIM_EINTERNAL,
						   "snapshot: thread %s's stack is not known",
						   r->ds.threads[i].name);
			err = snapshot_add_region(s->snap, p, n);
		}
	s->nr_threads = r->ds.nr_threads;
	if (!err)
		err = snapshot_take(s->snap, r->ctx.m,
				    (size_t)r->ctx.g.entries * sizeof(uint64_t));
	s->ready = !err;
	return err;
}

int scenario_session_open(const thpsim_run_config_t *rc,
			  const struct scenario_hooks *h,
			  struct scenario_session **out)
{
	struct scenario_session *s = calloc(1, sizeof(*s));
	struct run *r;
	int err;

	*out = NULL;
	if (!s)
		return thpsim__err(-THPSIM_ENOMEM, "scenario: out of memory");
	r = s->r = calloc(1, sizeof(*r));
	if (!r) {
		free(s);
		return thpsim__err(-THPSIM_ENOMEM, "scenario: out of memory");
	}
	r->hooks = h;
	/* No observer or invariant here (explore_loop), but the event path
	 * reads the observer all the same. */
	observe_begin(&r->obs, rc);
	err = run_config(r, rc);
	if (!err)
		err = snapshot_begin(&s->snap);
	if (!err)
		err = run_machine(r, rc);
	if (!err)
		err = idle_attach(r);
	if (!err) {
		r->oracle = oracle_create(&rc->geometry, frames_for(&rc->geometry));
		err = r->oracle ? event_subscribe(event_to_both, r) : -THPSIM_ENOMEM;
		s->subscribed = !err;
	}
	if (!err) {
		detsched_init(&r->ds, r->ctx.m, RUN_MAX_STEPS);
		s->inited = true;
		err = session_setup(s);
	}
	if (err) {
		scenario_session_close(s);
		return err;
	}
	*out = s;
	return 0;
}

/* Back to the snapshot: the schedule's threads go, the log stays. */
static void session_restore(struct scenario_session *s)
{
	struct run *r = s->r;
	struct det_decision *log = r->ds.log;
	size_t cap = r->ds.log_cap;

	for (int i = s->nr_threads; i < r->ds.nr_threads; i++)
		fiber_destroy(&r->ds.threads[i].fiber);
	snapshot_restore(s->snap);
	r->ds.log = log;
	r->ds.log_cap = cap;
}

int scenario_session_run(struct scenario_session *s, thpsim_run_result_t *out)
{
	struct run *r = s->r;
	int err;

	memset(out, 0, sizeof(*out));
	err = run_script(r, out);
	if (!err) {
		oracle_verdict_zeroed(r->oracle, &out->verdict);
		if (!r->hooks->quiet)
			out->verdict_text = print_verdict(&out->verdict);
		out->events = out->verdict.nr_events;
	}
	session_restore(s);
	return err;
}

void scenario_session_close(struct scenario_session *s)
{
	struct run *r;
	bool bugged = false;

	if (!s)
		return;
	r = s->r;
	/* The objects stay as the last restore left them: after setup. */
	if (s->snap)
		snapshot_end(s->snap);
	if (s->ready && !r->ds.bugged &&
	    run_alone(r, CPU_TEARDOWN, teardown_body, "teardown") == DET_BUG)
		bugged = true;
	if (s->subscribed)
		event_unsubscribe(event_to_both, r);
	if (s->inited)
		detsched_fini(&r->ds);
	if (r->oracle)
		oracle_destroy(r->oracle);
	run_release(r, bugged || r->ds.bugged);
	free(s);
}
