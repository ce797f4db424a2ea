/* event.c - the observation stream's sinks and emission (see event.h). */
#include <sched.h>
#include <stdatomic.h>

#include "machine/cpu.h"
#include "machine/errors.h"
#include "machine/event.h"
#include "machine/sched.h"

struct sink {
	thpsim_event_fn fn;
	void *arg;
};

int thpsim__event_nr_sinks;
static struct sink sinks[EVENT_SINKS_MAX];
static _Atomic uint64_t event_seq;
static uint64_t event_step;
int (*thpsim__event_point_fn)(void);
int thpsim__event_serialize;
static atomic_flag emit_lock = ATOMIC_FLAG_INIT;
static _Thread_local unsigned emit_lock_depth;

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

void event_state_regions(void **seq, size_t *nseq, void **step, size_t *nstep)
{
	*seq = &event_seq;
	*nseq = sizeof(event_seq);
	*step = &event_step;
	*nstep = sizeof(event_step);
}

void event_set_step(uint64_t step)
{
	event_step = step;
}

void thpsim__event_lock(void)
{
	if (emit_lock_depth++)
		return;
	while (atomic_flag_test_and_set_explicit(&emit_lock,
						 memory_order_acquire))
		sched_yield();
}

/*
 * The depth counts before the lock is taken and after it is dropped: a
 * signal handler that interrupts in between sees a non-zero depth and
 * passes (the handler's events, IPI_RUN, are not ordered against stores)
 * rather than spinning on a lock its own thread holds.
 */
void thpsim__event_unlock(void)
{
	if (emit_lock_depth == 1)
		atomic_flag_clear_explicit(&emit_lock, memory_order_release);
	emit_lock_depth--;
}

static void emit_to_sinks(thpsim_event_t *ev)
{
	struct cpu *c = this_cpu();

	if (thpsim__event_point_fn) {
		/* Deterministic mode: one OS thread emits, so the count needs
		 * no locked add (as sched_fetch_add(), machine/sched.h). */
		uint64_t n = atomic_load_explicit(&event_seq, memory_order_relaxed);

		atomic_store_explicit(&event_seq, n + 1, memory_order_relaxed);
		ev->seq = n;
		ev->point = thpsim__event_point_fn();
	} else {
		ev->seq = atomic_fetch_add(&event_seq, 1);
		ev->point = -1;
	}
	ev->step = event_step;
	ev->cpu = c ? c->id : -1;
	for (int i = 0; i < thpsim__event_nr_sinks; i++)
		sinks[i].fn(ev, sinks[i].arg);
}

/*
 * Partial-order reduction: what an event's consumers read and write, as
 * keys (machine/sched.h).  The frames an event names stand for the
 * oracle's per-frame records (table state, entries, generation, the
 * references on a page).  A walk's record (what it read, what it saw
 * mapped) is the oracle's per-CPU state: WALK_BEGIN and WALK_END reset
 * it, and every walker event adds to it, so they write that CPU's walk
 * key; a walk of CPU 0 and one of CPU 1 are then independent.  The
 * oracle keeps nothing for COLLAPSE_BEGIN/END, ZAP, TLB_FLUSH, STRATEGY
 * or WALK_BAIL (lib/lab/oracle*.c: counted and dropped), and the run's
 * state hash (explore.c) folds in none of them, so they have no key:
 * their order against other threads' events changes no verdict.  CPU,
 * IPI and RCU events are covered by the accesses that caused them.
 *
 * A lab invariant (thpsim/observe.h) may judge the stream as a whole:
 * with one installed, events that name no frame write one common object
 * (thpsim__event_ordered), so it sees them in the same relative order in
 * every run of a class.  Every key is a pfn, a CPU id or a static
 * object's offset: the same in a fresh run and a restored snapshot.
 */
bool thpsim__event_ordered;
static char event_order;

static void event_access(const thpsim_event_t *ev)
{
	bool named = false, walk = false;

	switch (ev->kind) {
	case THPSIM_EV_IRQ_OFF: case THPSIM_EV_IRQ_ON: case THPSIM_EV_IPI_SEND:
	case THPSIM_EV_IPI_RUN: case THPSIM_EV_IPI_WAIT:
	case THPSIM_EV_IPI_WAIT_END: case THPSIM_EV_RCU_GP_START:
	case THPSIM_EV_RCU_GP_END: case THPSIM_EV_RCU_CALLBACK:
	case THPSIM_EV_VCPU_PREEMPT: case THPSIM_EV_NOTE:
		return;
	default:
		break;
	}
	switch (ev->kind) {	/* the kinds whose (pfn, idx) names an entry */
	case THPSIM_EV_ENTRY_SET: case THPSIM_EV_WALK_READ:
	case THPSIM_EV_WALK_RECHECK:
		if (ev->idx < 0)
			break;	/* no slot: the frame, below */
		/* The entry's record (its value, the walks that read it):
		 * written by a store, read by a walker's read or recheck
		 * (each walk's own record is its CPU's, below).  The frame's
		 * record (state, generation, where it is linked) is read. */
		sched_access_key(sched_entry_key(ev->pfn, ev->idx),
				 ev->kind == THPSIM_EV_ENTRY_SET);
		sched_access_pfn(ev->pfn, false);
		named = true;
		break;
	default:
		break;
	}
	switch (named ? THPSIM_EV__NR : ev->kind) {	/* ... its pfn a frame */
	case THPSIM_EV_ENTRY_SET: case THPSIM_EV_WALK_READ:
	case THPSIM_EV_WALK_RECHECK:
	case THPSIM_EV_FRAME_ALLOC: case THPSIM_EV_FRAME_FREE:
	case THPSIM_EV_TABLE_STATE:
	case THPSIM_EV_DEPOSIT: case THPSIM_EV_WITHDRAW: case THPSIM_EV_SPLIT:
	case THPSIM_EV_TABLE_FREE: case THPSIM_EV_COPY:
		sched_access_pfn(ev->pfn, true);
		named = true;
		break;
	default:
		break;
	}
	switch (ev->kind) {	/* ... and those whose pfn2 does */
	case THPSIM_EV_WALK_GRAB: case THPSIM_EV_WALK_UNGRAB:
	case THPSIM_EV_WALK_PIN: case THPSIM_EV_WALK_UNPIN:
	case THPSIM_EV_ISOLATE: case THPSIM_EV_COPY: case THPSIM_EV_DEPOSIT:
	case THPSIM_EV_WITHDRAW:
		sched_access_pfn(ev->pfn2, true);
		named = true;
		break;
	default:
		break;
	}
	switch (ev->kind) {	/* ... and those that touch the CPU's walk */
	case THPSIM_EV_WALK_BEGIN: case THPSIM_EV_WALK_END:
	case THPSIM_EV_WALK_READ: case THPSIM_EV_WALK_RECHECK:
	case THPSIM_EV_WALK_GRAB: case THPSIM_EV_WALK_UNGRAB:
	case THPSIM_EV_WALK_PIN:
		walk = true;
		break;
	default:
		break;
	}
	if (walk && ev->cpu >= 0)	/* (no CPU: the oracle keeps no walk) */
		sched_access_key(SCHED_KEY_WALK | (uint64_t)ev->cpu, true);
	if (!named && thpsim__event_ordered)
		sched_access(&event_order, true);
}

void thpsim__event_emit(thpsim_event_t *ev)
{
	if (__builtin_expect(thpsim__sched_access_hook != 0, 0))
		event_access(ev);
	if (!thpsim__event_serialize) {
		emit_to_sinks(ev);
		return;
	}
	thpsim__event_lock();
	emit_to_sinks(ev);
	thpsim__event_unlock();
}
