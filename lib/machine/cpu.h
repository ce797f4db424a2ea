/*
 * machine/cpu.h - per-CPU state and the kernel-named primitives the mm
 * layer calls (local_irq_save, smp_processor_id, smp_call_function_many).
 *
 * Per-CPU state is reached only through this_cpu() / per_cpu(): one
 * thread-local pointer is set when a pthread registers (and, later, by the
 * deterministic scheduler when it switches fibers), so nothing else needs
 * its own __thread variable.
 */
#ifndef THPSIM_MACHINE_CPU_H
#define THPSIM_MACHINE_CPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "thpsim/machine.h"
#include "machine/lock.h"

struct call_single_data;	/* machine/ipi.c */
struct mm_struct;		/* mm layer */

struct cpu {
	int id;
	thpsim_machine_t *machine;
	pthread_t thread;
	_Atomic bool online;

	/* Soft interrupt mask. */
	volatile unsigned irq_depth;	/* nesting depth, 0 = enabled */
	_Atomic uint32_t irq_seq;	/* odd while masked (outermost) */
	const thpsim_site_t *irq_site;	/* where the outermost mask began */
	_Atomic bool ipi_pending;	/* an IPI arrived while masked */
	_Atomic uint32_t sync_waiters;	/* membarrier senders waiting */

	/* Incoming calls: lock-free list, pushed by senders. */
	struct call_single_data *_Atomic call_queue;
	/* Outgoing call descriptors, one per target CPU (kernel's cfd). */
	struct call_single_data *csd;

	_Atomic bool idle;
	_Atomic bool preempted;
	/* Interrupts taken (thpsim_irq_counts_t); never reset. */
	struct {
		_Atomic uint64_t irq_call_count;
		_Atomic uint64_t irq_tlb_count;
	} irq_stat;
	struct mm_struct *_Atomic active_mm;

	/* The strategy hook running on this CPU (mm/strategy.c), named
	 * by a BUG raised meanwhile; NULL outside hooks. */
	const char *hook_name, *hook_strategy;

	/* lockdep-like record of held locks. */
	const void *held[THPSIM_HELD_LOCKS_MAX];
	unsigned nr_held;

	/* Senders between "is it online?" and their kick (see unregister). */
	_Atomic uint32_t ipi_refs;
	bool claimed;		/* slot taken; under the machine's lock */
} __attribute__((aligned(64)));	/* no false sharing between CPUs */

/*
 * Bind slot cpu_id to a simulated thread that is not a pthread of its own
 * (the deterministic scheduler's fibers): claims the slot and marks it
 * online without touching the calling thread's this_cpu() or RCU state.
 */
int thpsim__cpu_attach(thpsim_machine_t *m, int cpu_id, struct cpu **out);
void thpsim__cpu_detach(struct cpu *c);
/*
 * Run c's queued IPI calls now, on c's behalf (this_cpu() must be c and
 * its interrupts unmasked); clears ipi_pending, loops until none pend.
 */
void thpsim__ipi_drain(struct cpu *c);

/*
 * Is c a preempted vCPU of a guest machine?  Then an IPI to it pends
 * until it runs again, whatever its mask (ipi.c, detsched.c), and it is
 * not quiescent for the simulated RCU meanwhile (rcu_det.c).
 */
bool thpsim__vcpu_held(const struct cpu *c);

/* Kernel-named per-CPU interrupt statistics (this CPU). Async-signal-safe. */
#define inc_irq_stat(name) thpsim__inc_irq_stat_##name()
void thpsim__inc_irq_stat_irq_tlb_count(void);

/* The calling thread's CPU, NULL if not registered. */
struct cpu *this_cpu(void);
/* Set the current CPU (registration; the deterministic scheduler). */
void thpsim__set_this_cpu(struct cpu *c);
struct cpu *per_cpu(thpsim_machine_t *m, int id);
unsigned thpsim__nr_cpu_slots(thpsim_machine_t *m);

static inline int smp_processor_id(void)
{
	struct cpu *c = this_cpu();

	return c ? c->id : -1;
}

#define local_irq_save(flags) ((flags) = thpsim__irq_save(THPSIM_SITE_HERE))
#define local_irq_restore(flags) thpsim__irq_restore(flags)
#define local_irq_disable() ((void)thpsim__irq_save(THPSIM_SITE_HERE))
#define local_irq_enable() thpsim__irq_restore(0)
#define irqs_disabled() thpsim_irqs_disabled()

/* Kernel-named wrappers over the public IPI calls, on this CPU's machine. */
int smp_call_function_many(const thpsim_cpumask_t *mask,
			   thpsim_smp_call_func_t fn, void *info, bool wait);
int smp_call_function(thpsim_smp_call_func_t fn, void *info, bool wait);
int smp_call_function_single(int cpu, thpsim_smp_call_func_t fn, void *info,
			     bool wait);

#endif /* THPSIM_MACHINE_CPU_H */
