/*
 * mm/tlb.c - remote TLB flushes, per architecture profile, and switch_mm.
 *
 * The simulated CPUs have no TLB; what matters is the flush's side effect
 * on lockless walkers.  Where the flush is an IPI the initiator waits for
 * (x86), a CPU walking page tables with interrupts off (GUP-fast, see
 * gup_pte_range()) cannot acknowledge it, so the initiator cannot go on to
 * free or reuse what it unhooked until the walk is over: the "IPI-flush
 * architectures automagically DTRT" of mm/mmu_gather.c.  Where the flush
 * is a broadcast instruction (arm64, powerpc) nothing waits for walkers,
 * and only RCU table freeing (or an explicit sync IPI) protects them.
 *
 * Which CPUs an IPI flush reaches is mm_cpumask: the CPUs that switched to
 * the mm (thpsim_mm_switch, GUP-fast does it implicitly).  A lazy CPU (in
 * the mask but idle: it switched to a kernel thread keeping the mm loaded)
 * is skipped unless page tables were freed, as x86 does since 2018.
 *
 * Test hook: THPSIM_MUTANT=flush-no-wait makes the IPI flush not wait for
 * the acks (machine/mutant.h), so an x86 walker no longer holds the
 * collapse off.
 */
#include "mm/internal.h"

/* Flush IPIs taken: the handler's only work, async-signal-safe. */
static _Atomic uint64_t tlb_flush_ipis;

/* Models arch/x86/mm/tlb.c: flush_tlb_func() (Linux 6.1).  Simplified:
 * there is no TLB; count the flush, and the shootdown in this CPU's TLB
 * interrupt count (it only ever runs as a remote flush here). */
static void flush_tlb_func(void *info)
{
	(void)info;
	atomic_fetch_add_explicit(&tlb_flush_ipis, 1, memory_order_relaxed);
	inc_irq_stat(irq_tlb_count);
}

void mm_cpumask_read(struct mm_struct *mm, thpsim_cpumask_t *out)
{
	for (unsigned i = 0; i < THPSIM_NR_CPUS_MAX / 64; i++)
		out->bits[i] = __atomic_load_n(&mm->cpumask.bits[i],
					       __ATOMIC_ACQUIRE);
}

static void mm_cpumask_change(struct mm_struct *mm, unsigned cpu, bool set)
{
	uint64_t bit = UINT64_C(1) << (cpu % 64);

	if (set)
		__atomic_fetch_or(&mm->cpumask.bits[cpu / 64], bit,
				  __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&mm->cpumask.bits[cpu / 64], ~bit,
				   __ATOMIC_SEQ_CST);
}

/*
 * The targets of an IPI flush: mm_cpumask minus lazy CPUs (unless
 * freed_tables) and, for the KVM PV flush, minus preempted vCPUs (they
 * get a flush-on-entry mark instead: reported as a NOTE).
 */
static unsigned flush_targets(struct mm_struct *mm, bool freed_tables,
			      bool skip_preempted, thpsim_cpumask_t *mask)
{
	thpsim_machine_t *m = mm->machine;
	unsigned n = 0;

	mm_cpumask_read(mm, mask);
	for (unsigned cpu = 0; cpu < THPSIM_NR_CPUS_MAX; cpu++) {
		if (!thpsim_cpumask_test(mask, cpu))
			continue;
		if (cpu == (unsigned)smp_processor_id()) {
			thpsim_cpumask_unset(mask, cpu);
		} else if (!freed_tables && thpsim_cpu_is_idle(m, (int)cpu)) {
			thpsim_cpumask_unset(mask, cpu);
		} else if (skip_preempted &&
			   thpsim_cpu_is_preempted(m, (int)cpu)) {
			thpsim_cpumask_unset(mask, cpu);
			emit(.kind = THPSIM_EV_NOTE, .arg = (int)cpu,
			     .what = "flush-on-entry (preempted vCPU, no IPI)");
		} else {
			n++;
		}
	}
	return n;
}

/* Models arch/x86/mm/tlb.c: native_flush_tlb_multi() and
 * arch/x86/kernel/kvm.c: kvm_flush_tlb_multi() (Linux 6.1). */
static void flush_tlb_multi(struct mm_struct *mm, bool freed_tables,
			    bool skip_preempted)
{
	thpsim_cpumask_t mask;
	int err;

	if (!flush_targets(mm, freed_tables, skip_preempted, &mask))
		return;
	err = smp_call_function_many(&mask, flush_tlb_func, NULL,
				     !thpsim__mutant("flush-no-wait"));
	/* A watchdog report was made; a masked caller is our own bug. */
	if (err == -THPSIM_EDEADLK)
		thpsim__bug(__FILE__, __LINE__,
			    "TLB flush IPI with interrupts masked: %s",
			    thpsim_errmsg());
}

/*
 * Models arch/x86/mm/tlb.c: flush_tlb_mm_range() (Linux 6.1), and the
 * arm64 / powerpc broadcast flush per the mm's profile.  freed_tables says
 * page tables were unhooked (then x86 IPIs lazy CPUs too).  Simplified:
 * no local flush, no ranges or generations, no full-flush ceiling.
 */
void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start,
			unsigned long end, bool freed_tables)
{
	const thpsim_profile_t *p = mm_profile(mm);

	sched_point(TLB_FLUSH);
	emit(.kind = THPSIM_EV_TLB_FLUSH, .addr = start, .val = end,
	     .arg = freed_tables, .what = thpsim_tlb_flush_kind_name(p->tlb_flush));
	switch (p->tlb_flush) {
	case THPSIM_TLB_FLUSH_IPI:
		flush_tlb_multi(mm, freed_tables, false);
		break;
	case THPSIM_TLB_FLUSH_IPI_SKIP_PREEMPTED:
		flush_tlb_multi(mm, freed_tables, true);
		break;
	case THPSIM_TLB_FLUSH_BROADCAST:
		/* TLBI IS + DSB ISH: ordered, but no CPU is asked anything. */
		atomic_thread_fence(memory_order_seq_cst);
		break;
	}
}

/* Models include/asm-generic/tlbflush.h: flush_tlb_range() (Linux 6.1). */
void flush_tlb_range(struct vm_area_struct *vma, unsigned long start,
		     unsigned long end)
{
	flush_tlb_mm_range(vma->vm_mm, start, end, false);
}

/* ---- switch_mm ------------------------------------------------------- */

/*
 * Models arch/x86/mm/tlb.c: switch_mm_irqs_off() (Linux 6.1): the CPU
 * leaves the mm it ran (its bit in that mm_cpumask cleared) and runs mm.
 * Simplified: no ASIDs, no lazy-TLB state of its own (idle is lazy).
 */
int thpsim_mm_switch(thpsim_mm_t *mm)
{
	struct cpu *c = this_cpu();
	struct mm_struct *prev;

	if (!c)
		return thpsim__need_cpu("thpsim_mm_switch");
	if (!mm)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_mm_switch: mm is NULL");
	prev = atomic_load(&c->active_mm);
	if (prev == mm)
		return 0;
	if (prev)
		mm_cpumask_change(prev, (unsigned)c->id, false);
	mm_cpumask_change(mm, (unsigned)c->id, true);
	atomic_store(&c->active_mm, mm);
	return 0;
}

int thpsim_mm_unuse(thpsim_mm_t *mm)
{
	struct cpu *c = this_cpu();
	struct mm_struct *expected = mm;

	if (!c)
		return thpsim__need_cpu("thpsim_mm_unuse");
	if (!mm)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_mm_unuse: mm is NULL");
	if (atomic_compare_exchange_strong(&c->active_mm, &expected, NULL))
		mm_cpumask_change(mm, (unsigned)c->id, false);
	return 0;
}

/* exit_mmap: no CPU may keep pointing at a freed mm. */
void mm_cpumask_drop_all(struct mm_struct *mm)
{
	for (unsigned i = 0; i < thpsim__nr_cpu_slots(mm->machine); i++) {
		struct cpu *c = per_cpu(mm->machine, (int)i);
		struct mm_struct *expected = mm;

		if (c)
			atomic_compare_exchange_strong(&c->active_mm,
						       &expected, NULL);
		mm_cpumask_change(mm, i, false);
	}
}
