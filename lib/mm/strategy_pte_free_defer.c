/*
 * mm/strategy_pte_free_defer.c - "pte-free-defer": Linux 6.6.  The anon
 * collapse keeps 6.1's sync IPI right after pmdp_collapse_flush (the
 * placement knob does not apply); the file path (retract_page_tables
 * after Hugh Dickins' 2023 rework) clears with pmdp_collapse_flush and
 * frees with pte_free_defer(), a call_rcu() whatever the architecture, so
 * an RCU-only walker (6.5+ pte_offset_map under rcu_read_lock, interrupts
 * on) that an IPI would not wait for is covered too.
 *
 * pmdp_get_lockless_sync() after the flush is a no-op on 64-bit (it is
 * the sync IPI only where a pmd is read in two halves) and is omitted.
 */
#include "mm/strategy_builtin.h"

static void defer_after_flush(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

/* Models mm/khugepaged.c: retract_page_tables()'s per-VMA step (Linux
 * 6.6).  Simplified: no mmu notifiers, the uffd/anon_vma rechecks under
 * the PTL are not needed (the mmap lock is held here). */
static void defer_retract(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmdp_collapse_flush(ctx);
	thpsim_strategy_pte_free_defer(ctx, ctx->old_table);
}

const struct thpsim_strategy_ops thpsim__strategy_pte_free_defer = {
	.name = "pte-free-defer",
	.description = "Linux 6.6: anon as ipi-sync, file path frees with pte_free_defer (call_rcu)",
	.collapse_after_flush = defer_after_flush,
	.retract_clear_and_free = defer_retract,
};
