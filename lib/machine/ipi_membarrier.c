/*
 * ipi_membarrier.c - the empty sync IPI by membarrier(), for
 * thpsim_ipi_sync() when cfg.sync_backend == THPSIM_IPI_MEMBARRIER.
 *
 * Models what tlb_remove_table_sync_one() needs from an IPI with no
 * function: "every CPU that was inside an IRQs-off section when I started
 * has left it".  The kernel gets that from the IPI itself; here the sender
 * gets it from the soft mask's sequence counter (irq.c), the scheme of
 * liburcu's memb flavour (asymmetric fences):
 *
 *  1. membarrier(PRIVATE_EXPEDITED): every running thread of the process
 *     executes a full barrier (a descheduled one had one at its context
 *     switch).  The walker's side has only compiler fences, so this is
 *     what orders its "irq_seq odd" store before its page-table loads
 *     against our earlier page-table stores.  It must come before step 2:
 *     a snapshot taken first could read a stale even value while the
 *     walker reads the stale page table (store-buffering on both sides).
 *  2. Snapshot each target's irq_seq.  Even: not masked, or masked after
 *     step 1, in which case its loads see our stores.  Odd: masked since
 *     before, and we must wait.
 *  3. Wait for each odd snapshot to *change*, not to read even: a walker
 *     that unmasks and masks again at once would otherwise starve us, and
 *     any change means the section we saw has ended.  Spin briefly, then
 *     sleep on irq_seq with sync_waiters raised; see wait_seq_change() for
 *     why the sleep cannot miss the walker's wake-up.
 *
 * Only the empty sync IPI may take this path: an IPI with a function (the
 * x86 TLB flush) must run code on the target and always goes by signal.
 * Simplified: a guest's preempted vCPU (cfg.guest) with interrupts on is
 * not waited for here (its snapshot is even); the signal backend and the
 * deterministic scheduler wait for its resume (ipi.c, detsched.c).
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "machine/errors.h"
#include "machine/internal.h"
#include "machine/sched.h"

static long membarrier_syscall(int cmd, unsigned int flags, int cpu_id)
{
	return syscall(__NR_membarrier, cmd, flags, cpu_id);
}

long (*thpsim__membarrier)(int cmd, unsigned int flags, int cpu_id) =
	membarrier_syscall;

int thpsim__membarrier_setup(void)
{
	const long need = MEMBARRIER_CMD_PRIVATE_EXPEDITED |
			  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
	long mask = thpsim__membarrier(MEMBARRIER_CMD_QUERY, 0, 0);

	if (mask < 0)
		return thpsim__err(-THPSIM_ENOSYS,
				   "sync_backend membarrier: membarrier(MEMBARRIER_CMD_QUERY) failed: %s (use THPSIM_IPI_SIGNAL)",
				   strerror(errno));
	if ((mask & need) != need)
		return thpsim__err(-THPSIM_ENOSYS,
				   "sync_backend membarrier: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) not offered by this kernel (query mask 0x%lx; use THPSIM_IPI_SIGNAL)",
				   mask);
	/* Process-wide and idempotent: every machine may ask again. */
	if (thpsim__membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
			       0) < 0)
		return thpsim__err(-THPSIM_ENOSYS,
				   "sync_backend membarrier: membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) failed: %s",
				   strerror(errno));
	return 0;
}

static int membarrier_all(thpsim_machine_t *m)
{
	machine_stat_inc(m, membarriers);
	if (thpsim__membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) < 0)
		return thpsim__err(-THPSIM_ENOSYS,
				   "thpsim_ipi_sync: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed: %s",
				   strerror(errno));
	return 0;
}

static uint32_t irq_seq_read(struct cpu *t)
{
	return atomic_load_explicit(&t->irq_seq, memory_order_relaxed);
}

static bool seq_spin(struct cpu *t, uint32_t snap)
{
	uint64_t end = 0;

	if (!sched_is_free_running())
		return false;
	for (unsigned i = 0;; i++) {
		if (irq_seq_read(t) != snap)
			return true;
		if ((i & 31) == 0) {
			uint64_t now = thpsim__now_ns();

			if (!end)
				end = now + THPSIM_IPI_SPIN_NS;
			else if (now >= end)
				return false;
		}
		cpu_relax();
	}
}

/*
 * Step 3 for one target.  Before sleeping, raise sync_waiters and issue a
 * second membarrier(): the walker's irq_mask_end() stores irq_seq, then
 * reads sync_waiters, with only a compiler fence between.  The membarrier
 * puts a full barrier somewhere in the walker's stream: if it falls before
 * the irq_seq store, the walker's later load sees our increment and wakes
 * us; if after, the new irq_seq is visible to the futex's own compare.
 */
static int wait_seq_change(thpsim_machine_t *m, struct cpu *self,
			   struct cpu *t, uint32_t snap, uint64_t start,
			   uint64_t deadline)
{
	struct sched_wait_info info = { .what = "IRQ-masked section",
					.owner_cpu = t->id };
	uint64_t now;
	int ret;

	if (seq_spin(t, snap))
		return 0;
	atomic_fetch_add(&t->sync_waiters, 1);
	ret = membarrier_all(m);
	machine_stat_inc(m, ipi_waits_slept);
	while (!ret && irq_seq_read(t) == snap) {
		now = thpsim__now_ns();
		if (now >= deadline) {
			thpsim__watchdog_report(m, self->id, t->id,
						now - start);
			ret = -THPSIM_ETIMEDOUT;
			break;
		}
		sched_wait_for(&t->irq_seq, snap, deadline - now, &info);
	}
	atomic_fetch_sub(&t->sync_waiters, 1);
	return ret;
}

int thpsim__ipi_sync_membarrier(thpsim_machine_t *m,
				const thpsim_cpumask_t *mask)
{
	uint32_t snap[THPSIM_NR_CPUS_MAX];
	thpsim_cpumask_t masked;
	uint64_t start, deadline;
	struct cpu *self;
	unsigned i;
	int ret, r;

	ret = thpsim__ipi_check_caller(m, &self);
	if (ret)
		return ret;
	if (!mask)
		return thpsim__err(-THPSIM_EINVAL, "mask: NULL");
	start = thpsim__now_ns();
	deadline = thpsim__ipi_deadline(m, start);
	sched_point(IPI_SEND);
	ret = membarrier_all(m);		/* step 1 */
	if (ret)
		return ret;
	thpsim_cpumask_clear(&masked);
	for (i = 0; i < m->cfg.nr_cpus; i++) {	/* step 2 */
		struct cpu *t = &m->cpus[i];

		if (t == self || !thpsim_cpumask_test(mask, i) ||
		    !atomic_load(&t->online))
			continue;
		/* Its CAL count: the system call interrupted it (or will). */
		atomic_fetch_add_explicit(&t->irq_stat.irq_call_count, 1,
					  memory_order_relaxed);
		snap[i] = irq_seq_read(t);
		if (snap[i] & 1)
			thpsim_cpumask_set(&masked, i);
	}
	sched_point(IPI_WAIT);
	for (i = 0; i < m->cfg.nr_cpus; i++) {	/* step 3 */
		if (!thpsim_cpumask_test(&masked, i))
			continue;
		r = wait_seq_change(m, self, &m->cpus[i], snap[i], start,
				    deadline);
		if (r)
			ret = r;
	}
	if (ret == -THPSIM_ETIMEDOUT)
		thpsim__err(ret, "thpsim_ipi_sync: a CPU stayed masked past the watchdog bound of %llu ns (see the watchdog report)",
			    (unsigned long long)thpsim__watchdog_bound(m));
	return ret;
}
