/*
 * thpsim/lab.h - experiments on top of the model: how a run is judged.
 *
 * API overview, in call order:
 *
 *   ... run a scenario or a workload with the oracle subscribed to the
 *       event stream (thpsim/event.h) ...
 *   thpsim_verdict_t v;                       filled by the lab layer
 *   v.outcome                                 the run's most severe class
 *   v.found[c], v.first[c], v.counts[c]       per class: seen?, its first
 *                                             finding, how many findings
 *   thpsim_outcome_name(v.outcome);           "UAF", "WRONG-ADDR", ...
 *   thpsim_outcome_is_violation(v.outcome);   DEADLOCK .. INVARIANT
 *   thpsim_verdict_print(&v, stdout);         one paragraph per class found
 *
 * The classes (docs/DESIGN.md section 7) are ordered most severe first, so the
 * outcome of a run is the smallest class found, SAFE when none was.  The
 * oracle judges from events alone: what walkers read, grabbed and pinned,
 * what the kernel paths stored, allocated, freed and copied.  It never
 * sees a profile's or a strategy's name.  INVARIANT is never the oracle's:
 * it is a lab's own invariant broken (thpsim/observe.h).
 */
#ifndef THPSIM_LAB_H
#define THPSIM_LAB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(enum name, printed name, is a violation, meaning) */
#define THPSIM_OUTCOMES(X)                                                   \
	X(DEADLOCK, "DEADLOCK", 1,                                           \
	  "a wait that can never end, or a watchdog report")                 \
	X(UAF, "UAF", 1, "a walker read an entry of a freed page table")     \
	X(GARBAGE, "GARBAGE", 1,                                             \
	  "a walker read non-PTE data as a PTE, or a pfn outside the arena") \
	X(CORRUPTION, "CORRUPTION", 1,                                       \
	  "a collapse lost bytes, or a page was freed while pinned")         \
	X(WRONG_ADDR, "WRONG-ADDR", 1,                                       \
	  "a walker returned a page never mapped at that address")           \
	X(STALE_PIN, "STALE-PIN", 1,                                         \
	  "a walker returned a page the mapping then dropped without "       \
	  "seeing the pin")                                                  \
	X(INVARIANT, "INVARIANT", 1,                                         \
	  "a lab's own invariant (thpsim/observe.h) was broken")            \
	X(SPEC_REF, "SPEC-REF", 0,                                           \
	  "a speculative reference on a page never mapped at that "          \
	  "address, dropped after the recheck")                              \
	X(BLOCKED, "BLOCKED", 0,                                             \
	  "safe, but a CPU waited for a walker's IRQ-off section")           \
	X(BENIGN_ABA, "BENIGN-ABA", 0,                                       \
	  "an entry changed and came back with the same mapping")            \
	X(SAFE, "SAFE", 0, "nothing above")

typedef enum thpsim_outcome {
#define THPSIM__OUTCOME_ENUM(name, str, viol, doc) THPSIM_OUTCOME_##name,
	THPSIM_OUTCOMES(THPSIM__OUTCOME_ENUM)
#undef THPSIM__OUTCOME_ENUM
	THPSIM_OUTCOME__NR
} thpsim_outcome_t;

/* "UAF", "WRONG-ADDR", ...; "?" outside the enum. */
const char *thpsim_outcome_name(thpsim_outcome_t o);
/* One line saying what the class means; "" outside the enum. */
const char *thpsim_outcome_doc(thpsim_outcome_t o);
/* DEADLOCK .. INVARIANT; false outside the enum. */
bool thpsim_outcome_is_violation(thpsim_outcome_t o);
/* The class printed as name (case-insensitive, '_' or '-'); -1 if none. */
int thpsim_outcome_parse(const char *name);

/* No cpu / no event (fields of a finding that do not apply). */
#define THPSIM_NO_CPU (-1)

/*
 * Idle (or isolated) CPUs a run may add: online, interrupts on, never
 * running the mm (not in its mm_cpumask).  They take smp_call_function
 * broadcasts (the sync IPI) but not the mm's TLB-flush IPIs.
 */
#define THPSIM_IDLE_CPUS_MAX 16
#define THPSIM_NO_SEQ UINT64_MAX

#define THPSIM_FINDING_TEXT_MAX 640

/*
 * One judgement, with its evidence.  Fields that do not apply hold
 * THPSIM_NO_CPU / THPSIM_NO_SEQ / 0.
 */
typedef struct thpsim_finding {
	thpsim_outcome_t outcome;
	/* The event where it was judged. */
	uint64_t seq, step;
	int cpu;
	uint64_t addr;		/* the virtual address concerned */
	uint64_t pfn;		/* the table (or frame) read or freed */
	uint64_t pfn2;		/* data page grabbed, pinned or copied */
	uint64_t gen_then;	/* pfn's generation when the walk found it */
	uint64_t gen_now;	/* pfn's generation when judged */
	/* When the walker took what it used (its pmd read, its pin). */
	uint64_t read_seq, read_step;
	/* The event that freed or changed what was read (FRAME_FREE of the
	 * table, ENTRY_SET changing the mapping, COPY of the page, ...). */
	uint64_t cause_seq, cause_step;
	int cause_cpu;
	/* BLOCKED: waiter -> target, from wait_step to wait_end_step
	 * (THPSIM_NO_SEQ while the wait had not ended). */
	int waiter, target;
	uint64_t wait_step, wait_end_step;
	char text[THPSIM_FINDING_TEXT_MAX];	/* a paragraph in words */
} thpsim_finding_t;

typedef struct thpsim_verdict {
	thpsim_outcome_t outcome;	/* most severe class found, or SAFE */
	bool found[THPSIM_OUTCOME__NR];
	uint64_t counts[THPSIM_OUTCOME__NR];	/* findings per class */
	thpsim_finding_t first[THPSIM_OUTCOME__NR];	/* when found[c] */
	uint64_t nr_events;	/* events judged */
	uint64_t nr_ignored;	/* events that could not be interpreted */
	/* Walker reads of an entry of a table that was unhooked or replaced
	 * during the walk: the upper entry the walk followed to it had
	 * changed since the walk read it, or the table was freed.  Non-zero
	 * means the run exercised the race window, whatever the fix did
	 * with it; zero means no walker was ever inside such a table. */
	uint64_t nr_unhooked_reads;
	/* Entries a walker read that were changed before its walk ended
	 * (a pmd cleared or split under it, a pte zapped): the walk
	 * overlapped a change of what it read. */
	uint64_t nr_changed_reads;
} thpsim_verdict_t;

/* The outcome line, then one paragraph per class found, most severe
 * first.  Returns the bytes written or a negative value on error. */
int thpsim_verdict_print(const thpsim_verdict_t *v, FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_LAB_H */
