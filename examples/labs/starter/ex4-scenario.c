/*
 * Exercise 4: write a scenario that shows the stale pin
 * (docs/labs/README.md).
 *
 * A GUP-fast walker reads a pte, then takes a reference on the page it
 * maps ("grab").  khugepaged's isolate checks that the page's refcount
 * equals its mapcount: no one else holds a reference.  If the walker
 * grabs right after that check, the collapse copies and frees the small
 * page while the walker returns it pinned: a pin on a page the mapping
 * no longer holds (STALE-PIN).  The pmd recheck after the grab (commit
 * 70cbc3cc78a99) is what catches it.
 *
 * Define scenario "EX4" with a walker G and khugepaged K, and a script
 * that drives them into that window.  The checker runs it with the pmd
 * recheck off (must be STALE-PIN) and on (must be no violation).
 * Try it:  thpsim --load ./ex4.so run EX4 --no-pmd-recheck --timeline
 * (or grade it: cmake --build <build> --target grade).
 */
#include "lab.h"

static const thpsim_script_step_t ex4_script[] = {
	/* TODO: where must G stop, and K?  Points: thpsim_sched_point_name(),
	 * THPSIM_SCHED_POINTS in thpsim/machine.h. */
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
