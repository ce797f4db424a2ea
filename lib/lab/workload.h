/*
 * lab/workload.h - the free-running stress engine's shared state
 * (thpsim/workload.h).  workload.c sets the run up, judges it and tears it
 * down; workload_threads.c holds the threads (walkers, khugepaged, user)
 * and the stall hook.
 *
 * The event path in free mode.  Every event reaches the oracle
 * synchronously through workload_sink(), on the emitting thread, under
 * the oracle's lock (oracle_sink).  The one event raised in signal context
 * is IPI_RUN (the IPI handler emits it before running the call; the only
 * call with a body, the x86 flush, emits nothing): the oracle never reads
 * IPI_RUN, and taking its lock or allocating from a handler that may have
 * interrupted the same lock or malloc is not async-signal-safe, so the
 * sink drops IPI_RUN before touching anything but an atomic counter.
 * Every other event comes from thread context (CPU threads, liburcu's
 * callback thread, the control thread).  Order: events of one thread
 * reach the oracle in program order; across threads, the fixes' waits (a
 * sync IPI ack comes after the walker's IRQ_ON event, a grace period after
 * its read-side section, which contains its events) order the walker's
 * events before the free they wait for, which is what the UAF rule needs.
 * Two more orderings are made explicit for free mode: a page-table store
 * and its ENTRY_SET reach the oracle as one (thpsim__event_serialize,
 * machine/event.h: a walker that loaded the new value cannot report its
 * pin before the store is known, which would be a false WRONG-ADDR), and
 * a walker reports dropping a reference before it drops it (gup.c), so
 * a free by the last put never precedes the drop in the stream.
 *
 * Rejected alternative: per-thread lock-free rings drained by a control
 * thread.  Merging them back into one order needs every event's position,
 * and a ring drained late cannot say whether an earlier seq is still in
 * flight on another CPU; a short spin lock around emission is simpler and
 * the oracle already serializes on its own lock.
 */
#ifndef THPSIM_LAB_WORKLOAD_H
#define THPSIM_LAB_WORKLOAD_H

#include <pthread.h>
#include <stdatomic.h>

#include "lab/oracle.h"
#include "machine/rcu.h"
#include "thpsim/workload.h"

/* Pages one walk pins at most. */
#define WL_WALK_PAGES 8

struct wl_counters {
	_Atomic uint64_t walks, pinned, bytes_bad, stalls;
	_Atomic uint64_t splits, zaps, refaults, file_swaps;
	_Atomic uint64_t collapses_ok, collapses_failed;
	_Atomic uint64_t freed_now, freed_rcu, skipped, gps;
	_Atomic uint64_t sections, irq_off_max_ns;
};

struct workload {
	thpsim_stress_config_t cfg;
	thpsim_kconfig_t kc;
	thpsim_machine_t *m;
	thpsim_mm_t *mm;
	thpsim_file_t *file;		/* under file_lock */
	struct oracle *oracle;
	uint64_t page, hpage, npages;	/* bytes, bytes, pages per range */
	uint64_t anon_addr, file_addr;

	_Atomic int stop;
	_Atomic int fatal;		/* first setup/thread error, negative */
	char fatal_msg[256];
	/* Walkers keep out of the file range while it is replaced (the
	 * model's munmap frees tables at once, not via mmu_gather). */
	_Atomic int file_closed;
	_Atomic int file_users;
	pthread_mutex_t file_lock;	/* khugepaged's file collapse vs swap */

	struct wl_counters c;
	struct rcu_head gp_probe;
	_Atomic int gp_probe_pending;
	_Atomic int watchdog_fired;
	bool stuck;			/* a thread outlived the grace */
	int control_cpu;		/* the control thread's CPU */
	char deadlock[512];
};

/* workload_threads.c */
int wl_spawn(struct workload *w, pthread_t *th, unsigned *nr);
/* The bytes every page at addr holds (byte i). */
unsigned char wl_pattern(const struct workload *w, uint64_t addr, size_t i);
/* Write the pattern through the page tables (faults pages in). */
int wl_fill(struct workload *w, uint64_t addr);
void wl_fail(struct workload *w, int err, const char *what);
/* Make w the run whose walkers stall (NULL: none); installs the hook. */
void wl_hook_install(struct workload *w);
/* After the join: each CPU of the run, its role and interrupts, by id. */
unsigned wl_cpu_table(struct workload *w, thpsim_stress_cpu_t *out);
/* From the event sink, on the emitting thread: a walker's outermost IRQ
 * mask began (off) or ended; times the section and arms its stall. */
void wl_irq_event(struct workload *w, bool off);

#endif
