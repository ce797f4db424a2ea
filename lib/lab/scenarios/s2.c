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
#include "lab/scenario.h"

static int s2_setup(struct scenario_ctx *ctx)
{
	return ks_populate_file(ctx, ctx->A);
}

static const struct script_step s2_script[] = {
	RUN_UNTIL('K', COLLAPSE_BEFORE_RETRACT),
	RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	PREEMPT('G'),
	RUN('K'),
	RUN('G'),
	SCRIPT_DONE,
};

const struct scenario S2_scenario = {
	.id = "S2",
	.setup = s2_setup,
	.threads = {
		{ 'G', "GUP-fast walker", ks_gup, true },
		{ 'K', "khugepaged (file)", ks_collapse_file_A, false },
	},
	.script = s2_script,
};
