/* event.c - the observation stream's sinks and emission (see event.h). */
#include <stdatomic.h>

#include "machine/cpu.h"
#include "machine/errors.h"
#include "machine/event.h"

struct sink {
	thpsim_event_fn fn;
	void *arg;
};

int thpsim__event_nr_sinks;
static struct sink sinks[EVENT_SINKS_MAX];
static _Atomic uint64_t event_seq;
static uint64_t event_step;
int (*thpsim__event_point_fn)(void);

const char *thpsim_event_kind_name(enum thpsim_event_kind k)
{
	static const char *const names[] = {
#define X(name, doc) #name,
		THPSIM_EVENT_KINDS(X)
#undef X
	};

	return (unsigned)k < THPSIM_EV__NR ? names[k] : "?";
}

int event_subscribe(thpsim_event_fn fn, void *arg)
{
	if (thpsim__event_nr_sinks >= EVENT_SINKS_MAX)
		return thpsim__err(-THPSIM_EBUSY, "events: more than %d sinks",
				   EVENT_SINKS_MAX);
	if (thpsim__event_nr_sinks == 0)
		atomic_store(&event_seq, 0);
	sinks[thpsim__event_nr_sinks++] = (struct sink){ fn, arg };
	return 0;
}

void event_unsubscribe(thpsim_event_fn fn, void *arg)
{
	for (int i = 0; i < thpsim__event_nr_sinks; i++) {
		if (sinks[i].fn != fn || sinks[i].arg != arg)
			continue;
		sinks[i] = sinks[--thpsim__event_nr_sinks];
		return;
	}
}

void event_set_step(uint64_t step)
{
	event_step = step;
}

void thpsim__event_emit(thpsim_event_t *ev)
{
	struct cpu *c = this_cpu();

	ev->seq = atomic_fetch_add(&event_seq, 1);
	ev->step = event_step;
	ev->cpu = c ? c->id : -1;
	ev->point = thpsim__event_point_fn ? thpsim__event_point_fn() : -1;
	for (int i = 0; i < thpsim__event_nr_sinks; i++)
		sinks[i].fn(ev, sinks[i].arg);
}
