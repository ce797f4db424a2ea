/*
 * machine/mutant.h - test-only switches that each break one mechanism
 * (docs/DESIGN.md section 8), to prove outcomes come from the mechanisms.
 *
 * THPSIM_MUTANT=name (one name, or several separated by commas), read at
 * each call so a test can set it before a run:
 *   ipi-ignores-mask    IPIs are taken even while the target is masked
 *   gp-ignores-readers  RCU grace periods do not wait for readers
 *   sync-not-stubbed    tlb_remove_table_sync_one() IPIs even without
 *                       MMU_GATHER_RCU_TABLE_FREE
 *   flush-no-wait       the x86 IPI TLB flush does not wait for acks
 *   copy-flips-byte     a collapse's copy of its first subpage gets one
 *                       byte wrong (the oracle must say CORRUPTION)
 * Never set in normal use; the thpsim command refuses to run with it set
 * unless --allow-mutant is given (and refuses unknown names even then),
 * and marks every output it produces under one (sim/main.c).
 */
#ifndef THPSIM_MACHINE_MUTANT_H
#define THPSIM_MACHINE_MUTANT_H

#include <stdbool.h>
#include <stddef.h>

bool thpsim__mutant(const char *name);
/* The names above, NULL-ended. */
const char *const *thpsim__mutant_names(void);
/* THPSIM_MUTANT: 0 unset or empty, 1 every name known, -1 a name is not
 * (copied into bad; an empty item, as in "a,,b", is unknown). */
int thpsim__mutant_check(char *bad, size_t len);

#endif
