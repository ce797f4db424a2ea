/*
 * mm/strategy_skip_redundant_sync.c - "skip-redundant-sync": ipi-sync
 * without the sync IPI where the TLB flush that precedes it is already an
 * IPI its sender waited for (the argument of mm/mmu_gather.c that
 * "IPI-flush architectures automagically DTRT": a walker with interrupts
 * off cannot ack, so pmdp_collapse_flush returned only after every walk
 * that saw the old pmd ended).  Anon path: after pmdp_collapse_flush; file
 * path: flush, the sync unless the flush is an IPI, pte_free.  The
 * placement knob does not apply.
 *
 * The test is the architecture's (thpsim_strategy_tlb_flush_is_ipi), as a
 * kernel would write it, not what the flush did this time.  Per profile:
 *  - x86 native: the sync is a stub anyway; nothing changes.
 *  - x86-paravirt: the flush IPIs every CPU running the mm and waits, so
 *    skipping is safe (BLOCKED where ipi-sync is), one IPI round fewer.
 *  - x86-kvm-pv: the PV flush skips preempted vCPUs (flush-on-entry, no
 *    IPI), so a walker preempted inside its interrupts-off section is not
 *    waited for.  Skipping the sync is UNSAFE there: S7 becomes UAF, as
 *    with "none".  Unpreempted walkers (S1) are still waited for.
 *  - broadcast flushes (arm64, ppc64-radix): not an IPI; the sync is sent
 *    as in ipi-sync.  The negative control: stub, UAF as ipi-sync.
 */
#include "mm/strategy_builtin.h"

static void skip_sync_unless_ipi_flush(thpsim_strategy_ctx_t *ctx)
{
	if (!thpsim_strategy_tlb_flush_is_ipi(ctx))
		thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

/* Models mm/khugepaged.c: collapse_and_free_pmd() (Linux 6.1, with the
 * fix, the sync skipped after an IPI flush).  Simplified: no mmu
 * notifiers. */
static void skip_sync_retract(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmdp_collapse_flush(ctx);
	skip_sync_unless_ipi_flush(ctx);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
}

const struct thpsim_strategy_ops thpsim__strategy_skip_redundant_sync = {
	.name = "skip-redundant-sync",
	.description = "ipi-sync, no sync IPI after an IPI TLB flush (unsafe where the flush skips preempted vCPUs)",
	.collapse_after_flush = skip_sync_unless_ipi_flush,
	.retract_clear_and_free = skip_sync_retract,
};
