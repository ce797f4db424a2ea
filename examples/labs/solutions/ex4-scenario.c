/*
 * Exercise 4, reference solution: the window between khugepaged's
 * isolate check and the walker's grab (Yang Shi's race; catalogue S4).
 *
 * G stops just before it grabs the page its pte read found, and its vCPU
 * is preempted, as a host would.  K runs its collapse until the isolate
 * has checked every page's refcount against its mapcount: G holds no
 * reference yet, so the check passes.  G then grabs, and without the
 * pmd recheck returns the page pinned.  K copies the page into the huge
 * page and frees it: G's pin is on a page the mapping dropped.
 */
#include "lab.h"

static const thpsim_script_step_t ex4_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_BEFORE_GRAB),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN_UNTIL('K', COLLAPSE_AFTER_ISOLATE),
	THPSIM_RUN('G'),
	THPSIM_RUN('K'),
	THPSIM_SCRIPT_END,
};

static const thpsim_scenario_def_t ex4 = {
	.id = "EX4",
	.title = "exercise 4: the stale pin",
	.setup = thpsim_lab_setup_anon_A,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
	},
	.script = ex4_script,
};

int lab_ex4_register(void)
{
	return thpsim_scenario_register(&ex4);
}
