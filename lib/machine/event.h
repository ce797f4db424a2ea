/*
 * machine/event.h - emitting into the observation stream (thpsim/event.h).
 *
 * Up to EVENT_SINKS_MAX consumers (oracle, trace, ...) subscribe; with
 * none, emit() costs one predicted branch.  seq is global; step is set by
 * the deterministic scheduler; cpu is filled from this_cpu().
 */
#ifndef THPSIM_MACHINE_EVENT_H
#define THPSIM_MACHINE_EVENT_H

#include <stdbool.h>
#include <stddef.h>

#include "thpsim/event.h"

#define EVENT_SINKS_MAX 4

extern int thpsim__event_nr_sinks;
/* Order every event that names no frame against every other (a lab
 * invariant judges the stream: partial-order reduction, event.c). */
extern bool thpsim__event_ordered;

/* Subscribe / unsubscribe; returns -THPSIM_EBUSY when full. */
int event_subscribe(thpsim_event_fn fn, void *arg);
void event_unsubscribe(thpsim_event_fn fn, void *arg);
/* Current deterministic step, stamped into events. */
void event_set_step(uint64_t step);
/* The stream's counters, for a snapshot (machine/snapshot.h). */
void event_state_regions(void **seq, size_t *nseq, void **step, size_t *nstep);

void thpsim__event_emit(thpsim_event_t *ev);

/*
 * Free-running consumers (the stress oracle) need a store and its event
 * to reach the sinks as one: otherwise a walker that loads the new value
 * could report its read before the writer reports the store.  With
 * thpsim__event_serialize set, emission and every event_store_begin() ..
 * event_store_end() bracket (a store and its emit) hold one global
 * lock, recursive per thread (a signal handler that interrupts a holder
 * passes through).  An async-signal-safe spinlock; off by default, so the
 * deterministic scheduler (one step = store + event) never pays for it.
 */
extern int thpsim__event_serialize;
void thpsim__event_lock(void);
void thpsim__event_unlock(void);

static inline void event_store_begin(void)
{
	if (__builtin_expect(thpsim__event_serialize != 0, 0))
		thpsim__event_lock();
}

static inline void event_store_end(void)
{
	if (__builtin_expect(thpsim__event_serialize != 0, 0))
		thpsim__event_unlock();
}
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
