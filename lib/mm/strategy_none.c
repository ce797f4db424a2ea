/*
 * mm/strategy_none.c - "none": Linux 6.1 before 2ba99c5e0881 ("fix
 * GUP-fast interaction by sending IPI").  Every hook is the registry's
 * default: the old table is reused as the deposit, retract frees it with
 * pte_free() right after pmdp_collapse_flush().  What protects a GUP-fast
 * walker then is only the TLB flush (an IPI on x86, nothing on broadcast
 * architectures) and, for stale pins, GUP-fast's pmd recheck.
 */
#include "mm/strategy_builtin.h"

const struct thpsim_strategy_ops thpsim__strategy_none = {
	.name = "none",
	.description = "Linux 6.1 before the fix: reuse the old table as the deposit, retract frees it at once",
};
