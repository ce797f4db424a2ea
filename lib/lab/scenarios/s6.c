/*
 * S6 - collapse failure restores the same table (control).  G reads pte
 * X -> s and stalls before the grab.  K's scan finds every page of A
 * unlocked and stops; L (reclaim, say) locks A's first page, which is not
 * G's; K goes on: flush, [fix], its isolate's trylock_page fails, and the
 * old table is put back at the same pmd.  G grabs s after the restore:
 * the rechecks see the same values.  The lock comes after the scan: a
 * page already locked there would be refused before any flush
 * (SCAN_PAGE_LOCK), and nothing would race.
 */
#include "thpsim/thpsim.h"

static const thpsim_script_step_t s6_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_BEFORE_GRAB),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN_UNTIL('K', COLLAPSE_AFTER_SCAN),
	THPSIM_RUN('L'),
	THPSIM_RUN('K'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S6_scenario = {
	.id = "S6",
	.title = "collapse fails and puts the same table back (control)",
	.setup = thpsim_lab_setup_anon_A,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'L', "locks a page of A (reclaim)", thpsim_lab_lock_page_A, false },
	},
	.script = s6_script,
};
