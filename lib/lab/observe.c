/*
 * observe.c - a run's events to the lab's on_event / on_phase, and the
 * lab's own invariant judged along (see lab/observe.h, thpsim/observe.h).
 */
#include <stdio.h>
#include <string.h>

#include "lab/observe.h"
#include "machine/event.h"

static const char *const phase_names[] = { "setup", "run", "teardown" };

const char *thpsim_run_phase_name(thpsim_run_phase_t p)
{
	return (unsigned)p < THPSIM_PHASE__NR ? phase_names[p] : "?";
}

void observe_begin(struct run_observer *o, const thpsim_run_config_t *rc)
{
	memset(o, 0, sizeof(*o));
	o->rc = rc;
	o->inv = rc->invariant;
	/* An invariant or an event hook judges the stream as a whole: keep
	 * its events' relative order under partial-order reduction. */
	thpsim__event_ordered = (o->inv && o->inv->on_event) || rc->on_event;
	if (o->inv && o->inv->begin)
		o->inv->begin(o->inv->arg);
}

void observe_phase(struct run_observer *o, thpsim_run_phase_t phase)
{
	o->phase = phase;
	o->started = true;
	if (o->rc->on_phase)
		o->rc->on_phase(phase, o->rc->on_event_arg);
}

/* A finding at the event ev (NULL: the last one), pre-filled. */
static void finding_init(const struct run_observer *o,
			 const thpsim_event_t *ev, thpsim_finding_t *f)
{
	memset(f, 0, sizeof(*f));
	if (!ev && o->nr_events)
		ev = &o->last;
	f->outcome = THPSIM_OUTCOME_INVARIANT;
	f->seq = ev ? ev->seq : THPSIM_NO_SEQ;
	f->step = ev ? ev->step : 0;
	f->cpu = ev ? ev->cpu : THPSIM_NO_CPU;
	f->read_seq = f->read_step = THPSIM_NO_SEQ;
	f->cause_seq = f->cause_step = THPSIM_NO_SEQ;
	f->cause_cpu = f->waiter = f->target = THPSIM_NO_CPU;
	f->wait_step = f->wait_end_step = THPSIM_NO_SEQ;
}

/* The invariant said it is broken: count it, keep the first. */
static void finding_keep(struct run_observer *o, thpsim_finding_t *f)
{
	char text[THPSIM_FINDING_TEXT_MAX];
	size_t n, len;

	o->count++;
	if (o->found)
		return;
	f->outcome = THPSIM_OUTCOME_INVARIANT;
	f->text[sizeof(f->text) - 1] = '\0';
	if (!f->text[0])
		snprintf(f->text, sizeof(f->text), "broken (no text given)");
	n = (size_t)snprintf(text, 128, "invariant %.100s: ",
			     o->inv->name ? o->inv->name : "(unnamed)");
	len = strlen(f->text);
	if (len > sizeof(text) - 1 - n)
		len = sizeof(text) - 1 - n;
	memcpy(text + n, f->text, len);
	text[n + len] = '\0';
	memcpy(f->text, text, sizeof(text));
	o->first = *f;
	o->found = true;
}

void observe_event(struct run_observer *o, const thpsim_event_t *ev)
{
	thpsim_finding_t f;

	if (o->rc->on_event)
		o->rc->on_event(ev, o->rc->on_event_arg);
	if (o->phase == THPSIM_PHASE_TEARDOWN)
		return;
	o->last = *ev;
	o->nr_events++;
	if (!o->inv || !o->inv->on_event)
		return;
	finding_init(o, ev, &f);
	if (o->inv->on_event(ev, o->inv->arg, &f))
		finding_keep(o, &f);
}

static void fill_view(struct run_observer *o)
{
	o->view.step = o->ds ? o->ds->step : 0;
	o->view.nr_events = o->nr_events;
	o->view.last = o->nr_events ? &o->last : NULL;
}

static void after_step(void *arg, const struct detsched *s,
		       const struct det_decision *d)
{
	struct run_observer *o = arg;
	thpsim_finding_t f;

	(void)s;
	(void)d;
	fill_view(o);
	finding_init(o, NULL, &f);
	if (o->inv->after_step(&o->view, o->inv->arg, &f))
		finding_keep(o, &f);
}

void observe_attach(struct run_observer *o, struct detsched *ds,
		    thpsim_machine_t *m, thpsim_mm_t *mm)
{
	o->ds = ds;
	o->view.machine = m;
	o->view.mm = mm;
	if (o->inv && o->inv->after_step) {
		ds->on_step = after_step;
		ds->on_step_arg = o;
	}
}

void observe_run_end(struct run_observer *o)
{
	thpsim_finding_t f;

	if (o->ds && o->ds->on_step == after_step) {
		o->ds->on_step = NULL;
		o->ds->on_step_arg = NULL;
	}
	if (!o->inv || !o->inv->at_end)
		return;
	fill_view(o);
	finding_init(o, NULL, &f);
	if (o->inv->at_end(&o->view, o->inv->arg, &f))
		finding_keep(o, &f);
}

void observe_verdict(const struct run_observer *o, thpsim_verdict_t *v)
{
	const int c = THPSIM_OUTCOME_INVARIANT;

	if (!o->count)
		return;
	v->counts[c] += o->count;
	if (!v->found[c]) {
		v->found[c] = true;
		v->first[c] = o->first;
	}
	if (v->outcome > (thpsim_outcome_t)c)
		v->outcome = (thpsim_outcome_t)c;
}
