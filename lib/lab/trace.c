/*
 * trace.c - Chrome/Perfetto trace-event JSON (see trace.h), written with
 * jansson: escaping, UTF-8 and number formatting are the library's, and
 * keys keep their insertion order, so equal runs give equal bytes.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/timeline.h"
#include "lab/trace.h"
#include "machine/errors.h"
#include "machine/mutant.h"

#define TRACE_CPUS 32
#define TRACE_EVENTS_MAX (1u << 20)
#define NO_END UINT64_MAX

/* Sections: a begin kind, its end kind, and a slice per pair. */
enum section { SEC_WALK, SEC_IRQ, SEC_WAIT, SEC_COLLAPSE, SEC_VCPU, SEC__NR };

struct trace {
	char title[160];
	char *names[TRACE_CPUS];
	thpsim_event_t *ev;
	size_t nr, cap;
	thpsim_verdict_t v;
	bool has_verdict;
};

struct trace *trace_create(const thpsim_run_config_t *rc)
{
	struct trace *t = calloc(1, sizeof(*t));
	char bad[64];

	if (!t)
		return NULL;
	snprintf(t->title, sizeof(t->title), "thpsim %s on %s, fix %s, %ux%u",
		 rc->scenario, rc->profile ? rc->profile : "arm64",
		 rc->fix ? rc->fix : "none", rc->geometry.levels,
		 rc->geometry.entries);
	/* A trace made under a test-only mutant says so (mutant.h). */
	if (thpsim__mutant_check(bad, sizeof(bad)))
		snprintf(t->title + strlen(t->title),
			 sizeof(t->title) - strlen(t->title), ", MUTANT %s",
			 getenv("THPSIM_MUTANT"));
	return t;
}

void trace_destroy(struct trace *t)
{
	if (!t)
		return;
	for (int i = 0; i < TRACE_CPUS; i++)
		free(t->names[i]);
	free(t->ev);
	free(t);
}

int trace_name_cpu(struct trace *t, int cpu, const char *name)
{
	if (cpu < 0 || cpu >= TRACE_CPUS || !name)
		return -THPSIM_EINVAL;
	free(t->names[cpu]);
	t->names[cpu] = strdup(name);
	return t->names[cpu] ? 0 : -THPSIM_ENOMEM;
}

void trace_feed(struct trace *t, const thpsim_event_t *ev)
{
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		thpsim_event_t *n;

		if (cap > TRACE_EVENTS_MAX)
			return;
		n = realloc(t->ev, cap * sizeof(*n));
		if (!n)
			return;
		t->ev = n;
		t->cap = cap;
	}
	t->ev[t->nr++] = *ev;
}

void trace_mark_verdict(struct trace *t, const thpsim_verdict_t *v)
{
	t->v = *v;
	t->has_verdict = true;
}

/* -1: not a section edge; else its section, *begin set. */
static int section_of(const thpsim_event_t *ev, bool *begin)
{
	switch (ev->kind) {
	case THPSIM_EV_WALK_BEGIN: *begin = true; return SEC_WALK;
	case THPSIM_EV_WALK_END: *begin = false; return SEC_WALK;
	case THPSIM_EV_IRQ_OFF: *begin = true; return SEC_IRQ;
	case THPSIM_EV_IRQ_ON: *begin = false; return SEC_IRQ;
	case THPSIM_EV_IPI_WAIT: *begin = true; return SEC_WAIT;
	case THPSIM_EV_IPI_WAIT_END: *begin = false; return SEC_WAIT;
	case THPSIM_EV_COLLAPSE_BEGIN: *begin = true; return SEC_COLLAPSE;
	case THPSIM_EV_COLLAPSE_END: *begin = false; return SEC_COLLAPSE;
	case THPSIM_EV_VCPU_PREEMPT: *begin = ev->arg == 1; return SEC_VCPU;
	default: return -1;
	}
}

#define OPEN_MAX 8

struct opens {
	size_t idx[TRACE_CPUS][SEC__NR][OPEN_MAX];
	int depth[TRACE_CPUS][SEC__NR];
};

/* end[i] = ts of the event closing the section event i opens. */
static void match_sections(const struct trace *t, uint64_t *end)
{
	struct opens *o = calloc(1, sizeof(*o));

	for (size_t i = 0; i < t->nr; i++)
		end[i] = NO_END;
	if (!o)
		return;
	for (size_t i = 0; i < t->nr; i++) {
		const thpsim_event_t *ev = &t->ev[i];
		bool begin = false;
		int sec = section_of(ev, &begin), *d;

		if (sec < 0 || ev->cpu < 0 || ev->cpu >= TRACE_CPUS)
			continue;
		d = &o->depth[ev->cpu][sec];
		if (begin && *d < OPEN_MAX)
			o->idx[ev->cpu][sec][(*d)++] = i;
		else if (!begin && *d > 0)
			end[o->idx[ev->cpu][sec][--*d]] = ev->seq;
	}
	free(o);
}

static json_t *base_event(const thpsim_event_t *ev, const char *ph,
			  const char *name)
{
	char point[64];

	snprintf(point, sizeof(point), "%s", ev->point >= 0 ?
		 thpsim_sched_point_name(ev->point) : "-");
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:I, s:{s:I, s:I, s:s}}",
			 "name", name, "cat", thpsim_event_kind_name(ev->kind),
			 "ph", ph, "pid", 1, "tid", ev->cpu, "ts",
			 (json_int_t)ev->seq, "args", "step",
			 (json_int_t)ev->step, "seq", (json_int_t)ev->seq,
			 "point", point);
}

static json_t *hex_json(uint64_t v)
{
	char hex[24];

	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)v);
	return json_string(hex);
}

static json_t *u64_json(uint64_t v)
{
	return v <= INT64_MAX ? json_integer((json_int_t)v) : hex_json(v);
}

/* Every field of the event, as thpsim/event.h names them. */
static void add_fields(json_t *j, const thpsim_event_t *ev)
{
	json_t *a = json_object_get(j, "args");
	bool ipi = ev->kind == THPSIM_EV_IPI_SEND || ev->kind == THPSIM_EV_IPI_RUN;

	if (!a)
		return;
	json_object_set_new(a, "kind", json_string(thpsim_event_kind_name(ev->kind)));
	json_object_set_new(a, "cpu", json_integer(ev->cpu));
	json_object_set_new(a, "level", json_integer(ev->level));
	json_object_set_new(a, "idx", json_integer(ev->idx));
	json_object_set_new(a, "arg", json_integer(ev->arg));
	json_object_set_new(a, "addr", hex_json(ev->addr));
	json_object_set_new(a, "pfn", u64_json(ev->pfn));
	json_object_set_new(a, "pfn2", u64_json(ev->pfn2));
	json_object_set_new(a, "val", hex_json(ev->val));
	json_object_set_new(a, "val2", hex_json(ev->val2));
	json_object_set_new(a, "gen", u64_json(ev->gen));
	json_object_set_new(a, "what", ev->what ? json_string(ev->what) : json_null());
	/* The sync IPI (tlb_remove_table_sync_one: no function to run) and
	 * the CPU at the other end, named for a reader of the trace. */
	if (ipi) {
		json_object_set_new(a, "sync", json_boolean(ev->what &&
					!strcmp(ev->what, "sync")));
		json_object_set_new(a, ev->kind == THPSIM_EV_IPI_SEND ?
				    "target" : "sender", json_integer(ev->arg));
	}
	if (ev->kind == THPSIM_EV_IPI_WAIT || ev->kind == THPSIM_EV_IPI_WAIT_END)
		json_object_set_new(a, "target", json_integer(ev->arg));
}

static json_t *event_json(const thpsim_event_t *ev, uint64_t end,
			  uint64_t last)
{
	char text[320];
	bool begin = false;
	int sec = section_of(ev, &begin);
	json_t *j;

	if (sec >= 0 && !begin)
		return NULL;	/* the slice was written at its begin */
	timeline_event_text(ev, text, sizeof(text));
	if (sec < 0) {
		j = base_event(ev, "i", text);
		json_object_set_new(j, "s", json_string("t"));
		add_fields(j, ev);
		return j;
	}
	j = base_event(ev, "X", text);
	add_fields(j, ev);
	if (end == NO_END)
		end = last + 1;	/* still open when the run ended */
	json_object_set_new(j, "dur", json_integer((json_int_t)(end - ev->seq)));
	return j;
}

static void add_metadata(const struct trace *t, json_t *arr)
{
	json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:{s:s}}",
		"name", "process_name", "ph", "M", "pid", 1, "args", "name",
		t->title));
	bool seen[TRACE_CPUS] = { false };

	for (size_t i = 0; i < t->nr; i++)
		if (t->ev[i].cpu >= 0 && t->ev[i].cpu < TRACE_CPUS)
			seen[t->ev[i].cpu] = true;
	for (int cpu = 0; cpu < TRACE_CPUS; cpu++) {
		char name[128];

		if (!t->names[cpu] && !seen[cpu])
			continue;
		if (t->names[cpu])
			snprintf(name, sizeof(name), "CPU %d: %s", cpu, t->names[cpu]);
		else
			snprintf(name, sizeof(name), "CPU %d", cpu);
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:i, s:i, s:{s:s}}", "name", "thread_name",
			"ph", "M", "pid", 1, "tid", cpu, "args", "name", name));
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:i, s:i, s:{s:i}}", "name",
			"thread_sort_index", "ph", "M", "pid", 1, "tid", cpu,
			"args", "sort_index", cpu));
	}
}

/* One global instant per class found, at the event it was judged on. */
static void add_findings(const struct trace *t, json_t *arr)
{
	if (!t->has_verdict)
		return;
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++) {
		const thpsim_finding_t *f = &t->v.first[c];

		if (!t->v.found[c] || f->seq == THPSIM_NO_SEQ)
			continue;
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s, s:i, s:i, s:I, s:{s:I, s:s}}",
			"name", thpsim_outcome_name((thpsim_outcome_t)c),
			"cat", "verdict", "ph", "i", "s", "g", "pid", 1,
			"tid", f->cpu, "ts", (json_int_t)f->seq, "args",
			"step", (json_int_t)f->step, "text", f->text));
	}
}

char *trace_render(struct trace *t)
{
	json_t *doc, *arr = json_array();
	uint64_t *end = calloc(t->nr ? t->nr : 1, sizeof(*end));
	uint64_t last = t->nr ? t->ev[t->nr - 1].seq : 0;
	char *out = NULL;

	if (!arr || !end)
		goto out_free;
	add_metadata(t, arr);
	match_sections(t, end);
	for (size_t i = 0; i < t->nr; i++) {
		json_t *j = event_json(&t->ev[i], end[i], last);

		if (j)
			json_array_append_new(arr, j);
	}
	add_findings(t, arr);
	doc = json_pack("{s:o, s:s}", "traceEvents", arr, "displayTimeUnit",
			"ns");
	arr = NULL;
	if (doc) {
		out = json_dumps(doc, JSON_INDENT(0) | JSON_PRESERVE_ORDER);
		json_decref(doc);
	}
out_free:
	json_decref(arr);
	free(end);
	return out;
}
