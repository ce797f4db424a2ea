/*
 * mm/strategy_ipi_sync_targeted.c - "ipi-sync-targeted": ipi-sync with
 * the sync IPI sent only to the CPUs in mm_cpumask instead of every
 * online CPU (a proposal made against 2ba99c5e0881 to spare CPUs that
 * never ran the mm, e.g. isolated real-time CPUs; not in any kernel).
 * Anon path: after pmdp_collapse_flush; file path (collapse_and_free_pmd,
 * Linux 6.1 with the fix): flush, targeted sync, pte_free.  The placement
 * knob does not apply (after-flush only).
 *
 * Safety argued per profile; the model computes it:
 *  - GUP-fast walks the current task's mm, so a walker's CPU has that mm
 *    loaded.  Where switch_mm keeps mm_cpumask (x86, powerpc, the
 *    negative control), the walker's CPU is in the mask, so the targeted
 *    IPI reaches every CPU that ipi-sync's would have had to wait for:
 *    the same outcomes, fewer interrupts (idle CPUs outside the mm are
 *    not disturbed).  x86-kvm-pv: a preempted vCPU stays in the mask, and
 *    the sync IPI (unlike the PV flush) waits for it to run.
 *  - arm64 does not maintain mm_cpumask (profile->no_mm_cpumask): the
 *    mask is empty, the IPI reaches nobody, and the collapse behaves as
 *    with "none": UNSAFE there (S1, S2 become UAF).  A targeted sync on
 *    arm64 would need the walker to announce itself (a per-mm count of
 *    lockless walkers, paid on every GUP-fast walk); not modelled.
 *  - Where the profile has no RCU table free it is a stub, as ipi-sync.
 */
#include "mm/strategy_builtin.h"

static void targeted_after_flush(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_tlb_remove_table_sync_mm(ctx);
}

/* Models mm/khugepaged.c: collapse_and_free_pmd() (Linux 6.1, with the
 * fix, the IPI targeted).  Simplified: no mmu notifiers. */
static void targeted_retract(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmdp_collapse_flush(ctx);
	thpsim_strategy_tlb_remove_table_sync_mm(ctx);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
}

const struct thpsim_strategy_ops thpsim__strategy_ipi_sync_targeted = {
	.name = "ipi-sync-targeted",
	.description = "ipi-sync, the sync IPI to mm_cpumask only (unsafe where mm_cpumask is not kept: arm64)",
	.collapse_after_flush = targeted_after_flush,
	.retract_clear_and_free = targeted_retract,
};
