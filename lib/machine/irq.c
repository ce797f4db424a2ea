/*
 * irq.c - the soft interrupt mask: local_irq_save() / local_irq_restore().
 *
 * Strategy (powerpc's "lazy" interrupt masking, docs/DESIGN.md section 3):
 * masking is a per-CPU depth counter written with plain stores behind
 * signal fences, so a GUP-fast walker pays no system call and no CPU
 * fence.  The IPI signal handler (ipi.c) runs on the same thread and reads
 * the depth: when it is non-zero the handler only records ipi_pending and
 * returns, and the outermost restore runs the queued calls.
 *
 * Three observers, three words:
 *  - irq_depth: the IPI handler (same thread, signal fences suffice);
 *  - irq_seq, odd while masked: membarrier senders (ipi_membarrier.c),
 *    which make the walker's stores visible with membarrier() instead of
 *    making the walker fence;
 *  - an RCU read-side section: in free mode a masked section holds off
 *    grace periods, as IRQs-off does in the kernel (docs/DESIGN.md section 4),
 *    so a table freed by call_rcu()/synchronize_rcu() cannot be reused
 *    under a masked walker.
 * What breaks if one is missing: without the depth check an IPI would run
 * mid-walk (the bug the sync IPI exists to prevent); without irq_seq the
 * membarrier backend could not wait; without the read-side section the
 * fresh-table fix would free tables under walkers on RCU profiles.
 *
 * flags is the depth before the save; restore sets the depth back to it,
 * so local_irq_enable() (restore of 0) unmasks whatever the depth.
 */
#include "machine/event.h"
#include "machine/internal.h"
#include "machine/lock.h"
#include "machine/rcu.h"
#include "machine/sched.h"

/* Outermost mask: counterpart of irq_mask_end(). */
static void irq_mask_begin(struct cpu *c)
{
	uint32_t seq = atomic_load_explicit(&c->irq_seq, memory_order_relaxed);

	/*
	 * Odd from here on.  A relaxed store and a compiler fence only: the
	 * membarrier sender's system call is what orders it against the
	 * walker's later page-table loads (see ipi_membarrier.c).
	 */
	atomic_store_explicit(&c->irq_seq, seq + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	thpsim__rcu->read_lock();
	emit(.kind = THPSIM_EV_IRQ_OFF);
}

unsigned long thpsim__irq_save(const thpsim_site_t *site)
{
	struct cpu *c = this_cpu();
	unsigned depth;

	sched_point(IRQ_SAVE);
	if (!c)
		return 0;	/* not a CPU: nothing can interrupt it */
	sched_access(c, true);	/* its mask: IPI senders read it */
	depth = irq_depth_read(c);
	/* The site before the depth: the watchdog reads them in that order. */
	if (depth == 0)
		__atomic_store_n(&c->irq_site, site, __ATOMIC_RELAXED);
	/*
	 * Depth next: from this store on, an IPI signal pends.  A handler
	 * that runs between the load and the store restores the depth it
	 * found (0) before returning, so the store below is not lost.
	 */
	irq_depth_set(c, depth + 1);
	if (depth == 0)
		irq_mask_begin(c);
	return depth;
}

void thpsim__ipi_drain(struct cpu *c)
{
	/*
	 * Re-mask while running the queue: an IPI signal that arrives now
	 * sets ipi_pending again instead of running the queue re-entrantly
	 * inside our own drain; loop until none came.
	 */
	sched_access(c, true);	/* its IPI queue */
	do {
		irq_depth_set(c, 1);
		atomic_store_explicit(&c->ipi_pending, false,
				      memory_order_relaxed);
		thpsim__ipi_run_queue(c);
		irq_depth_set(c, 0);
	} while (atomic_load_explicit(&c->ipi_pending, memory_order_relaxed));
}

static void irq_mask_end(struct cpu *c)
{
	uint32_t seq = atomic_load_explicit(&c->irq_seq, memory_order_relaxed);

	/* Before the drain below, so IPI_RUN events follow IRQ_ON. */
	emit(.kind = THPSIM_EV_IRQ_ON);
	thpsim__rcu->read_unlock();
	atomic_signal_fence(memory_order_seq_cst);
	/*
	 * Even again; then wake membarrier senders that sleep on the
	 * change.  The sender pairs its sync_waiters increment with a
	 * second membarrier() before sleeping, so either it sees the new
	 * value or we see its increment (see wait_seq_change()).
	 */
	atomic_store_explicit(&c->irq_seq, seq + 1, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&c->sync_waiters, memory_order_relaxed))
		sched_wake(&c->irq_seq, INT32_MAX);
	irq_depth_set(c, 0);
	/* A handler that ran after the store above drained by itself. */
	if (atomic_load_explicit(&c->ipi_pending, memory_order_relaxed))
		thpsim__ipi_drain(c);
}

void thpsim__irq_restore(unsigned long flags)
{
	struct cpu *c = this_cpu();
	unsigned depth;

	sched_point(IRQ_RESTORE);
	if (!c)
		return;
	sched_access(c, true);
	depth = irq_depth_read(c);
	if (flags >= depth) {
		/* Equal: local_irq_enable() with IRQs on, a no-op. */
		if (flags > depth)
			thpsim__bug(__FILE__, __LINE__,
				    "CPU %d: irq_restore(%lu) at depth %u (unbalanced save/restore)",
				    c->id, flags, depth);
		return;
	}
	if (flags) {
		irq_depth_set(c, (unsigned)flags);
		return;
	}
	irq_mask_end(c);
}

bool thpsim_irqs_disabled(void)
{
	struct cpu *c = this_cpu();

	return c && irq_depth_read(c) > 0;
}
