/*
 * machine/event.h - emitting into the observation stream (thpsim/event.h).
 *
 * Up to EVENT_SINKS_MAX consumers (oracle, trace, ...) subscribe; with
 * none, emit() costs one predicted branch.  seq is global; step is set by
 * the deterministic scheduler; cpu is filled from this_cpu().
 */
#ifndef THPSIM_MACHINE_EVENT_H
#define THPSIM_MACHINE_EVENT_H

#include "thpsim/event.h"

#define EVENT_SINKS_MAX 4

extern int thpsim__event_nr_sinks;

/* Subscribe / unsubscribe; returns -THPSIM_EBUSY when full. */
int event_subscribe(thpsim_event_fn fn, void *arg);
void event_unsubscribe(thpsim_event_fn fn, void *arg);
/* Current deterministic step, stamped into events. */
void event_set_step(uint64_t step);

void thpsim__event_emit(thpsim_event_t *ev);
/* Where the emitting thread is parked (set by the deterministic scheduler). */
extern int (*thpsim__event_point_fn)(void);

/* emit(.kind = THPSIM_EV_X, .addr = a, ...): designated fields. */
#define emit(...)                                                            \
	do {                                                                 \
		if (__builtin_expect(thpsim__event_nr_sinks != 0, 0)) {      \
			thpsim_event_t ev__ = { __VA_ARGS__ };               \
			thpsim__event_emit(&ev__);                           \
		}                                                            \
	} while (0)

#endif
