/*
 * mm/strategy_ipi_sync.c - "ipi-sync": 2ba99c5e0881 (v4/v5 of the 2022
 * series), tlb_remove_table_sync_one() right after pmdp_collapse_flush()
 * on the anon path (collapse_huge_page) and the file path
 * (collapse_and_free_pmd).
 *
 * Why it works: the empty IPI cannot complete on a CPU that has
 * interrupts off, and GUP-fast walks with interrupts off (see
 * gup_pte_range()), so once it returns no walker that saw the old pmd is
 * still inside the table; the table may then be reused (deposit) or freed.
 * Where MMU_GATHER_RCU_TABLE_FREE is off the call is an empty stub: those
 * architectures are assumed to flush by IPI already.
 *
 * The placement knob moves the call for ablation (docs/KERNEL-NOTES.md
 * section 8's S9: the knob over S1-S5, not a catalogue scenario):
 * after-flush (the kernel's), after-isolate (anon: after a successful
 * isolate, before the copy; file: as after-flush) or after-deposit (anon:
 * after the deposit and set_pmd_at; file: after pte_free).
 */
#include "mm/strategy_builtin.h"

static thpsim_ipi_placement_t placement(thpsim_strategy_ctx_t *ctx)
{
	return ctx->knobs->ipi_placement;
}

static void ipi_sync_after_flush(thpsim_strategy_ctx_t *ctx)
{
	if (placement(ctx) == THPSIM_IPI_AFTER_FLUSH)
		thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

static void ipi_sync_after_isolate(thpsim_strategy_ctx_t *ctx)
{
	if (placement(ctx) == THPSIM_IPI_AFTER_ISOLATE)
		thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

static void ipi_sync_after_deposit(thpsim_strategy_ctx_t *ctx)
{
	if (placement(ctx) == THPSIM_IPI_AFTER_DEPOSIT)
		thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

/* Models mm/khugepaged.c: collapse_and_free_pmd() (Linux 6.1, with the
 * fix).  Simplified: no mmu notifiers, no page_table_check. */
static void ipi_sync_retract(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmdp_collapse_flush(ctx);
	if (placement(ctx) != THPSIM_IPI_AFTER_DEPOSIT)
		thpsim_strategy_tlb_remove_table_sync_one(ctx);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
	if (placement(ctx) == THPSIM_IPI_AFTER_DEPOSIT)
		thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

const struct thpsim_strategy_ops thpsim__strategy_ipi_sync = {
	.name = "ipi-sync",
	.description = "2ba99c5e0881: tlb_remove_table_sync_one() after pmdp_collapse_flush (placement knob)",
	.collapse_after_flush = ipi_sync_after_flush,
	.collapse_after_isolate = ipi_sync_after_isolate,
	.collapse_after_deposit = ipi_sync_after_deposit,
	.retract_clear_and_free = ipi_sync_retract,
};
