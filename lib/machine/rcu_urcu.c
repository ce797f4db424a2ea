/*
 * rcu_urcu.c - the free-mode RCU backend on liburcu's memb flavour.
 *
 * The only file of thpsim that includes liburcu.  Why memb: its readers
 * pay no fence (the grace period forces one with membarrier()), which is
 * also how the soft interrupt mask is built (irq.c), so an IRQ-masked
 * section that doubles as a read-side section stays fence-free.
 *
 * liburcu and machine/rcu.h both name a "struct rcu_head".  Only pointers
 * to it cross the library boundary, so liburcu's is renamed for this
 * translation unit and embedded in the opaque storage of ours; a
 * trampoline turns liburcu's callback back into the caller's.
 *
 * liburcu's call_rcu() takes a read-side lock internally, so its caller
 * must be a registered reader.  CPUs are (thpsim_cpu_register); liburcu's
 * own callback thread is; any other thread is registered just for the
 * call.
 */
#include <pthread.h>

#define rcu_head urcu_rcu_head
#include <urcu/urcu-memb.h>
#undef rcu_head

#include "machine/cpu.h"
#include "machine/lock.h"
#include "machine/rcu.h"

/*
 * liburcu is not instrumented: tell ThreadSanitizer that everything before
 * call_rcu() happens before the callback (its queue guarantees it), as
 * ipi.c does for its call descriptors.
 */
#include "machine/tsan.h"

_Static_assert(sizeof(struct urcu_rcu_head) <=
		       sizeof(((struct rcu_head *)0)->opaque),
	       "liburcu's rcu_head must fit the opaque storage of ours");
_Static_assert(_Alignof(struct urcu_rcu_head) <= _Alignof(struct rcu_head),
	       "liburcu's rcu_head must not need more alignment than ours");

/*
 * rcu_barrier() returns after every callback queued before it has run:
 * what a callback did happens before what the barrier's caller does next
 * (tearing down what the callback read).  liburcu is not instrumented, so
 * TSan is told: each callback releases this token, the barrier acquires it.
 */
static char urcu_callbacks_ran;

static void urcu_trampoline(struct urcu_rcu_head *uh)
{
	/* The liburcu head sits at the start of ours (opaque[0]). */
	struct rcu_head *head = (struct rcu_head *)(void *)uh;

	tsan_acquire(head);
	head->func(head);
	tsan_release(&urcu_callbacks_ran);
}

static bool on_callback_thread(void)
{
	struct call_rcu_data *crdp = urcu_memb_get_default_call_rcu_data();

	return pthread_equal(pthread_self(),
			     urcu_memb_get_call_rcu_thread(crdp));
}

static void urcu_register(void)
{
	urcu_memb_register_thread();
}

static void urcu_unregister(void)
{
	urcu_memb_unregister_thread();
}

static void urcu_read_lock(void)
{
	urcu_memb_read_lock();
}

static void urcu_read_unlock(void)
{
	urcu_memb_read_unlock();
}

static void urcu_synchronize(void)
{
	/*
	 * With interrupts masked the caller is itself a reader (irq.c), and
	 * the grace period would wait for it forever.
	 */
	if (urcu_memb_read_ongoing()) {
		thpsim__bug(__FILE__, __LINE__,
			    "synchronize_rcu() inside an RCU read-side or IRQ-masked section would wait for itself");
		return;
	}
	urcu_memb_synchronize_rcu();
}

static void urcu_call(struct rcu_head *head, rcu_callback_t func)
{
	struct urcu_rcu_head *uh = (struct urcu_rcu_head *)(void *)head->opaque;

	head->func = func;
	tsan_release(head);
	if (this_cpu() || on_callback_thread()) {
		urcu_memb_call_rcu(uh, urcu_trampoline);
		return;
	}
	urcu_memb_register_thread();
	urcu_memb_call_rcu(uh, urcu_trampoline);
	urcu_memb_unregister_thread();
}

static void urcu_barrier(void)
{
	if (urcu_memb_read_ongoing() || on_callback_thread()) {
		thpsim__bug(__FILE__, __LINE__,
			    "rcu_barrier() from a read-side section or an RCU callback would wait for itself");
		return;
	}
	urcu_memb_barrier();
	tsan_acquire(&urcu_callbacks_ran);
}

const struct thpsim_rcu_ops thpsim_rcu_urcu_ops = {
	.name = "urcu-memb",
	.register_thread = urcu_register,
	.unregister_thread = urcu_unregister,
	.read_lock = urcu_read_lock,
	.read_unlock = urcu_read_unlock,
	.synchronize = urcu_synchronize,
	.call = urcu_call,
	.barrier = urcu_barrier,
};
