/*
 * lab/oracle.h - the oracle: classifies a run from its event stream.
 *
 * API overview, in call order:
 *
 *   o = oracle_create(&geometry, nr_frames);  NULL on bad input / no memory
 *   event_subscribe(oracle_sink, o);          or oracle_feed(o, &ev) by hand
 *     ... run ...
 *     oracle_report_deadlock(o, "K waits on G");  from the scheduler/watchdog
 *   event_unsubscribe(oracle_sink, o);
 *   oracle_verdict(o, &v);                    outcome + first finding per class
 *   oracle_destroy(o);
 *
 * What it keeps, from events only (docs/DESIGN.md section 7):
 *   - per frame: generation, allocation kind and order, page-table state
 *     (FRAME_ALLOC, FRAME_FREE, TABLE_STATE), the last free, copy and
 *     isolate of it;
 *   - the live mapping: PTEs by (table pfn, index) from level-1 ENTRY_SETs,
 *     pmds by pmd-aligned address from level-2 ENTRY_SETs, so "the page
 *     mapped at A now" resolves the pmd covering A, then the pte (or the
 *     huge page's subpage);
 *   - per walk (WALK_BEGIN .. WALK_END on one CPU): every (address, pfn)
 *     mapped in its range at any time since it began, the tables its upper
 *     reads pointed at with their generation then, and the first value of
 *     every entry it read with whether that entry changed since;
 *   - the references walkers hold (grabs and pins), IRQ-off CPUs, and the
 *     IPI waits in progress.
 *
 * Rules, in class order (each finding keeps its evidence):
 *   UAF        a walker read an entry of a table that is FREED, or whose
 *              generation changed since its parent entry was read;
 *   GARBAGE    a read of a DEPOSITED table returned non-zero; a read value
 *              is present with a pfn outside the arena; a grab or pin of a
 *              pfn outside the arena; a read of a frame outside the arena;
 *   CORRUPTION a COPY whose bytes differ (arg 0); a data frame freed while
 *              a walker held a grab or pin on it; a PTE table freed while
 *              one of its entries still mapped a page;
 *   WRONG-ADDR a pin on a page never mapped at its address during the walk;
 *   STALE-PIN  a pin on a page that a collapse COPY copied away, either
 *              while the pin was held or during the walk before the pin
 *              (the isolate check did not see it).  A pin whose page is
 *              later zapped with no copy is not stale;
 *   SPEC-REF   a grab dropped (WALK_UNGRAB) on a page never mapped at its
 *              address during the walk;
 *   BLOCKED    an IPI_WAIT on a masked target (val bit 0) that was inside a
 *              walk or had IRQs off;
 *   BENIGN-ABA a recheck that found the first value again although the
 *              entry was set to another value in between;
 *   DEADLOCK   reported by the caller.
 *
 * Not a class but a count, v.nr_unhooked_reads: walker reads of a table
 * whose upper entry (the one the walk followed) changed since the walk
 * read it, or of a freed table; and v.nr_changed_reads: entries a walker
 * read that changed before its walk ended.  They say the run exercised
 * the race window (`thpsim stress` needs the first, `explore` either, or
 * it calls the run vacuous).
 *
 * Odd input never crashes it: pfns, indexes, CPUs and ranges are
 * bounds-checked and what cannot be interpreted is counted and ignored.
 * oracle_feed() is not thread-safe; oracle_sink() is (one lock, and an
 * event raised while the same thread is inside the oracle, e.g. from a
 * signal handler, is counted as ignored instead of deadlocking).
 */
#ifndef THPSIM_LAB_ORACLE_H
#define THPSIM_LAB_ORACLE_H

#include <stddef.h>

#include "thpsim/event.h"
#include "thpsim/lab.h"
#include "thpsim/mm.h"
#include "thpsim/phys.h"

struct oracle;

/* g NULL: the default geometry.  NULL (with thpsim_errmsg()) on a bad
 * geometry, more than ORACLE_FRAMES_MAX frames or no host memory. */
struct oracle *oracle_create(const thpsim_geometry_t *g, size_t nr_frames);
void oracle_destroy(struct oracle *o);

void oracle_feed(struct oracle *o, const thpsim_event_t *ev);
/* thpsim_event_fn for event_subscribe(); arg is the oracle. */
void oracle_sink(const thpsim_event_t *ev, void *arg);

/* A wait that can never end, in words ("CPU 0 (K) waits for CPU 1's ack;
 * CPU 1 (G) waits for ..."); judged at the last event fed. */
void oracle_report_deadlock(struct oracle *o, const char *who_waits_on_whom);

/* The verdict so far (may be called more than once). */
void oracle_verdict(struct oracle *o, thpsim_verdict_t *out);
/* The same, into a verdict known to be all zero (skips clearing the
 * paragraphs of classes not found). */
void oracle_verdict_zeroed(struct oracle *o, thpsim_verdict_t *out);

#define ORACLE_FRAMES_MAX (UINT64_C(1) << 32)

#endif /* THPSIM_LAB_ORACLE_H */
