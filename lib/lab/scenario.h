/*
 * lab/scenario.h - how a scenario is written (see thpsim/scenario.h).
 *
 * A scenario file (lib/lab/scenarios/sN.c) defines one
 * `const struct scenario sN_scenario`: its threads, its setup and its one
 * script.  It may call the kernel operations below (lab/kops.c) and the
 * public mm API on ctx; it must never look at the profile, the fix or the
 * knobs (tests/lab/test_scenario_blind.c checks the sources).
 */
#ifndef THPSIM_LAB_SCENARIO_H
#define THPSIM_LAB_SCENARIO_H

#include "thpsim/event.h"
#include "thpsim/scenario.h"
#include "lab/script.h"

/* Fixed CPU of each thread role (the timeline's columns). */
enum scenario_cpu {
	CPU_K = 0,	/* khugepaged */
	CPU_G = 1,	/* GUP-fast walker */
	CPU_U = 2,	/* user thread: munmap / MADV_DONTNEED */
	CPU_S = 3,	/* splitter */
	CPU_W = 4,	/* RCU-only walker */
	CPU_R = 5,	/* RCU callbacks (daemon) */
	CPU_SETUP = 6,	/* the setup thread, before the script */
	CPU_TEARDOWN = 7, /* the teardown thread, after it */
	CPU_L = 8,	/* locks a page (reclaim, migration) */
	SCENARIO_NR_CPUS = 9,
};

struct scenario_ctx {
	thpsim_machine_t *m;
	thpsim_mm_t *mm;
	thpsim_file_t *file;		/* shmem scenarios */
	thpsim_geometry_t g;
	uint64_t page;			/* page size */
	uint64_t hpage;			/* pmd-mapped range size */
	uint64_t A, B;			/* two adjacent pmd ranges */
	uint64_t walk_addr;		/* the page G / W walk */
	uint64_t pinned[4];		/* what G returned, for the record */
	int nr_pinned;
	int err;			/* first error inside a thread */
};

struct scenario_thread {
	char name;			/* 'G', 'K', 'U', 'S', 'W', 'L' */
	const char *role;		/* "GUP-fast walker" */
	void (*fn)(struct scenario_ctx *ctx);
	bool uses_mm;			/* a user thread: in mm_cpumask */
};

#define SCENARIO_THREADS_MAX 4

struct scenario {
	const char *id;
	const char *title;
	int (*setup)(struct scenario_ctx *ctx);
	struct scenario_thread threads[SCENARIO_THREADS_MAX];
	const struct script_step *script;
	/* Idle CPUs outside the mm the scenario wants (the run adds its
	 * rc->idle_cpus): online, IRQs on, no thread. */
	unsigned idle_cpus;
};

/* ---- building blocks shared by scenario files (lab/kops.c) ---------- */

/* Map [addr, addr + hpage) anonymous and fill every page with a pattern. */
int ks_populate_anon(struct scenario_ctx *ctx, uint64_t addr);
/* Map the shmem file's first hpage at addr and fault every page in. */
int ks_populate_file(struct scenario_ctx *ctx, uint64_t addr);
/* Fill the shmem file's first hpage through a shared mapping (at B, then
 * unmapped), map it private at addr and read-fault every page in. */
int ks_populate_file_private(struct scenario_ctx *ctx, uint64_t addr);
/* Collapse [addr, +hpage) during setup (before the run). */
int ks_collapse_setup(struct scenario_ctx *ctx, uint64_t addr);
/* Make the mmu_gather batch-page allocation fail (S8). */
void ks_fail_batch_alloc(struct scenario_ctx *ctx);

/* Thread bodies. */
void ks_gup(struct scenario_ctx *ctx);		/* G: GUP-fast one page, kept pinned */
void ks_unpin_all(struct scenario_ctx *ctx);	/* teardown: drop G's pins */
void ks_rcu_walk(struct scenario_ctx *ctx);	/* W: 6.5+ RCU walker */
void ks_collapse_A(struct scenario_ctx *ctx);	/* K: anon collapse of A */
void ks_collapse_file_A(struct scenario_ctx *ctx); /* K: file collapse of A */
void ks_munmap_A(struct scenario_ctx *ctx);	/* U: munmap A */
void ks_uffd_copy(struct scenario_ctx *ctx);	/* U: UFFDIO_COPY one page */
void ks_dontneed_A(struct scenario_ctx *ctx);	/* U: MADV_DONTNEED A */
void ks_split_A(struct scenario_ctx *ctx);	/* S: split the THP at A */
void ks_split_B(struct scenario_ctx *ctx);	/* S: split the THP at B */
void ks_lock_page_A(struct scenario_ctx *ctx);	/* L: lock A's first page */

/*
 * S1's interleaving: G stalls after its pmd read, K collapses, U zaps, G
 * resumes.  S7 and S8 reuse it with another zap or setup.
 */
extern const struct script_step stall_collapse_zap_script[];

/*
 * Run a scenario under another policy (lab/explore.c): the same setup,
 * threads, oracle and teardown as thpsim_scenario_run(), but the run
 * phase's decisions come from policy instead of the script.  sink, when
 * set, also gets every event of the run phase.  quiet skips the verdict
 * text (exploration runs thousands).
 */
struct scenario_hooks {
	const struct det_policy *policy;	/* NULL: the scenario's script */
	thpsim_event_fn sink;
	void *sink_arg;
	bool quiet;
};

int scenario_run_hooked(const thpsim_run_config_t *rc,
			const struct scenario_hooks *h,
			thpsim_run_result_t *out);
/*
 * Fast restarts (scenario.c, machine/snapshot.h): the same runs as
 * scenario_run_hooked(rc, h, ...), but the machine, the mm and the setup
 * are built once by open and put back after every run.  h must outlive
 * the session.  supported: false where a snapshot cannot be taken (fiber
 * switches without a known stack pointer: other hosts, sanitizers).
 */
struct scenario_session;

bool scenario_session_supported(void);
int scenario_session_open(const thpsim_run_config_t *rc,
			  const struct scenario_hooks *h,
			  struct scenario_session **out);
int scenario_session_run(struct scenario_session *s, thpsim_run_result_t *out);
void scenario_session_close(struct scenario_session *s);

/* The scenario's threads, "G", "K", ... (for schedule strings). */
const struct scenario *scenario_get(const char *id);

#define SCENARIO(id, title) extern const struct scenario id##_scenario;
#include "lab/scenario-list.h"
#undef SCENARIO

#endif
