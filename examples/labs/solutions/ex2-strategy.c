/*
 * Exercise 2, reference solution: the 2022 fix written from the kit.
 *
 * After pmdp_collapse_flush() the pmd no longer points at the old table,
 * so a walker that has not read it yet cannot reach it.  One that read
 * it earlier is inside an IRQ-off section: an IPI to every other CPU,
 * waited for, returns only after each such section ended
 * (tlb_remove_table_sync_one, mm/khugepaged.c collapse_huge_page, 6.1).
 * The file path frees the table itself, so it needs the same wait
 * between its flush and the free (retract_page_tables, 6.1).
 */
#include "lab.h"

static void sync_after_flush(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

static void retract_sync_free(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmdp_collapse_flush(ctx);
	thpsim_strategy_tlb_remove_table_sync_one(ctx);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
}

static const struct thpsim_strategy_ops student_ops = {
	.name = "student",
	.description = "exercise 2: sync IPI after every flush that detaches a table",
	.collapse_after_flush = sync_after_flush,
	.retract_clear_and_free = retract_sync_free,
};

int lab_ex2_register(void)
{
	return thpsim_strategy_register(&student_ops);
}
