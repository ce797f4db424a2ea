/*
 * lab/oracle_internal.h - the oracle's state, shared by oracle.c (frames,
 * mapping, verdict), oracle_walk.c (walks, reads, rechecks, IPI waits),
 * oracle_ref.c (grabs, pins, copies) and oracle_text.c (findings in
 * words).  Not for use outside lib/lab/.
 */
#ifndef THPSIM_LAB_ORACLE_INTERNAL_H
#define THPSIM_LAB_ORACLE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lab/oracle.h"
#include "lab/oracle_map.h"

#define NO_PFN UINT64_MAX
#define NO_SEQ THPSIM_NO_SEQ

#define ORACLE_CPUS_MAX 1024		/* cpu ids 0..1023 are tracked */
#define ORACLE_CHUNK_SHIFT 6		/* frames come 64 at once: a run that
					   touches a new chunk inits it (a
					   1024-frame one was 5% of 4x512) */
#define ORACLE_ORDER_MAX 20		/* larger orders are ignored */
#define ORACLE_PMDS_MAX (1u << 20)	/* distinct pmd addresses tracked */
#define ORACLE_REFS_MAX 65536		/* walker references held */
#define WALK_PAGES_MAX 4096		/* pages of a walk's range tracked */
#define WALK_SEEN_MAX 65536		/* (address, pfn) pairs per walk */
#define WALK_CHILD_MAX 32		/* tables reached, per walk (ring) */
#define WALK_READS_MAX 256		/* entries read, per walk (ring) */

/* Where an event happened (seq NO_SEQ: never). */
struct evref {
	uint64_t seq, step;
	int cpu;
};

struct frame {
	uint64_t gen;
	uint64_t head;		/* compound head (NO_PFN: not compound) */
	uint64_t *ptes;		/* level-1 entries (NULL: all zero) */
	uint64_t linked_at;	/* pmd address pointing here, when linked */
	struct evref alloc, freed, state_chg, set, copied, isolated;
	uint64_t copy_to;	/* frame the last COPY wrote into */
	uint8_t pt_state;	/* thpsim_pt_state_t */
	uint8_t kind;		/* alloc kind + 1, 0 unknown */
	uint8_t order;
	bool known;		/* some event said something about it */
	bool allocated, linked, has_pmds;
};

/* A table a walk reached through an upper entry it read. */
struct walk_child {
	uint64_t pfn, gen;	/* the table and its generation then */
	struct evref read;	/* the upper read */
};

/* An entry a walk read: its first value, and whether it changed since. */
struct walk_read {
	int level;
	uint64_t k1, k2;	/* level 2: (pmd index, 0); else (table, idx) */
	uint64_t addr;
	uint64_t first;
	struct evref read, change;	/* change.seq NO_SEQ: unchanged */
};

struct walk {
	bool active;
	int kind;
	struct evref begin;
	uint64_t start, nr_pages;	/* page-aligned start, capped count */
	struct pmap seen;		/* (page address, pfn) */
	bool seen_overflow;
	struct walk_child child[WALK_CHILD_MAX];
	unsigned nr_child;		/* total recorded (ring index) */
	struct walk_read reads[WALK_READS_MAX];
	unsigned nr_reads;		/* total recorded (ring index) */
};

struct cpu_state {
	bool irq_off;
	struct evref irq_off_at;
	struct walk walk;
};

/* A reference a walker holds on a data page. */
struct ref {
	uint64_t pfn, addr;
	int cpu;
	bool pin;		/* returned (WALK_PIN), else speculative */
	bool judged;		/* already found WRONG-ADDR or STALE-PIN */
	struct evref taken, pinned;
	uint64_t walk_seq;	/* seq of its walk's WALK_BEGIN */
};

struct oracle {
	thpsim_geometry_t g;
	uint64_t nr_frames;
	unsigned page_shift, pmd_shift;
	uint64_t entries;
	struct frame **chunks;
	uint64_t nr_chunks;
	struct pmap pmds;	/* pmd index -> v0 value, v1 pmd table pfn,
				   v2 seq, v3 step, i cpu of the last set */
	struct cpu_state *cpus[ORACLE_CPUS_MAX];
	int nr_cpus;		/* 1 + highest cpu id seen */
	struct ref *refs;
	size_t nr_refs, cap_refs;
	struct evref last;	/* the last event fed */
	uint64_t nr_reentered;	/* dropped by oracle_sink (atomic) */
	bool blocked_in_walk;	/* the first BLOCKED target was walking */
	thpsim_verdict_t v;
	pthread_mutex_t lock;
};

static inline struct evref evref_of(const thpsim_event_t *ev)
{
	return (struct evref){ ev->seq, ev->step, ev->cpu };
}

static inline struct evref evref_none(void)
{
	return (struct evref){ NO_SEQ, 0, THPSIM_NO_CPU };
}

/* oracle.c */
struct frame *oracle_frame(struct oracle *o, uint64_t pfn, bool create);
struct cpu_state *oracle_cpu(struct oracle *o, int cpu, bool create);
uint64_t oracle_resolve(struct oracle *o, uint64_t addr);
thpsim_finding_t *oracle_judge(struct oracle *o, thpsim_outcome_t c,
			       const thpsim_event_t *ev);

/* oracle_walk.c */
bool oracle_walk_event(struct oracle *o, const thpsim_event_t *ev);
struct walk *oracle_active_walk(struct oracle *o, int cpu);
bool oracle_walk_covers(const struct oracle *o, const struct walk *w,
			uint64_t addr);
void oracle_garbage_pfn(struct oracle *o, const thpsim_event_t *ev,
			uint64_t pfn, const char *what);
void oracle_walks_note(struct oracle *o, uint64_t addr, uint64_t len);
void oracle_walks_entry_changed(struct oracle *o, int level, uint64_t k1,
				uint64_t k2, uint64_t val,
				const thpsim_event_t *ev);
void oracle_walk_free(struct walk *w);

/* oracle_ref.c */
bool oracle_ref_event(struct oracle *o, const thpsim_event_t *ev);
void oracle_refs_freed(struct oracle *o, const thpsim_event_t *ev,
		       uint64_t pfn, uint64_t n);

/* oracle_text.c */
const char *oracle_level_name(int level);
void oracle_text(thpsim_finding_t *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "page 33" / "nothing" mapped at addr now. */
void oracle_text_mapping(struct oracle *o, uint64_t addr, char *buf,
			 size_t len);
/* "at step 9 by CPU 2" / "(no event seen)". */
void oracle_text_when(struct evref at, char *buf, size_t len);
/* "still free" / "reused as a page table" ... (f NULL: "state unknown"). */
void oracle_text_frame_now(const struct frame *f, char *buf, size_t len);

#endif /* THPSIM_LAB_ORACLE_INTERNAL_H */
