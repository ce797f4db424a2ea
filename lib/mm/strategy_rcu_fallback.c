/*
 * mm/strategy_rcu_fallback.c - "rcu-fallback": fresh-table (the
 * 2022-11-23 version: deposit a fresh table, free the old one through
 * mmu_gather), with the 2026 change to the mmu_gather fallback: when the
 * batch page cannot be allocated, tlb_remove_table_one() waits with
 * synchronize_rcu() instead of tlb_remove_table_sync_one(), then frees
 * (table_fallback datum, read by mm/mmu_gather.c for every table this mm
 * frees through mmu_gather, as the kernel change applies to all callers).
 *
 * Per profile (scenario S8, or --fail-table-batch): where tables go
 * through an RCU batch (arm64, ppc64-radix, x86-kvm-pv) the grace period
 * waits for GUP-fast's interrupts-off section as the IPI did: safe, and no
 * CPU is interrupted (the grace period is not BLOCKED: the collapse waits
 * for RCU, not on an IPI a walker holds off); it also waits for RCU-only
 * walkers (S10), which the IPI does not.  Where there is no batch (x86,
 * x86-paravirt, the negative control) the fallback never runs: outcomes
 * as fresh-table.
 */
#include "mm/strategy_builtin.h"

static int rcu_fallback_prepare(thpsim_strategy_ctx_t *ctx)
{
	ctx->prealloc = thpsim_strategy_pte_alloc_one(ctx);
	return ctx->prealloc ? THPSIM_SCAN_SUCCEED : THPSIM_SCAN_FAIL;
}

static void rcu_fallback_dispose_old_table(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pte_free_tlb(ctx, ctx->old_table);
}

static thpsim_pgtable_t rcu_fallback_deposit_table(thpsim_strategy_ctx_t *ctx)
{
	return ctx->prealloc;
}

static void rcu_fallback_retract(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmd_clear(ctx);
	thpsim_strategy_pte_free_tlb(ctx, ctx->old_table);
}

const struct thpsim_strategy_ops thpsim__strategy_rcu_fallback = {
	.name = "rcu-fallback",
	.description = "fresh-table; on mmu_gather batch failure synchronize_rcu() instead of the sync IPI (2026)",
	.table_fallback = THPSIM_TABLE_FALLBACK_SYNCHRONIZE_RCU,
	.collapse_prepare = rcu_fallback_prepare,
	.collapse_dispose_old_table = rcu_fallback_dispose_old_table,
	.collapse_deposit_table = rcu_fallback_deposit_table,
	.retract_clear_and_free = rcu_fallback_retract,
};
