/*
 * mm/strategy_pte_free_defer.c - "pte-free-defer": Linux 6.6.  The anon
 * collapse keeps 6.1's sync IPI right after pmdp_collapse_flush (the
 * placement knob does not apply).  The file path follows 6.6 locking
 * (file_locking, after Hugh Dickins' 2023 rework; mm/khugepaged_file66.c):
 * retract_page_tables without the mmap lock, under the pmd lock and the
 * PTE lock, frees with pte_free_defer(), a call_rcu() whatever the
 * architecture, so an RCU-only walker (6.5+ pte_offset_map under
 * rcu_read_lock, interrupts on) that an IPI would not wait for is covered
 * too; collapse_pte_mapped_thp runs under mmap_read_lock.
 *
 * pmdp_get_lockless_sync() after the flush is a no-op on 64-bit (it is
 * the sync IPI only where a pmd is read in two halves) and is omitted.
 */
#include "mm/strategy_builtin.h"

static void defer_after_flush(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

const struct thpsim_strategy_ops thpsim__strategy_pte_free_defer = {
	.name = "pte-free-defer",
	.description = "Linux 6.6: anon as ipi-sync; file path without the mmap lock, frees with pte_free_defer (call_rcu)",
	.file_locking = THPSIM_FILE_LOCKING_66,
	.collapse_after_flush = defer_after_flush,
};
