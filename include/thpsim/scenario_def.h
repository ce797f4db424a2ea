/*
 * thpsim/scenario_def.h - scenarios as data: define your own, register it,
 * and it runs like a catalogue one (included by thpsim/scenario.h).
 *
 * A scenario is
 *   - up to THPSIM_SCENARIO_THREADS_MAX threads, each a role letter, a role
 *     text for the timeline and a body that calls the public mm API
 *     (thpsim/mm.h) on ctx->mm, or one of the thpsim_lab_* bodies below;
 *   - a set-up, run before the threads on a CPU of its own (free to fault,
 *     write and collapse; it runs once per run, on a fresh machine and mm);
 *   - one script: steps "run X until it is parked at point P, or blocks,
 *     or ends" and "the host preempts X's vCPU", the same for every
 *     profile and fix;
 *   - idle CPUs of its own (online, IRQs on, no thread).
 *
 *	static void my_gup(thpsim_scenario_ctx_t *ctx)
 *	{
 *		uint64_t pfn;
 *		int n = thpsim_gup_fast(ctx->mm, ctx->walk_addr, 1, &pfn);
 *
 *		thpsim_lab_note_pins(ctx, n, &pfn);	// kept pinned, judged
 *	}
 *
 *	static const thpsim_script_step_t my_script[] = {
 *		THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),
 *		THPSIM_PREEMPT('G'),
 *		THPSIM_RUN('K'),
 *		THPSIM_RUN('U'),
 *		THPSIM_RUN('G'),
 *		THPSIM_SCRIPT_END,
 *	};
 *
 *	static const thpsim_scenario_def_t mine = {
 *		.id = "LAB1", .title = "my S1",
 *		.setup = thpsim_lab_setup_anon_A,
 *		.threads = {
 *			{ 'G', "GUP-fast walker", my_gup, true },
 *			{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
 *			{ 'U', "user thread: munmap", thpsim_lab_munmap_A, true },
 *		},
 *		.script = my_script,
 *	};
 *
 *	thpsim_scenario_register(&mine);	// then rc.scenario = "LAB1"
 *
 * A registered scenario is found by thpsim_scenario_find() and listed by
 * thpsim_scenario_list() after the catalogue; thpsim_scenario_run(),
 * thpsim_explore(), schedule strings (replay) and verification accept its
 * id as they accept "S1", and so does the command (thpsim_cli_main(),
 * thpsim/cli.h, or `thpsim --load lab.so`).
 *
 * The rule the catalogue follows (tests/lab/test_scenario_blind.c): a
 * scenario never looks at the profile, the fix or the knobs.  The outcome
 * must come from the mm code running under the one script.
 *
 * Threads run on fixed CPUs by role letter (the timeline's columns):
 * K 0 (khugepaged), G 1 (GUP-fast walker), U 2 (user thread), S 3
 * (splitter), W 4 (RCU-only walker), L 8 (locks a page).  CPU 5 is the
 * RCU callback thread R, 6 the set-up, 7 the teardown; idle CPUs follow
 * from THPSIM_RUN_FIRST_IDLE_CPU.  Schedule strings name threads by
 * these letters ('R' included), so a scenario's letters are distinct.
 *
 * Script semantics (the deterministic scheduler): the RCU thread runs
 * whenever it can, before the script's next decision.  RUN_UNTIL(X, P)
 * runs X at least one step and stops as soon as X is parked at P, blocks
 * or ends; RUN(X) runs X until it blocks or ends; PREEMPT(X) marks X's
 * vCPU preempted (on a paravirt guest an IPI to it may be skipped or
 * wait).  A step naming a thread that has ended is skipped.  After the
 * last step every thread left runs to its end, lowest first, so a wait
 * that can never end shows up as a DEADLOCK outcome.
 *
 * Teardown (after the oracle's verdict, on its own CPU): the pins kept in
 * ctx->pinned are dropped, the mm and ctx->file destroyed.
 */
#ifndef THPSIM_SCENARIO_DEF_H
#define THPSIM_SCENARIO_DEF_H

#include <stdbool.h>
#include <stdint.h>

#include "thpsim/machine.h"
#include "thpsim/mm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define THPSIM_SCENARIO_THREADS_MAX 4
#define THPSIM_SCENARIO_PINS_MAX 4
/* Registered scenarios beside the catalogue. */
#define THPSIM_SCENARIO_REGISTRY_MAX 32
/* Scenario ids: 1..THPSIM_SCENARIO_ID_MAX characters of A-Z a-z 0-9 '_',
 * unique ignoring case (they appear in schedule strings). */
#define THPSIM_SCENARIO_ID_MAX 15

/*
 * What a scenario's set-up and threads work on: one per run, made fresh
 * by the run before the set-up.  m, mm, g, page, hpage, A and B are set
 * by the run; file is made by the set-up when it wants one (the run
 * destroys it); walk_addr starts at A + 2 pages and the set-up may move
 * it; a body records its first error in err (thpsim_lab_note_err) and
 * the pins it keeps in pinned (thpsim_lab_note_pins).
 */
typedef struct thpsim_scenario_ctx {
	thpsim_machine_t *m;
	thpsim_mm_t *mm;
	thpsim_file_t *file;		/* shmem scenarios [NULL] */
	thpsim_geometry_t g;
	uint64_t page;			/* page size */
	uint64_t hpage;			/* pmd-mapped range size */
	uint64_t A, B;			/* two adjacent pmd ranges (2 and 3
					   hpages up: one PMD table, not its
					   first entry) */
	uint64_t walk_addr;		/* the page the walkers walk */
	uint64_t pinned[THPSIM_SCENARIO_PINS_MAX];	/* kept pins (pfns) */
	int nr_pinned;
	int err;			/* first error inside a thread */
	void *arg;			/* the definition's arg */
} thpsim_scenario_ctx_t;

/* ---- scripts ------------------------------------------------------------ */

typedef enum thpsim_step_op {
	THPSIM_STEP_END = 0,		/* the end of the script */
	THPSIM_STEP_RUN_UNTIL,		/* run until parked at point, blocked
					   or ended */
	THPSIM_STEP_RUN,		/* run until blocked or ended */
	THPSIM_STEP_PREEMPT,		/* the host preempts the vCPU */
} thpsim_step_op_t;

typedef struct thpsim_script_step {
	thpsim_step_op_t op;
	char thread;			/* role letter: 'G', 'K', ... */
	int point;			/* enum thpsim_sched_point, RUN_UNTIL
					   only (-1 otherwise) */
} thpsim_script_step_t;

#define THPSIM_RUN_UNTIL(t, P) { THPSIM_STEP_RUN_UNTIL, (t), THPSIM_SP_##P }
#define THPSIM_RUN(t) { THPSIM_STEP_RUN, (t), -1 }
#define THPSIM_PREEMPT(t) { THPSIM_STEP_PREEMPT, (t), -1 }
#define THPSIM_SCRIPT_END { THPSIM_STEP_END, 0, -1 }

/* ---- threads and the definition ------------------------------------------ */

typedef void (*thpsim_scenario_thread_fn)(thpsim_scenario_ctx_t *ctx);

typedef struct thpsim_scenario_thread {
	char name;			/* role letter: one of G K U S W L */
	const char *role;		/* "GUP-fast walker" (timeline) */
	thpsim_scenario_thread_fn fn;
	bool uses_mm;			/* a user thread: switched to the mm
					   (in its mm_cpumask) while it runs */
} thpsim_scenario_thread_t;

typedef struct thpsim_scenario_def {
	const char *id;			/* "LAB1" */
	const char *title;		/* one line, for `list` */
	/* 0 or a negative THPSIM_E* (the run then fails with
	 * -THPSIM_EINTERNAL naming the scenario and thpsim_errmsg()). */
	int (*setup)(thpsim_scenario_ctx_t *ctx);
	/* Up to THPSIM_SCENARIO_THREADS_MAX; the first with name 0 ends
	 * the list.  Spawned in this order (a tie in the script's run-out
	 * goes to the lowest). */
	thpsim_scenario_thread_t threads[THPSIM_SCENARIO_THREADS_MAX];
	/* Ends with THPSIM_SCRIPT_END; at most THPSIM_SCRIPT_STEPS_MAX. */
	const thpsim_script_step_t *script;
	/* Idle CPUs of its own; a run adds its rc->idle_cpus. */
	unsigned idle_cpus;
	void *arg;			/* copied to ctx->arg */
} thpsim_scenario_def_t;

#define THPSIM_SCRIPT_STEPS_MAX 64

/*
 * Register a scenario.  The definition is copied; the strings, the
 * script and the functions it points at must stay valid until it is
 * unregistered (static storage is the usual way).  Checked: id (pattern
 * above, not taken, catalogue ids included), title, setup, at least one
 * thread, each thread's letter (G K U S W L, distinct), role and body,
 * the script (ops, letters of its own threads, points known, END within
 * THPSIM_SCRIPT_STEPS_MAX steps) and idle_cpus (<= THPSIM_IDLE_CPUS_MAX).
 * 0, or -THPSIM_EINVAL / -THPSIM_EEXIST / -THPSIM_ENOSPC (registry full)
 * with thpsim_errmsg() naming the bad field.  Thread-safe.
 */
int thpsim_scenario_register(const thpsim_scenario_def_t *def);
/*
 * Unregister by id (case-insensitive).  -THPSIM_EINVAL for NULL or a
 * catalogue id, -THPSIM_ENOENT when none is registered.  Do not
 * unregister a scenario while a run of it is in progress.  The info
 * pointers thpsim_scenario_list()/_find() gave out are invalid after any
 * register or unregister.
 */
int thpsim_scenario_unregister(const char *id);
/* The definition of a catalogue or registered scenario, NULL (errmsg
 * listing the ids) when unknown. */
const thpsim_scenario_def_t *thpsim_scenario_def_find(const char *id);

/* ---- building blocks (what the catalogue is written with) --------------- */

/*
 * Set-up helpers: 0 or a negative THPSIM_E*.  None of them reads the
 * configuration.
 */
/* Map [addr, addr + hpage) anonymous and fill every page with a pattern
 * naming the page. */
int thpsim_lab_populate_anon(thpsim_scenario_ctx_t *ctx, uint64_t addr);
/* Create ctx->file (one hpage of shmem) if needed, map its start shared
 * at addr and fill every page. */
int thpsim_lab_populate_file(thpsim_scenario_ctx_t *ctx, uint64_t addr);
/* Fill the file through a shared mapping at B (then unmapped), map it
 * private at addr and read-fault every page in. */
int thpsim_lab_populate_file_private(thpsim_scenario_ctx_t *ctx, uint64_t addr);
/* Collapse [addr, +hpage) now (set-up only): -THPSIM_EINTERNAL naming
 * the scan result unless it succeeds. */
int thpsim_lab_collapse_now(thpsim_scenario_ctx_t *ctx, uint64_t addr);
/* Make every mmu_gather batch-page allocation fail from now on. */
void thpsim_lab_fail_batch_alloc(thpsim_scenario_ctx_t *ctx);
/* Ready-made set-ups: A anonymous; A shmem; A a private file mapping. */
int thpsim_lab_setup_anon_A(thpsim_scenario_ctx_t *ctx);
int thpsim_lab_setup_file_A(thpsim_scenario_ctx_t *ctx);
int thpsim_lab_setup_file_private_A(thpsim_scenario_ctx_t *ctx);

/* A ready-made script, S1's order (S7 and S8 vary its set-up or zap): G
 * runs until GUP_AFTER_PMD_READ and its vCPU is preempted; K runs, U
 * runs, G resumes.  Threads G, K and U. */
extern const thpsim_script_step_t thpsim_lab_script_stall_collapse_zap[];

/* For own bodies: keep the first error; keep pins (n < 0: an error). */
void thpsim_lab_note_err(thpsim_scenario_ctx_t *ctx, int err);
void thpsim_lab_note_pins(thpsim_scenario_ctx_t *ctx, int n,
			  const uint64_t *pfns);

/*
 * Thread bodies.  Results other than errors (a collapse that fails, a
 * walk that finds nothing) are events the oracle sees, not errors.
 */
void thpsim_lab_gup(thpsim_scenario_ctx_t *ctx);	   /* G: GUP-fast walk_addr, kept pinned */
void thpsim_lab_rcu_walk(thpsim_scenario_ctx_t *ctx);	   /* W: 6.5+ RCU-only walk of walk_addr */
void thpsim_lab_collapse_A(thpsim_scenario_ctx_t *ctx);	   /* K: anon collapse of A */
void thpsim_lab_collapse_file_A(thpsim_scenario_ctx_t *ctx); /* K: file collapse of A */
void thpsim_lab_munmap_A(thpsim_scenario_ctx_t *ctx);	   /* U: munmap A */
void thpsim_lab_dontneed_A(thpsim_scenario_ctx_t *ctx);	   /* U: MADV_DONTNEED A */
void thpsim_lab_uffd_copy(thpsim_scenario_ctx_t *ctx);	   /* U: UFFDIO_COPY into walk_addr */
void thpsim_lab_split_A(thpsim_scenario_ctx_t *ctx);	   /* S: split the THP at A */
void thpsim_lab_split_B(thpsim_scenario_ctx_t *ctx);	   /* S: split the THP at B */
void thpsim_lab_lock_page_A(thpsim_scenario_ctx_t *ctx);   /* L: lock A's first page, kept */

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_SCENARIO_DEF_H */
