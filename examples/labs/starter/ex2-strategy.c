/*
 * Exercise 2: write a fix strategy (docs/labs/README.md).
 *
 * GUP-fast walks page tables with interrupts off and no lock.  A THP
 * collapse detaches the old PTE table, and on the anon path deposits it
 * under the huge pmd, where a later zap frees it; the file path
 * (retract) frees it at once.  Make the strategy "student" keep every
 * walker out of a freed table on every profile, using only the kit of
 * thpsim/strategy.h (do not reuse a built-in strategy's hooks).
 *
 * See what breaks:  thpsim run S1 --profile arm64 --fix none --geometry 2x4 --timeline
 * Grade:            cmake --build <build> --target grade
 */
#include "lab.h"

/* TODO: hooks.  Which one runs after the pmd is cleared and the TLB
 * flushed, and which kit call waits for every CPU's IRQ-off section? */

static const struct thpsim_strategy_ops student_ops = {
	.name = "student",
	.description = "exercise 2: my fix",
	/* TODO: .collapse_after_flush = ..., .retract_clear_and_free = ... */
};

int lab_ex2_register(void)
{
	return thpsim_strategy_register(&student_ops);
}
