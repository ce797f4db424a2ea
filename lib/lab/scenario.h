/*
 * lab/scenario.h - the run of a scenario, inside the library.
 *
 * A scenario is written on the public API (thpsim/scenario_def.h): a
 * catalogue file (lib/lab/scenarios/sN.c) includes only public headers
 * and defines one `const thpsim_scenario_def_t SN_scenario`, listed in
 * lab/scenario-list.h; it must never look at the profile, the fix or the
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

/* The fixed CPU of a thread letter, -1 for none (lab/scenario_registry.c). */
int scenario_thread_cpu(char name);
/* A copy of the definition of a catalogue or registered scenario; 0, or
 * -THPSIM_EINVAL naming the id and listing the known ones. */
int scenario_copy(const char *id, thpsim_scenario_def_t *out);

/* Teardown: drop the pins the threads kept (lab/kops.c). */
void scenario_unpin_all(thpsim_scenario_ctx_t *ctx);

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
const thpsim_scenario_def_t *scenario_get(const char *id);

#define SCENARIO(id) extern const thpsim_scenario_def_t id##_scenario;
#include "lab/scenario-list.h"
#undef SCENARIO

#endif
