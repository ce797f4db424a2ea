/*
 * S4 - stale pin after the isolate refcount check (Yang Shi's race,
 * issue 3a).  G reads pte X -> page s and stalls before try_grab_folio;
 * K flushes, [fix], isolates (s's refcount equals its mapcount) and stops;
 * G grabs s and rechecks; K copies s into the huge page and frees it.
 * Meant to be run with the pmd recheck on and off.
 */
#include "thpsim/thpsim.h"

static const thpsim_script_step_t s4_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_BEFORE_GRAB),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN_UNTIL('K', COLLAPSE_AFTER_ISOLATE),
	THPSIM_RUN('G'),
	THPSIM_RUN('K'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S4_scenario = {
	.id = "S4",
	.title = "stale pin: the walker grabs after collapse's isolate refcount check",
	.setup = thpsim_lab_setup_anon_A,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
	},
	.script = s4_script,
};
