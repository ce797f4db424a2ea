/*
 * mm/tlb.c - TLB flushes of the simulated machine.
 *
 * The simulated CPUs have no TLB; what matters is the flush's side effect
 * on lockless walkers: on x86 the flush is an IPI that a CPU with IRQs off
 * (GUP-fast) cannot acknowledge, so the flusher waits for the walk to end
 * before freeing what it unhooked.  Issue 3 makes these per-profile (IPI
 * to mm_cpumask and wait, skip preempted vCPUs, broadcast without IPI);
 * until then a flush is only a scheduling point, so nothing here waits for
 * walkers yet.
 */
#include "mm/internal.h"

/*
 * Models arch/x86/mm/tlb.c: flush_tlb_mm_range() (Linux 6.1).  Simplified:
 * a placeholder that passes the TLB_FLUSH scheduling point; freed_tables
 * says page tables were unhooked (x86 then IPIs lazy CPUs too).
 */
void flush_tlb_mm_range(struct mm_struct *mm, unsigned long start,
			unsigned long end, bool freed_tables)
{
	(void)mm;
	(void)start;
	(void)end;
	(void)freed_tables;
	sched_point(TLB_FLUSH);
}

/* Models include/asm-generic/tlbflush.h: flush_tlb_range() (Linux 6.1). */
void flush_tlb_range(struct vm_area_struct *vma, unsigned long start,
		     unsigned long end)
{
	flush_tlb_mm_range(vma->vm_mm, start, end, false);
}
