/*
 * S2 - file/shmem retract frees the table at once (6.1
 * collapse_and_free_pmd).  K collapses the file range up to the retract:
 * the small pages are locked, unmapped (T's PTEs are none now), frozen
 * and replaced by the locked huge page.  Then G starts a walk: it reads
 * the pmd, still T, and stalls; K retracts the page table:
 * pmdp_collapse_flush, [fix], pte_free(T); G reads T[i].
 *
 * G starts after the unmap on purpose: a walker already inside its
 * IRQ-off section when the unmap's (batched) flush goes out would hold
 * that flush on an IPI-flush architecture, and then go on to the slow
 * path, whose mmap_lock makes the retract's trylock fail: the race the
 * fixes are about would never be reached there.
 */
#include "thpsim/thpsim.h"

static const thpsim_script_step_t s2_script[] = {
	THPSIM_RUN_UNTIL('K', COLLAPSE_BEFORE_RETRACT),
	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN('K'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S2_scenario = {
	.id = "S2",
	.title = "file/shmem retract frees the table at once (6.1 collapse_and_free_pmd)",
	.setup = thpsim_lab_setup_file_A,
	.threads = {
		{ 'G', "GUP-fast walker", thpsim_lab_gup, true },
		{ 'K', "khugepaged (file)", thpsim_lab_collapse_file_A, false },
	},
	.script = s2_script,
};
