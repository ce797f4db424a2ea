/*
 * thpsim/strategy.h - fix strategies, knobs and the kernel configuration
 * of an address space (docs/DESIGN.md section 6).
 *
 * API overview, in call order:
 *
 *   thpsim_kconfig_t kc;
 *   thpsim_kconfig_default(&kc);           arm64, "none", pmd recheck on
 *   kc.profile = thpsim_profile_find("x86");
 *   kc.strategy = thpsim_strategy_find("ipi-sync");
 *   kc.knobs.ipi_placement = THPSIM_IPI_AFTER_DEPOSIT;
 *   thpsim_mm_set_kconfig(mm, &kc);        before the mm is used
 *   ... thpsim_collapse_anon(mm, addr) etc. (thpsim/mm.h) ...
 *
 *   thpsim_strategy_register(&my_ops);     a lab's own strategy
 *   thpsim_strategy_unregister("my-fix");  its slot back (32 in all)
 *   thpsim_strategy_count() / thpsim_strategy_at(i)   the registry
 *
 * A strategy is a table of hooks that the collapse and retract paths call
 * at fixed points; a strategy never patches the mm code.  The anon
 * collapse (mm/khugepaged.c: collapse_huge_page) runs, in order:
 *
 *	collapse_prepare          before the mmap lock (may fail the collapse)
 *	  pmdp_collapse_flush     pmd cleared, TLB flushed
 *	collapse_after_flush
 *	  __collapse_huge_page_isolate   (failure: the OLD table is put back
 *	                                  with pmd_populate, then finish)
 *	collapse_after_isolate    only when isolate succeeded, before the copy
 *	  __collapse_huge_page_copy      the old table's PTEs are cleared
 *	collapse_dispose_old_table
 *	collapse_deposit_table    returns the table to deposit
 *	  pgtable_trans_huge_deposit, set_pmd_at(huge)
 *	collapse_after_deposit    pmd lock dropped, mmap lock still held
 *	collapse_finish           always, last (ctx->result is final)
 *
 * and the file path follows the locking its file_locking field names
 * (a datum, not a hook; see thpsim_file_locking_t):
 *
 *	6.1 (the default): retract_page_tables takes i_mmap_rwsem for write
 *	  and, per mm, mmap_write_trylock (a busy mm is skipped); then
 *	  collapse_and_free_pmd calls retract_clear_and_free, which must
 *	  clear the pmd and dispose of the table;
 *	6.6: retract_page_tables takes i_mmap_rwsem for read and no mmap
 *	  lock; per VMA the pmd lock and the PTE lock, the anon_vma recheck
 *	  under them, pmdp_collapse_flush, unlock, pte_free_defer.
 *	  retract_clear_and_free is not called (6.6 has no such step), and
 *	  thpsim_collapse_pte_mapped_thp() runs under mmap_read_lock.
 *
 * A hook left NULL gets the default of the 6.1 kernel before the
 * fix (strategy "none"): prepare succeeds, the flush/isolate/deposit
 * hooks do nothing, the old table is deposited, finish frees an unused
 * ctx->prealloc with pte_free, and retract does pmdp_collapse_flush +
 * pte_free.  Hooks run with the mmap lock held for write (except prepare
 * and finish) and no spinlock held.
 *
 * Hooks act through the kit below (thpsim_strategy_*), the same kernel
 * primitives the built-ins use: the sync IPI, table allocation and the
 * three ways to free a table (immediately, through mmu_gather, by RCU).
 * Built in: "none", "ipi-sync", "fresh-table", "pte-free-defer", and
 * the later ones "ipi-sync-targeted", "skip-redundant-sync",
 * "rcu-fallback".
 *
 * Hook contracts (what a hook may assume and must do):
 *
 *  - ctx is the mm code's, one per collapse or retract: every hook of one
 *    collapse sees the same ctx, gone after collapse_finish.  ctx->priv is
 *    the strategy's own (NULL at collapse_prepare; what it points to, the
 *    strategy allocates there and frees in collapse_finish); the mm code
 *    never reads it.  The kit helpers need this ctx: called outside a hook (ctx NULL)
 *    they are a BUG.
 *  - ctx->prealloc belongs to the strategy: what collapse_prepare put there
 *    (e.g. thpsim_strategy_pte_alloc_one()).  If collapse_deposit_table
 *    returns it, the mm code takes it over and sets ctx->prealloc NULL;
 *    whatever is left in it at collapse_finish the strategy must free (the
 *    default finish does, with pte_free).  NULL: nothing preallocated.
 *  - collapse_prepare: ctx->vma, ->pmdp and ->old_table are NULL.  A
 *    result other than THPSIM_SCAN_SUCCEED ends the collapse; finish
 *    still runs.
 *  - collapse_dispose_old_table owns ctx->old_table (detached, empty): it
 *    frees it exactly once (pte_free, pte_free_defer, pte_free_tlb) or
 *    leaves it for collapse_deposit_table to return.  NULL hook: left.
 *  - collapse_deposit_table must return a detached, empty, allocated
 *    table: ctx->old_table if dispose left it, or ctx->prealloc.  NULL, a
 *    freed table or one still linked in the tree is a BUG.
 *  - retract_clear_and_free must clear ctx->pmdp and free ctx->old_table
 *    exactly once.
 *
 * A hook that breaks a rule of the model (a table freed twice, a BUG
 * above) ends a deterministic run with -THPSIM_EMODEL and a message naming
 * the hook and the rule (thpsim/errors.h: thpsim_set_bug_handler); it
 * aborts the process elsewhere (stress, free-running threads).
 *
 * Scenario code and the oracle never read the configuration: only the mm
 * code does.
 */
#ifndef THPSIM_STRATEGY_H
#define THPSIM_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#include "thpsim/arch.h"
#include "thpsim/errors.h"
#include "thpsim/mm.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Where ipi-sync sends tlb_remove_table_sync_one().  This is
 * docs/KERNEL-NOTES.md section 8's S9 (IPI placement ablation): not a
 * catalogue scenario of its own (thpsim_scenario_find("S9") fails), but this knob run over S1-S5
 * (`thpsim run S1 --fix ipi-sync --ipi-placement after-deposit`).
 */
typedef enum thpsim_ipi_placement {
	THPSIM_IPI_AFTER_FLUSH = 0,	/* right after pmdp_collapse_flush
					   (the kernel's) */
	THPSIM_IPI_AFTER_ISOLATE,	/* after a successful isolate, before
					   the copy; file path: as after-flush */
	THPSIM_IPI_AFTER_DEPOSIT,	/* after the deposit and set_pmd_at;
					   file path: after pte_free */
	THPSIM_IPI_PLACEMENT__NR
} thpsim_ipi_placement_t;

/* "after-flush", "after-isolate", "after-deposit"; "?" otherwise. */
const char *thpsim_ipi_placement_name(thpsim_ipi_placement_t p);
/* -THPSIM_EINVAL (message lists the names) for an unknown name. */
int thpsim_ipi_placement_parse(const char *s, thpsim_ipi_placement_t *out);

/* Knobs.  One that does not apply to a strategy or profile is ignored. */
typedef struct thpsim_knobs {
	/* GUP-fast rechecks the pmd after grabbing the page (commit
	 * 70cbc3cc78a99); off = before it.  [on] */
	bool pmd_recheck;
	/* The radix deposit words look like present user PTEs (an
	 * adversarial encoding); only with a radix deposit layout. [off] */
	bool radix_garbage_passes;
	/* Every mmu_gather batch-page allocation fails (GFP_NOWAIT), so
	 * tlb_remove_table() takes the sync-IPI + immediate-free fallback;
	 * only where tables are freed through an RCU batch.  [off] */
	bool fail_table_batch;
	/* ipi-sync only.  [after-flush] */
	thpsim_ipi_placement_t ipi_placement;
	/* The 6.6 file retract repeats its anon_vma check under the pmd
	 * lock and the PTE lock (Hugh Dickins' 2023 rework, v2); off = it
	 * trusts its lockless check alone (scenario S13).  Only where the
	 * strategy's file_locking is 6.6.  [on] */
	bool retract_recheck;
} thpsim_knobs_t;

/* The kernel whose locking the file path (retract_page_tables,
 * collapse_pte_mapped_thp) follows; see the overview. */
typedef enum thpsim_file_locking {
	THPSIM_FILE_LOCKING_61 = 0,	/* mmap write lock (trylock) */
	THPSIM_FILE_LOCKING_66,		/* no mmap lock: pmd lock + PTL */
	THPSIM_FILE_LOCKING__NR
} thpsim_file_locking_t;

/* What tlb_remove_table() does with a table when the mmu_gather batch
 * page cannot be allocated (tlb_remove_table_one); a datum of the
 * strategy, for every table freed through mmu_gather in its mm. */
typedef enum thpsim_table_fallback {
	/* Linux 6.1: tlb_remove_table_sync_one() (an empty IPI to every
	 * other CPU, waiting), then free at once. */
	THPSIM_TABLE_FALLBACK_SYNC_IPI = 0,
	/* The 2026 change: synchronize_rcu(), then free at once.  No IPI;
	 * the wait also covers RCU-only (interrupts-on) walkers. */
	THPSIM_TABLE_FALLBACK_SYNCHRONIZE_RCU,
	THPSIM_TABLE_FALLBACK__NR
} thpsim_table_fallback_t;

/* A page-table page (the kernel's pgtable_t); opaque. */
struct page;
typedef struct page *thpsim_pgtable_t;

/* What a hook sees.  Built by the mm code for one collapse or retract. */
typedef struct thpsim_strategy_ctx {
	thpsim_mm_t *mm;
	thpsim_vma_t *vma;
	uint64_t address;		/* first address of the pmd's range */
	void *pmdp;			/* the pmd entry (for the kit) */
	thpsim_pgtable_t old_table;	/* the PTE table collapsed / retracted */
	thpsim_pgtable_t prealloc;	/* what collapse_prepare allocated; the
					   mm code sets it NULL once deposited */
	const thpsim_knobs_t *knobs;
	bool file;			/* retract (file) path, else anon */
	int result;			/* scan result so far (thpsim/mm.h) */
	void *priv;			/* the strategy's own, for one collapse
					   (NULL at prepare) */
} thpsim_strategy_ctx_t;

/* Role-prefixed hooks, as liburcu's flavor.h: collapse_* on the anon
 * path, retract_* on the file path.  See the overview for the order. */
struct thpsim_strategy_ops {
	const char *name;		/* required, unique: [a-z0-9-]+ */
	const char *description;	/* required, one line */
	/* The file path's locking (0: 6.1).  With 6.6 the file path frees
	 * with pte_free_defer itself and retract_clear_and_free is unused. */
	thpsim_file_locking_t file_locking;
	/* The mmu_gather batch-failure fallback (0: 6.1's sync IPI). */
	thpsim_table_fallback_t table_fallback;
	/* THPSIM_SCAN_SUCCEED to go on, or the failure result to end the
	 * collapse with (before any lock is taken; ctx->vma, ->pmdp and
	 * ->old_table are not known yet and are NULL). */
	int (*collapse_prepare)(thpsim_strategy_ctx_t *ctx);
	void (*collapse_after_flush)(thpsim_strategy_ctx_t *ctx);
	void (*collapse_after_isolate)(thpsim_strategy_ctx_t *ctx);
	/* After the copy: the old table is detached and empty. */
	void (*collapse_dispose_old_table)(thpsim_strategy_ctx_t *ctx);
	/* The (empty) table to deposit under the huge pmd. */
	thpsim_pgtable_t (*collapse_deposit_table)(thpsim_strategy_ctx_t *ctx);
	void (*collapse_after_deposit)(thpsim_strategy_ctx_t *ctx);
	void (*collapse_finish)(thpsim_strategy_ctx_t *ctx);
	/* Clear the pmd (ctx->pmdp, mapping ctx->old_table) and dispose of
	 * the table. */
	void (*retract_clear_and_free)(thpsim_strategy_ctx_t *ctx);
};

/*
 * Register ops (copied; NULL hooks get the defaults above; the function
 * pointers and strings must outlive the registration).  Fails with
 * -THPSIM_EINVAL (missing or malformed name or description; a
 * collapse_deposit_table without a collapse_dispose_old_table, which
 * would leak the old table), -THPSIM_EEXIST (name taken) or
 * -THPSIM_ENOSPC (all 32 slots taken: unregister one).
 */
int thpsim_strategy_register(const struct thpsim_strategy_ops *ops);
/*
 * Remove a registered strategy and free its slot.  -THPSIM_EINVAL for a
 * NULL name or a built-in, -THPSIM_ENOENT when none has that name,
 * -THPSIM_EBUSY while an mm configured with it is alive (destroy it
 * first).  Pointers from thpsim_strategy_find/_at to it become invalid.
 */
int thpsim_strategy_unregister(const char *name);
/* The registered strategy (defaults filled); NULL with a message listing
 * the names when unknown. */
const struct thpsim_strategy_ops *thpsim_strategy_find(const char *name);
unsigned thpsim_strategy_count(void);
/* The i-th registered (built-ins first, then in order of registration,
 * a freed slot reused), NULL past the end. */
const struct thpsim_strategy_ops *thpsim_strategy_at(unsigned i);

/* ---- the kit: kernel primitives for hooks -------------------------- */

/* tlb_remove_table_sync_one(): an empty IPI to every other online CPU,
 * waiting for all; an empty stub where the profile has no RCU table
 * free. */
void thpsim_strategy_tlb_remove_table_sync_one(thpsim_strategy_ctx_t *ctx);
/* The same empty IPI, to the CPUs in mm_cpumask (minus this one) only:
 * the CPUs that switched to the mm, as the architecture keeps the mask.
 * Where the profile's switch_mm does not maintain mm_cpumask (arm64),
 * the mask is empty and nobody is interrupted.  An empty stub where the
 * profile has no RCU table free, as the untargeted one. */
void thpsim_strategy_tlb_remove_table_sync_mm(thpsim_strategy_ctx_t *ctx);
/* True when the profile's remote TLB flush is an IPI its sender waits
 * for (x86 native, PARAVIRT, the KVM PV flush), false for a broadcast
 * flush.  A property of the architecture, as kernel code would test it
 * (the "IPI-flush architectures" of mm/mmu_gather.c), not a record of
 * which CPUs the last flush actually reached: the KVM PV flush answers
 * true and still skips preempted vCPUs. */
bool thpsim_strategy_tlb_flush_is_ipi(thpsim_strategy_ctx_t *ctx);
/* pte_alloc_one(): a fresh empty table, NULL when allocation fails. */
thpsim_pgtable_t thpsim_strategy_pte_alloc_one(thpsim_strategy_ctx_t *ctx);
/* pte_free(): free now (walkers may still be inside it!). */
void thpsim_strategy_pte_free(thpsim_strategy_ctx_t *ctx, thpsim_pgtable_t t);
/* pte_free_defer() (6.6): free after an RCU grace period, always. */
void thpsim_strategy_pte_free_defer(thpsim_strategy_ctx_t *ctx,
				    thpsim_pgtable_t t);
/* tlb_gather_mmu + tlb_flush_pte_range + pte_free_tlb + tlb_finish_mmu
 * over [address, +pmd size): freed per the profile's tlb_remove_table. */
void thpsim_strategy_pte_free_tlb(thpsim_strategy_ctx_t *ctx,
				  thpsim_pgtable_t t);
/* Retract: pmdp_collapse_flush() of ctx->pmdp (clear + TLB flush). */
void thpsim_strategy_pmdp_collapse_flush(thpsim_strategy_ctx_t *ctx);
/* Retract: pmd_clear() of ctx->pmdp alone (no flush). */
void thpsim_strategy_pmd_clear(thpsim_strategy_ctx_t *ctx);

/* ---- the configuration of an address space ------------------------- */

typedef struct thpsim_kconfig {
	const thpsim_profile_t *profile;
	const struct thpsim_strategy_ops *strategy;	/* a registered one */
	thpsim_knobs_t knobs;
} thpsim_kconfig_t;

/* arm64, "none", pmd recheck and retract recheck on, other knobs off,
 * after-flush. */
void thpsim_kconfig_default(thpsim_kconfig_t *kc);
/*
 * Configure mm (copied).  Set it before the mm is shared with other
 * threads.  -THPSIM_EPROFILE for an invalid profile, -THPSIM_ESTRATEGY
 * for a strategy that was not registered, -THPSIM_EINVAL otherwise.
 */
int thpsim_mm_set_kconfig(thpsim_mm_t *mm, const thpsim_kconfig_t *kc);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_STRATEGY_H */
