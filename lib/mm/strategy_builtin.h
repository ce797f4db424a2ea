/*
 * mm/strategy_builtin.h - the built-in fix strategies, one file each,
 * written against the public kit (thpsim/strategy.h) only, as a lab's own
 * strategy would be.  Registered, in this order, on first use of the
 * registry (strategy.c).
 */
#ifndef THPSIM_MM_STRATEGY_BUILTIN_H
#define THPSIM_MM_STRATEGY_BUILTIN_H

#include "thpsim/strategy.h"

extern const struct thpsim_strategy_ops thpsim__strategy_none;
extern const struct thpsim_strategy_ops thpsim__strategy_ipi_sync;
extern const struct thpsim_strategy_ops thpsim__strategy_fresh_table;
extern const struct thpsim_strategy_ops thpsim__strategy_pte_free_defer;
extern const struct thpsim_strategy_ops thpsim__strategy_ipi_sync_targeted;
extern const struct thpsim_strategy_ops thpsim__strategy_skip_redundant_sync;
extern const struct thpsim_strategy_ops thpsim__strategy_rcu_fallback;

#endif
