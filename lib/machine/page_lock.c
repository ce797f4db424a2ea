/*
 * machine/page_lock.c - the page lock (PG_locked) as a sleeping lock, and
 * reference freezing.
 *
 * The kernel's file THP collapse depends on both: collapse_file() keeps
 * every small page locked and its count frozen until the huge page has
 * replaced it, and a shmem fault must lock the folio it maps, so no fault
 * can map a small page again once the collapse checked its count, and no
 * fault can map the huge page before it is complete.
 *
 * lock_page() sleeps through sched_wait(): in free mode a futex, under
 * the deterministic scheduler a parked fiber whose wait names the holder.
 * unlock_page() bumps lock_seq and wakes only when PG_waiters was set, so
 * an uncontended unlock costs no system call.
 */
#include <limits.h>

#include "machine/cpu.h"
#include "machine/lock.h"
#include "machine/phys.h"
#include "machine/sched.h"

#define PG_LOCKED_BIT (1UL << PG_locked)
#define PG_WAITERS_BIT (1UL << PG_waiters)

static int my_cpu(void)
{
	struct cpu *c = this_cpu();

	return c ? c->id : -1;
}

/* Models include/linux/pagemap.h: folio_trylock() (Linux 6.1). */
bool trylock_page(struct page *page)
{
	struct page *head = compound_head(page);

	sched_access(head, true);
	if (atomic_fetch_or(&head->flags, PG_LOCKED_BIT) & PG_LOCKED_BIT)
		return false;
	atomic_store(&head->lock_owner, my_cpu());
	return true;
}

/*
 * Models mm/filemap.c: __folio_lock() -> folio_wait_bit_common() (Linux
 * 6.1).  Simplified: no lock stealing order, no killable variant; a
 * waiter sets PG_waiters before it sleeps and rechecks PG_locked after,
 * so an unlock between the two cannot be missed (lock_seq moved on).
 */
void lock_page(struct page *page)
{
	struct page *head = compound_head(page);

	sched_point(LOCK);
	while (!trylock_page(head)) {
		uint32_t seq = atomic_load(&head->lock_seq);
		struct sched_wait_info info = {
			.what = "page lock",
			.owner_cpu = atomic_load(&head->lock_owner),
		};

		atomic_fetch_or(&head->flags, PG_WAITERS_BIT);
		if (!(atomic_load(&head->flags) & PG_LOCKED_BIT))
			continue;
		sched_wait_for(&head->lock_seq, seq, 0, &info);
	}
}

/* Models mm/filemap.c: folio_unlock() (Linux 6.1). */
void unlock_page(struct page *page)
{
	struct page *head = compound_head(page);
	unsigned long old;

	sched_access(head, true);
	atomic_store(&head->lock_owner, -1);
	atomic_fetch_and(&head->flags, ~PG_LOCKED_BIT);
	atomic_fetch_add(&head->lock_seq, 1);
	old = atomic_fetch_and(&head->flags, ~PG_WAITERS_BIT);
	if (old & PG_WAITERS_BIT)
		sched_wake(&head->lock_seq, INT32_MAX);
}

/* Models include/linux/page_ref.h: page_ref_freeze() (Linux 6.1). */
bool page_ref_freeze(struct page *page, int count)
{
	struct page *head = compound_head(page);
	int expected = count;

	sched_point(PAGE_REF);
	sched_access(head, true);
	return atomic_compare_exchange_strong(&head->_refcount, &expected, 0);
}

/* Models include/linux/page_ref.h: page_ref_unfreeze() (Linux 6.1). */
void page_ref_unfreeze(struct page *page, int count)
{
	struct page *head = compound_head(page);

	BUG_ON(atomic_load(&head->_refcount) != 0);
	sched_point(PAGE_REF);
	sched_access(head, true);
	atomic_store(&head->_refcount, count);
}
