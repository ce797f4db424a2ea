/*
 * mm/strategy_fresh_table.c - "fresh-table": the 2022-11-23 version of
 * the fix ("fix GUP-fast interaction by freeing ptes via mmu_gather").
 *
 * Anon path: a fresh table is allocated before the mmap lock and
 * deposited instead of the old one; after the copy the old table is freed
 * through mmu_gather, so it lives until no walker can be in it: after the
 * flush IPIs where tables are freed with tlb_remove_page (x86), after an
 * RCU grace period where they are batched (GUP-fast's interrupts-off
 * section holds the grace period off), or, when the batch page cannot be
 * allocated, after a sync IPI (tlb_remove_table_one).  The isolate
 * failure path still puts the OLD table back at the same pmd, and nothing
 * stops a walker from pinning a page of the old table between the flush
 * and the copy: that is left to GUP-fast's pmd recheck.
 *
 * File path: READ_ONCE + pmd_clear + one mmu_gather round instead of
 * pmdp_collapse_flush + pte_free, as free_pte_range() frees tables.
 */
#include "mm/strategy_builtin.h"

/* Before the mmap lock: the deposit-to-be.  Failure: SCAN_FAIL, as the
 * patch gives. */
static int fresh_prepare(thpsim_strategy_ctx_t *ctx)
{
	ctx->prealloc = thpsim_strategy_pte_alloc_one(ctx);
	return ctx->prealloc ? THPSIM_SCAN_SUCCEED : THPSIM_SCAN_FAIL;
}

static void fresh_dispose_old_table(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pte_free_tlb(ctx, ctx->old_table);
}

static thpsim_pgtable_t fresh_deposit_table(thpsim_strategy_ctx_t *ctx)
{
	return ctx->prealloc;
}

static void fresh_retract(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmd_clear(ctx);
	thpsim_strategy_pte_free_tlb(ctx, ctx->old_table);
}

const struct thpsim_strategy_ops thpsim__strategy_fresh_table = {
	.name = "fresh-table",
	.description = "2022-11-23: deposit a fresh table, free the old one through mmu_gather",
	.collapse_prepare = fresh_prepare,
	.collapse_dispose_old_table = fresh_dispose_old_table,
	.collapse_deposit_table = fresh_deposit_table,
	/* collapse_finish: the default frees an unused prealloc. */
	.retract_clear_and_free = fresh_retract,
};
