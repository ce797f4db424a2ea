/*
 * observe_api.c - the oracle and the timeline as public objects
 * (thpsim/observe.h): thin wrappers over lab/oracle.h and lab/timeline.h.
 */
#include "lab/oracle.h"
#include "lab/timeline.h"
#include "machine/errors.h"
#include "thpsim/observe.h"

/* The public handles are the internal objects. */
struct thpsim_oracle;
struct thpsim_timeline;

#define ORACLE_OF(o) ((struct oracle *)(void *)(o))
#define TIMELINE_OF(t) ((struct timeline *)(void *)(t))

#define ORACLE_DEFAULT_FRAMES (UINT64_C(1) << 20)

int thpsim_oracle_create(const thpsim_geometry_t *g, size_t nr_frames,
			 thpsim_oracle_t **o)
{
	struct oracle *in;

	if (!o)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_oracle_create: o is NULL (need a place for the oracle)");
	*o = NULL;
	if (g && thpsim_geometry_validate(g))
		return -THPSIM_EINVAL;	/* the message names the bad value */
	if ((uint64_t)nr_frames > ORACLE_FRAMES_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_oracle_create: nr_frames %zu (allowed: 0 for 2^20, up to 2^32)",
				   nr_frames);
	in = oracle_create(g, nr_frames ? nr_frames : ORACLE_DEFAULT_FRAMES);
	if (!in)
		return thpsim__err(-THPSIM_ENOMEM, "oracle: out of host memory");
	*o = (thpsim_oracle_t *)(void *)in;
	return 0;
}

void thpsim_oracle_destroy(thpsim_oracle_t *o)
{
	if (o)
		oracle_destroy(ORACLE_OF(o));
}

void thpsim_oracle_feed(thpsim_oracle_t *o, const thpsim_event_t *ev)
{
	oracle_feed(ORACLE_OF(o), ev);
}

void thpsim_oracle_sink(const thpsim_event_t *ev, void *arg)
{
	oracle_sink(ev, arg);
}

void thpsim_oracle_report_deadlock(thpsim_oracle_t *o, const char *text)
{
	oracle_report_deadlock(ORACLE_OF(o), text);
}

void thpsim_oracle_verdict(thpsim_oracle_t *o, thpsim_verdict_t *out)
{
	oracle_verdict(ORACLE_OF(o), out);
}

int thpsim_timeline_create(thpsim_timeline_t **t)
{
	struct timeline *in;

	if (!t)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_timeline_create: t is NULL (need a place for the timeline)");
	in = timeline_create();
	*t = (thpsim_timeline_t *)(void *)in;
	return in ? 0 : thpsim__err(-THPSIM_ENOMEM, "timeline: out of host memory");
}

void thpsim_timeline_destroy(thpsim_timeline_t *t)
{
	if (t)
		timeline_destroy(TIMELINE_OF(t));
}

int thpsim_timeline_name_cpu(thpsim_timeline_t *t, int cpu, const char *name)
{
	int err = timeline_name_cpu(TIMELINE_OF(t), cpu, name);

	if (err == -THPSIM_EINVAL)
		return thpsim__err(err,
				   "thpsim_timeline_name_cpu: cpu %d (allowed: -1..%d) or name %s",
				   cpu, THPSIM_NR_CPUS_MAX - 1, name ? "ok" : "NULL");
	return err;
}

void thpsim_timeline_feed(thpsim_timeline_t *t, const thpsim_event_t *ev)
{
	timeline_feed(TIMELINE_OF(t), ev);
}

void thpsim_timeline_sink(const thpsim_event_t *ev, void *arg)
{
	timeline_sink(ev, arg);
}

int thpsim_timeline_mark(thpsim_timeline_t *t, uint64_t seq, const char *label)
{
	return timeline_mark(TIMELINE_OF(t), seq, label);
}

int thpsim_timeline_mark_verdict(thpsim_timeline_t *t, const thpsim_verdict_t *v)
{
	return timeline_mark_verdict(TIMELINE_OF(t), v);
}

int thpsim_timeline_render(thpsim_timeline_t *t, FILE *out, unsigned width)
{
	if (!t || !out)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_timeline_render: %s is NULL",
				   t ? "out" : "the timeline");
	return timeline_render(TIMELINE_OF(t), out, width ? width : 120);
}

size_t thpsim_event_text(const thpsim_event_t *ev, char *buf, size_t len)
{
	if (!ev) {
		if (buf && len)
			buf[0] = '\0';
		return 0;
	}
	return timeline_event_text(ev, buf, len);
}
