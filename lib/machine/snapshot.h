/*
 * machine/snapshot.h - a set-up simulation saved once and put back before
 * every schedule (fast restarts for exploration).
 *
 * Every schedule of an exploration starts from the same state: the
 * machine made, the mm built, the scenario's setup run, the RCU thread
 * parked.  Instead of rebuilding it per schedule, the exploration loop
 * builds it once, takes a snapshot, and restores the snapshot after each
 * schedule.  Objects stay at the same host addresses, so restoring is
 * copying bytes back:
 *
 *   - the heap objects of the model (mm, VMAs, anon_vmas, shmem files,
 *     the oracle): allocated through snap_malloc() and friends, which
 *     record them while a snapshot is being recorded on this OS thread.
 *     After the snapshot is taken, frees of recorded objects are deferred
 *     (the object is put back by the restore) and objects allocated by a
 *     schedule are freed by the restore;
 *   - the machine itself (struct, CPU slots, call descriptors, struct
 *     phys, the struct page array) and any region the caller adds (the
 *     run's own state, the parked RCU fiber's stack);
 *   - the frame arena by record: only frames a schedule allocated, freed,
 *     wrote through a mapping, or that were page tables when the snapshot
 *     was taken (entries are written only into tables) are copied back
 *     (phys_snapshot.c).
 *
 * Outside recording (snap_* with no snapshot on this thread) the
 * allocation calls are plain malloc/calloc/realloc/free.
 */
#ifndef THPSIM_MACHINE_SNAPSHOT_H
#define THPSIM_MACHINE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "thpsim/machine.h"

void *snap_malloc(size_t n);
void *snap_calloc(size_t k, size_t n);
void *snap_realloc(void *p, size_t n);
void snap_free(void *p);

struct snapshot;

/* Start recording the model's allocations on this OS thread. */
int snapshot_begin(struct snapshot **out);
/* A region of caller state to save with the snapshot (before take). */
int snapshot_add_region(struct snapshot *s, void *p, size_t n);
/* Save the recorded objects, the regions and machine m (whose page
 * tables hold table_bytes of entries); from now on the allocations of a
 * schedule are its own. */
int snapshot_take(struct snapshot *s, thpsim_machine_t *m, size_t table_bytes);
/* Put everything back as it was at snapshot_take(). */
void snapshot_restore(struct snapshot *s);
/* Stop recording; the objects stay (as the last restore left them). */
void snapshot_end(struct snapshot *s);

/* ---- the frame arena (phys_snapshot.c) ------------------------------ */

struct phys;
struct phys_snapshot;

int phys_snapshot_take(struct phys *p, size_t table_bytes,
		       struct phys_snapshot **out);
void phys_snapshot_restore(struct phys *p, struct phys_snapshot *ps);
void phys_snapshot_free(struct phys *p, struct phys_snapshot *ps);

#endif
