/*
 * mm/strategy.c - the strategy registry, the default hooks, the hook calls
 * made by the collapse and retract paths, the kit hooks act through, and
 * the kernel configuration of an address space.
 *
 * A strategy (thpsim/strategy.h) is a table of hooks; registration copies
 * it and fills every hook left NULL with the default below, which is the
 * 6.1 kernel before the fix: nothing happens at the flush, isolate and
 * deposit points, the old table is deposited, retract frees the table at
 * once.  So a strategy states only where it differs, and the mm code calls
 * every hook unconditionally.
 *
 * The registry is a fixed array of slots, read and written under a mutex
 * (lookups happen when an mm is configured, never on a hot path).  An
 * unregistered slot is free for the next registration; built-ins stay.
 * Each entry counts the mms configured with it (thpsim_mm_set_kconfig,
 * released at thpsim_mm_destroy): a strategy in use cannot be
 * unregistered, so an mm's pointer into the registry stays valid.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "mm/internal.h"
#include "mm/strategy_builtin.h"

#define STRATEGIES_MAX 32
#define STRATEGY_NAME_MAX 32

enum {
	HOOK_PREPARE = 1u << 0,
	HOOK_AFTER_FLUSH = 1u << 1,
	HOOK_AFTER_ISOLATE = 1u << 2,
	HOOK_DISPOSE_OLD_TABLE = 1u << 3,
	HOOK_DEPOSIT_TABLE = 1u << 4,
	HOOK_AFTER_DEPOSIT = 1u << 5,
	HOOK_FINISH = 1u << 6,
	HOOK_RETRACT = 1u << 7,
};

struct strategy_entry {
	struct thpsim_strategy_ops ops;		/* defaults filled */
	const struct thpsim_strategy_ops *orig;	/* what was registered */
	unsigned supplied;			/* HOOK_* the strategy gave */
	bool builtin;
	_Atomic unsigned users;			/* mms configured with it */
};

static struct strategy_entry registry[STRATEGIES_MAX];
static unsigned nr_slots;		/* slots ever used; free ones: no name */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t builtins_once = PTHREAD_ONCE_INIT;

/* ---- defaults: the 6.1 kernel before the fix --------------------------- */

static int default_prepare(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
	return SCAN_SUCCEED;
}

static void default_nothing(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
}

/* 6.1: the old table, emptied by the copy, becomes the deposit. */
static struct page *default_deposit_table(thpsim_strategy_ctx_t *ctx)
{
	return ctx->old_table;
}

/* Free what prepare allocated and the collapse did not use. */
static void default_finish(thpsim_strategy_ctx_t *ctx)
{
	if (!ctx->prealloc)
		return;
	pte_free(ctx->mm, ctx->prealloc);
	ctx->prealloc = NULL;
}

/* 6.1 collapse_and_free_pmd() before the fix: flush, then free at once. */
static void default_retract(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_pmdp_collapse_flush(ctx);
	thpsim_strategy_pte_free(ctx, ctx->old_table);
}

/* ---- registration ------------------------------------------------------ */

static int strategy_check_name(const char *name)
{
	size_t n;

	if (!name || !*name)
		return thpsim__err(-THPSIM_EINVAL, "strategy: missing name");
	n = strlen(name);
	if (n > STRATEGY_NAME_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "strategy '%s': name longer than %d characters",
				   name, STRATEGY_NAME_MAX);
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
		return thpsim__err(-THPSIM_EINVAL,
				   "strategy '%s': name may hold only a-z, 0-9 and '-'",
				   name);
	return 0;
}

static int strategy_check(const struct thpsim_strategy_ops *ops)
{
	int err;

	if (!ops)
		return thpsim__err(-THPSIM_EINVAL, "strategy: ops is NULL");
	err = strategy_check_name(ops->name);
	if (err)
		return err;
	if (!ops->description || !*ops->description)
		return thpsim__err(-THPSIM_EINVAL,
				   "strategy '%s': missing description",
				   ops->name);
	if ((unsigned)ops->file_locking >= THPSIM_FILE_LOCKING__NR)
		return thpsim__err(-THPSIM_EINVAL,
				   "strategy '%s': file_locking %d outside its enum",
				   ops->name, (int)ops->file_locking);
	if ((unsigned)ops->table_fallback >= THPSIM_TABLE_FALLBACK__NR)
		return thpsim__err(-THPSIM_EINVAL,
				   "strategy '%s': table_fallback %d outside its enum",
				   ops->name, (int)ops->table_fallback);
	if (ops->collapse_deposit_table && !ops->collapse_dispose_old_table)
		return thpsim__err(-THPSIM_EINVAL,
				   "strategy '%s': collapse_deposit_table without collapse_dispose_old_table would leak the old table",
				   ops->name);
	return 0;
}

/* Copy ops with NULL hooks defaulted; record which it supplied. */
static void strategy_fill(struct strategy_entry *e,
			  const struct thpsim_strategy_ops *ops)
{
	struct thpsim_strategy_ops *o = &e->ops;

	*o = *ops;
	e->orig = ops;
	e->supplied = 0;
	atomic_store(&e->users, 0);
#define FILL(hook, bit, def)                                                 \
	do {                                                                 \
		if (o->hook)                                                 \
			e->supplied |= (bit);                                \
		else                                                         \
			o->hook = (def);                                     \
	} while (0)
	FILL(collapse_prepare, HOOK_PREPARE, default_prepare);
	FILL(collapse_after_flush, HOOK_AFTER_FLUSH, default_nothing);
	FILL(collapse_after_isolate, HOOK_AFTER_ISOLATE, default_nothing);
	FILL(collapse_dispose_old_table, HOOK_DISPOSE_OLD_TABLE,
	     default_nothing);
	FILL(collapse_deposit_table, HOOK_DEPOSIT_TABLE, default_deposit_table);
	FILL(collapse_after_deposit, HOOK_AFTER_DEPOSIT, default_nothing);
	FILL(collapse_finish, HOOK_FINISH, default_finish);
	FILL(retract_clear_and_free, HOOK_RETRACT, default_retract);
#undef FILL
}

/* Caller holds registry_lock. */
static struct strategy_entry *strategy_lookup(const char *name)
{
	for (unsigned i = 0; name && i < nr_slots; i++)
		if (registry[i].ops.name && !strcmp(registry[i].ops.name, name))
			return &registry[i];
	return NULL;
}

static int __strategy_register(const struct thpsim_strategy_ops *ops,
			       bool builtin)
{
	struct strategy_entry *e = NULL;
	int err = strategy_check(ops);

	if (err)
		return err;
	pthread_mutex_lock(&registry_lock);
	for (unsigned i = 0; i < nr_slots && !e; i++)
		if (!registry[i].ops.name)
			e = &registry[i];
	if (!e && nr_slots < STRATEGIES_MAX)
		e = &registry[nr_slots];
	if (strategy_lookup(ops->name))
		err = thpsim__err(-THPSIM_EEXIST,
				  "strategy '%s' is already registered",
				  ops->name);
	else if (!e)
		err = thpsim__err(-THPSIM_ENOSPC,
				  "strategy '%s': the registry is full (%d strategies; thpsim_strategy_unregister() frees a slot)",
				  ops->name, STRATEGIES_MAX);
	if (!err) {
		strategy_fill(e, ops);
		e->builtin = builtin;
		if (e == &registry[nr_slots])
			nr_slots++;
	}
	pthread_mutex_unlock(&registry_lock);
	return err;
}

static void register_builtins(void)
{
	(void)__strategy_register(&thpsim__strategy_none, true);
	(void)__strategy_register(&thpsim__strategy_ipi_sync, true);
	(void)__strategy_register(&thpsim__strategy_fresh_table, true);
	(void)__strategy_register(&thpsim__strategy_pte_free_defer, true);
	(void)__strategy_register(&thpsim__strategy_ipi_sync_targeted, true);
	(void)__strategy_register(&thpsim__strategy_skip_redundant_sync, true);
	(void)__strategy_register(&thpsim__strategy_rcu_fallback, true);
}

static void strategies_init(void)
{
	pthread_once(&builtins_once, register_builtins);
}

int thpsim_strategy_register(const struct thpsim_strategy_ops *ops)
{
	strategies_init();
	return __strategy_register(ops, false);
}

int thpsim_strategy_unregister(const char *name)
{
	struct strategy_entry *e;
	int err = 0;

	if (!name)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_strategy_unregister: name is NULL");
	strategies_init();
	pthread_mutex_lock(&registry_lock);
	e = strategy_lookup(name);
	if (!e)
		err = thpsim__err(-THPSIM_ENOENT,
				  "thpsim_strategy_unregister: no strategy '%s' is registered",
				  name);
	else if (e->builtin)
		err = thpsim__err(-THPSIM_EINVAL,
				  "thpsim_strategy_unregister: '%s' is built in",
				  name);
	else if (atomic_load(&e->users))
		err = thpsim__err(-THPSIM_EBUSY,
				  "thpsim_strategy_unregister: '%s' configures %u live mm(s) (thpsim_mm_destroy them first)",
				  name, atomic_load(&e->users));
	else
		memset(&e->ops, 0, sizeof(e->ops));	/* the slot is free */
	pthread_mutex_unlock(&registry_lock);
	return err;
}

/* The i-th registered strategy, counting only used slots; lock held. */
static struct strategy_entry *strategy_nth(unsigned i, unsigned *count)
{
	unsigned n = 0;
	struct strategy_entry *found = NULL;

	for (unsigned k = 0; k < nr_slots; k++) {
		if (!registry[k].ops.name)
			continue;
		if (n++ == i)
			found = &registry[k];
	}
	if (count)
		*count = n;
	return found;
}

const struct thpsim_strategy_ops *thpsim_strategy_find(const char *name)
{
	struct strategy_entry *e;
	char names[256];
	size_t off = 0;

	strategies_init();
	pthread_mutex_lock(&registry_lock);
	e = strategy_lookup(name);
	if (e) {
		pthread_mutex_unlock(&registry_lock);
		return &e->ops;
	}
	names[0] = '\0';
	for (unsigned i = 0; i < nr_slots; i++) {
		const char *nm = registry[i].ops.name;

		if (!nm)
			continue;
		if (off + strlen(nm) + 3 >= sizeof(names))
			break;
		off += (size_t)snprintf(names + off, sizeof(names) - off,
					"%s%s", off ? ", " : "", nm);
	}
	pthread_mutex_unlock(&registry_lock);
	thpsim__err(-THPSIM_ESTRATEGY, "unknown fix strategy '%s' (allowed: %s)",
		    name ? name : "(null)", names);
	return NULL;
}

unsigned thpsim_strategy_count(void)
{
	unsigned n;

	strategies_init();
	pthread_mutex_lock(&registry_lock);
	strategy_nth(UINT32_MAX, &n);
	pthread_mutex_unlock(&registry_lock);
	return n;
}

const struct thpsim_strategy_ops *thpsim_strategy_at(unsigned i)
{
	struct strategy_entry *e;

	strategies_init();
	pthread_mutex_lock(&registry_lock);
	e = strategy_nth(i, NULL);
	pthread_mutex_unlock(&registry_lock);
	return e ? &e->ops : NULL;
}

/* The entry of a registered strategy: its filled copy or its original.
 * Caller holds registry_lock. */
static struct strategy_entry *
strategy_resolve(const struct thpsim_strategy_ops *ops)
{
	struct strategy_entry *e = ops ? strategy_lookup(ops->name) : NULL;

	return e && (ops == &e->ops || ops == e->orig) ? e : NULL;
}

/* mm's configuration now names e (NULL: none): move the use count. */
static void strategy_use(struct mm_struct *mm, const struct strategy_entry *e)
{
	if (e)
		atomic_fetch_add(&((struct strategy_entry *)e)->users, 1);
	if (mm->strat)
		atomic_fetch_sub(&((struct strategy_entry *)mm->strat)->users, 1);
	mm->strat = e;
}

/* ---- the configuration of an address space -------------------------- */

void thpsim_kconfig_default(thpsim_kconfig_t *kc)
{
	if (!kc)
		return;
	memset(kc, 0, sizeof(*kc));
	kc->profile = thpsim_profile_find("arm64");
	kc->strategy = thpsim_strategy_find("none");
	kc->knobs.pmd_recheck = true;
	kc->knobs.retract_recheck = true;
	kc->knobs.ipi_placement = THPSIM_IPI_AFTER_FLUSH;
}

void thpsim__kconfig_init(struct mm_struct *mm)
{
	thpsim_kconfig_default(&mm->kc);
	pthread_mutex_lock(&registry_lock);
	strategy_use(mm, strategy_resolve(mm->kc.strategy));
	pthread_mutex_unlock(&registry_lock);
}

void thpsim__kconfig_fini(struct mm_struct *mm)
{
	pthread_mutex_lock(&registry_lock);
	strategy_use(mm, NULL);
	pthread_mutex_unlock(&registry_lock);
}

int thpsim_mm_set_kconfig(thpsim_mm_t *mm, const thpsim_kconfig_t *kc)
{
	struct strategy_entry *e;
	int err;

	if (!mm || !kc)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_mm_set_kconfig: mm or kconfig is NULL");
	err = thpsim_profile_validate(kc->profile);
	if (err)
		return err;
	if ((unsigned)kc->knobs.ipi_placement >= THPSIM_IPI_PLACEMENT__NR)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_mm_set_kconfig: ipi_placement %d outside its enum",
				   (int)kc->knobs.ipi_placement);
	strategies_init();
	pthread_mutex_lock(&registry_lock);
	e = strategy_resolve(kc->strategy);
	if (e) {
		mm->kc = *kc;
		mm->kc.strategy = &e->ops;
		strategy_use(mm, e);
	}
	pthread_mutex_unlock(&registry_lock);
	if (!e)
		return thpsim__err(-THPSIM_ESTRATEGY,
				   "thpsim_mm_set_kconfig: strategy '%s' is not registered (thpsim_strategy_register)",
				   kc->strategy && kc->strategy->name ?
				   kc->strategy->name : "(null)");
	return 0;
}

static const char *const placement_names[THPSIM_IPI_PLACEMENT__NR] = {
	[THPSIM_IPI_AFTER_FLUSH] = "after-flush",
	[THPSIM_IPI_AFTER_ISOLATE] = "after-isolate",
	[THPSIM_IPI_AFTER_DEPOSIT] = "after-deposit",
};

const char *thpsim_ipi_placement_name(thpsim_ipi_placement_t p)
{
	return (unsigned)p < THPSIM_IPI_PLACEMENT__NR ? placement_names[p] : "?";
}

int thpsim_ipi_placement_parse(const char *s, thpsim_ipi_placement_t *out)
{
	for (unsigned i = 0; s && out && i < THPSIM_IPI_PLACEMENT__NR; i++) {
		if (!strcmp(s, placement_names[i])) {
			*out = (thpsim_ipi_placement_t)i;
			return 0;
		}
	}
	return thpsim__err(-THPSIM_EINVAL,
			   "unknown IPI placement '%s' (allowed: after-flush, after-isolate, after-deposit)",
			   s ? s : "(null)");
}

/* ---- hook calls ---------------------------------------------------------- */

static const struct strategy_entry *ctx_strategy(thpsim_strategy_ctx_t *ctx,
						 unsigned bit, const char *hook)
{
	const struct strategy_entry *e = ctx->mm->strat;

	if (e->supplied & bit)
		emit(.kind = THPSIM_EV_STRATEGY, .addr = ctx->address,
		     .what = hook, .arg = ctx->result);
	return e;
}

/*
 * Call one hook with its name on this CPU, so that a BUG raised inside it
 * (a double pte_free, say) names it (machine/detsched.c).  A hook may
 * block and another CPU run meanwhile: the name lives on the CPU.
 */
#define CALL_HOOK(ret, ctx, bit, hook)                                       \
	do {                                                                 \
		const struct strategy_entry *e_ =                            \
			ctx_strategy(ctx, bit, #hook);                       \
		struct cpu *c_ = this_cpu();                                 \
		const char *name_ = c_ ? c_->hook_name : NULL;               \
		const char *strat_ = c_ ? c_->hook_strategy : NULL;          \
		if (c_) {                                                    \
			c_->hook_name = #hook;                               \
			c_->hook_strategy = e_->ops.name;                    \
		}                                                            \
		ret e_->ops.hook(ctx);                                       \
		if (c_) {                                                    \
			c_->hook_name = name_;                               \
			c_->hook_strategy = strat_;                          \
		}                                                            \
	} while (0)

int strategy_collapse_prepare(thpsim_strategy_ctx_t *ctx)
{
	int r;

	CALL_HOOK(r =, ctx, HOOK_PREPARE, collapse_prepare);
	return r;
}

void strategy_collapse_after_flush(thpsim_strategy_ctx_t *ctx)
{
	CALL_HOOK(, ctx, HOOK_AFTER_FLUSH, collapse_after_flush);
}

void strategy_collapse_after_isolate(thpsim_strategy_ctx_t *ctx)
{
	CALL_HOOK(, ctx, HOOK_AFTER_ISOLATE, collapse_after_isolate);
}

void strategy_collapse_dispose_old_table(thpsim_strategy_ctx_t *ctx)
{
	CALL_HOOK(, ctx, HOOK_DISPOSE_OLD_TABLE, collapse_dispose_old_table);
}

/*
 * The deposit is checked before pgtable_trans_huge_deposit() uses it: a
 * table that is NULL, already freed or still linked in the tree would
 * break the kernel's rule that the deposit is a detached, empty table the
 * mm owns until zap_huge_pmd() or split withdraws it.  The BUG names the
 * hook; in a deterministic run it ends that run (thpsim/errors.h).
 */
struct page *strategy_collapse_deposit_table(thpsim_strategy_ctx_t *ctx)
{
	const struct strategy_entry *e =
		ctx_strategy(ctx, HOOK_DEPOSIT_TABLE, "collapse_deposit_table");
	struct cpu *c = this_cpu();
	struct page *t;

	/* Checked under the hook's name too: the BUG names it. */
	if (c) {
		c->hook_name = "collapse_deposit_table";
		c->hook_strategy = e->ops.name;
	}
	t = e->ops.collapse_deposit_table(ctx);
	if (!t)
		thpsim__bug(__FILE__, __LINE__,
			    "collapse_deposit_table of strategy '%s' returned NULL: it must return a detached empty table to deposit (ctx->old_table, or ctx->prealloc)",
			    e->ops.name);
	else if (page_ref_count(t) <= 0 ||
		 page_pt_state(t) == THPSIM_PT_FREED)
		thpsim__bug(__FILE__, __LINE__,
			    "collapse_deposit_table of strategy '%s' returned table pfn %llu, which is already freed (did collapse_dispose_old_table free it?): a deposited table must stay allocated until withdrawn",
			    e->ops.name, (unsigned long long)page_to_pfn(t));
	else if (page_pt_state(t) == THPSIM_PT_LIVE)
		thpsim__bug(__FILE__, __LINE__,
			    "collapse_deposit_table of strategy '%s' returned table pfn %llu, which is still linked in the page-table tree: only a detached table may be deposited",
			    e->ops.name, (unsigned long long)page_to_pfn(t));
	if (c)
		c->hook_name = c->hook_strategy = NULL;
	return t;
}

void strategy_collapse_after_deposit(thpsim_strategy_ctx_t *ctx)
{
	CALL_HOOK(, ctx, HOOK_AFTER_DEPOSIT, collapse_after_deposit);
}

void strategy_collapse_finish(thpsim_strategy_ctx_t *ctx)
{
	CALL_HOOK(, ctx, HOOK_FINISH, collapse_finish);
}

void strategy_retract_clear_and_free(thpsim_strategy_ctx_t *ctx)
{
	CALL_HOOK(, ctx, HOOK_RETRACT, retract_clear_and_free);
}

/* ---- the kit ------------------------------------------------------------- */

/*
 * The helpers below take the ctx the mm code hands a hook; NULL means a
 * call from outside a hook, which is a BUG by design (docs/errors.md):
 * there is no collapse whose state they could act on.
 */
#define STRATEGY_CTX_OR_BUG(ctx, ...)                                        \
	do {                                                                 \
		if (!(ctx)) {                                                \
			thpsim__bug(__FILE__, __LINE__,                      \
				    "%s: ctx is NULL (call it from a strategy hook)", \
				    __func__);                               \
			return __VA_ARGS__;                                  \
		}                                                            \
	} while (0)

void thpsim_strategy_tlb_remove_table_sync_one(thpsim_strategy_ctx_t *ctx)
{
	STRATEGY_CTX_OR_BUG(ctx);
	tlb_remove_table_sync_one(ctx->mm);
}

/*
 * tlb_remove_table_sync_one() aimed at mm_cpumask instead of every online
 * CPU (on_each_cpu_mask(mm_cpumask(mm), ...)).  Not a kernel function: the
 * "ipi-sync-targeted" proposal.  The mask is the architecture's: empty
 * where switch_mm does not maintain it (profile->no_mm_cpumask), so the
 * model, not the strategy, decides whom it misses.
 */
void thpsim_strategy_tlb_remove_table_sync_mm(thpsim_strategy_ctx_t *ctx)
{
	thpsim_cpumask_t mask;
	int err;

	STRATEGY_CTX_OR_BUG(ctx);
	if (!mm_profile(ctx->mm)->rcu_table_free &&
	    !thpsim__mutant("sync-not-stubbed")) {
		emit(.kind = THPSIM_EV_NOTE,
		     .what = "tlb_remove_table_sync_mm: stub (no RCU table free)");
		return;
	}
	if (mm_profile(ctx->mm)->no_mm_cpumask)
		thpsim_cpumask_clear(&mask);
	else
		mm_cpumask_read(ctx->mm, &mask);
	emit(.kind = THPSIM_EV_NOTE, .what = "sync IPI to mm_cpumask only");
	err = thpsim_ipi_sync(ctx->mm->machine, &mask);
	if (err == -THPSIM_EDEADLK)
		thpsim__bug(__FILE__, __LINE__,
			    "sync IPI with interrupts masked: %s",
			    thpsim_errmsg());
}

bool thpsim_strategy_tlb_flush_is_ipi(thpsim_strategy_ctx_t *ctx)
{
	STRATEGY_CTX_OR_BUG(ctx, false);
	return mm_profile(ctx->mm)->tlb_flush != THPSIM_TLB_FLUSH_BROADCAST;
}

thpsim_pgtable_t thpsim_strategy_pte_alloc_one(thpsim_strategy_ctx_t *ctx)
{
	STRATEGY_CTX_OR_BUG(ctx, NULL);
	return pte_alloc_one(ctx->mm);
}

void thpsim_strategy_pte_free(thpsim_strategy_ctx_t *ctx, thpsim_pgtable_t t)
{
	STRATEGY_CTX_OR_BUG(ctx);
	if (t)
		pte_free(ctx->mm, t);
}

void thpsim_strategy_pte_free_defer(thpsim_strategy_ctx_t *ctx,
				    thpsim_pgtable_t t)
{
	STRATEGY_CTX_OR_BUG(ctx);
	if (t)
		pte_free_defer(ctx->mm, t);
}

/*
 * The 2022-11-23 fresh-table fix's way of freeing a table that walkers may
 * still be in: one mmu_gather round over the pmd's range (the TLB flush it
 * implies is redundant, as that patch's comment admits).
 */
void thpsim_strategy_pte_free_tlb(thpsim_strategy_ctx_t *ctx,
				  thpsim_pgtable_t t)
{
	struct mmu_gather tlb;

	STRATEGY_CTX_OR_BUG(ctx);
	if (!t)
		return;
	tlb_gather_mmu(&tlb, ctx->mm);
	tlb_flush_pte_range(&tlb, ctx->address, HPAGE_PMD_SIZE(ctx->mm));
	pte_free_tlb(&tlb, t, ctx->address);
	tlb_finish_mmu(&tlb);
}

void thpsim_strategy_pmdp_collapse_flush(thpsim_strategy_ctx_t *ctx)
{
	STRATEGY_CTX_OR_BUG(ctx);
	(void)pmdp_collapse_flush(ctx->vma, ctx->address, ctx->pmdp);
	if (ctx->file)
		sched_point(RETRACT_AFTER_CLEAR);
}

/*
 * READ_ONCE + pmd_clear(), as the 2022-11-23 collapse_and_free_pmd() did:
 * no pmd lock, like pmdp_collapse_flush() on this path (the mmap lock
 * and the rmap locks exclude every other writer; only lockless walkers
 * remain, see gup_pte_range()).  The table is unhooked from here on.
 */
void thpsim_strategy_pmd_clear(thpsim_strategy_ctx_t *ctx)
{
	pmd_t pmd;

	STRATEGY_CTX_OR_BUG(ctx);
	pmd = pmdp_get(ctx->pmdp);

	pmd_clear(ctx->mm, ctx->address, ctx->pmdp);
	if (pmd_present(pmd) && !pmd_trans_huge(pmd) && ctx->old_table)
		page_pt_set_state(ctx->old_table, THPSIM_PT_DETACHED, 0);
	if (ctx->file)
		sched_point(RETRACT_AFTER_CLEAR);
}
