/*
 * thpsim/arch.h - architecture profiles: what differs per architecture
 * for freeing page tables under lockless walkers (docs/DESIGN.md section 5).
 *
 * API overview, in call order:
 *
 *   thpsim_profile_list();                 NULL-terminated, for the CLI
 *   p = thpsim_profile_find("arm64");      NULL (message set) if unknown
 *   thpsim_profile_validate(p);            rejects impossible flag sets
 *   ... kc.profile = p; thpsim_mm_set_kconfig(mm, &kc) (thpsim/strategy.h)
 *
 * A profile is plain data: a struct of flags that the mm layer tests in
 * ordinary `if`s (the kernel's IS_ENABLED(CONFIG_...)), never a hook.
 * Adding one is one more entry in lib/arch/profile.c's table; no mm file
 * changes.  Two rules follow the kernel exactly: where rcu_table_free
 * (MMU_GATHER_RCU_TABLE_FREE) is off, tlb_remove_table_sync_one() is an
 * empty stub; and where an IPI flush frees tables (freed_tables), it IPIs
 * lazy (idle) CPUs too.
 *
 * Scenario code and the oracle never read the profile: the outcome of a
 * run must come from what the mm code does with it.
 */
#ifndef THPSIM_ARCH_H
#define THPSIM_ARCH_H

#include <stdbool.h>

#include "thpsim/errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a remote TLB flush (flush_tlb_mm_range) reaches other CPUs. */
typedef enum thpsim_tlb_flush_kind {
	/* IPI every CPU in mm_cpumask and wait for the acks; lazy (idle)
	 * CPUs are skipped unless page tables were freed (x86 native). */
	THPSIM_TLB_FLUSH_IPI = 0,
	/* As IPI, but a preempted vCPU gets a flush-on-entry mark instead
	 * of an IPI (KVM PV flush, kvm_flush_tlb_multi). */
	THPSIM_TLB_FLUSH_IPI_SKIP_PREEMPTED,
	/* A broadcast invalidation instruction: no IPI, nothing waits for
	 * walkers (arm64 TLBI IS, powerpc tlbie). */
	THPSIM_TLB_FLUSH_BROADCAST,
} thpsim_tlb_flush_kind_t;

/* How tlb_remove_table() frees a page-table page. */
typedef enum thpsim_table_free_kind {
	/* tlb_remove_page(): the page is freed right after the TLB flush
	 * (x86 native; x86 PARAVIRT's native pv op in 6.1). */
	THPSIM_TABLE_FREE_AFTER_FLUSH = 0,
	/* Batched, freed by call_rcu() after a grace period; if the batch
	 * page cannot be allocated, a sync IPI and an immediate free. */
	THPSIM_TABLE_FREE_RCU_BATCH,
} thpsim_table_free_kind_t;

/* Where pgtable_trans_huge_deposit() keeps its list linkage. */
typedef enum thpsim_deposit_layout {
	/* In the table's struct page (lru): the table's bytes untouched. */
	THPSIM_DEPOSIT_GENERIC = 0,
	/* In the table itself: slots 0 and 1 hold list pointers while
	 * deposited, zeroed on withdraw (powerpc book3s64 radix). */
	THPSIM_DEPOSIT_RADIX,
} thpsim_deposit_layout_t;

typedef struct thpsim_profile {
	const char *name;		/* "x86", "arm64", ... */
	const char *analogue;		/* the kernel configuration it mirrors */
	const char *description;	/* one line */
	thpsim_tlb_flush_kind_t tlb_flush;
	bool rcu_table_free;		/* CONFIG_MMU_GATHER_RCU_TABLE_FREE */
	thpsim_table_free_kind_t table_free;
	thpsim_deposit_layout_t deposit;
	/* A guest of a hypervisor: its vCPUs can be preempted by the host.
	 * Then an IPI to a preempted vCPU is taken only when the host runs
	 * it again (the sender waits), and a preempted vCPU is not quiescent
	 * for RCU until it runs again.  Off: a "preempted" CPU is merely a
	 * stalled one (KVM guest: arch/x86/kernel/kvm.c). */
	bool guest;
	/* switch_mm does not maintain mm_cpumask (arm64 since 2015: its
	 * broadcast TLBI needs no target list), so the mask is empty to
	 * whoever reads it.  Off: the mask holds the CPUs running the mm. */
	bool no_mm_cpumask;
} thpsim_profile_t;

/* The built-in profiles, NULL-terminated, in a stable order. */
const thpsim_profile_t *const *thpsim_profile_list(void);
/* By name; NULL (thpsim_errmsg() lists the names) when unknown. */
const thpsim_profile_t *thpsim_profile_find(const char *name);
/*
 * 0, or -THPSIM_EPROFILE naming the impossible combination: an RCU batch
 * without rcu_table_free (the kernel only batches tables under
 * MMU_GATHER_RCU_TABLE_FREE), or a value outside its enum.
 */
int thpsim_profile_validate(const thpsim_profile_t *p);
/* "ipi", "ipi-skip-preempted", "broadcast"; "?" outside the enum. */
const char *thpsim_tlb_flush_kind_name(thpsim_tlb_flush_kind_t k);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_ARCH_H */
