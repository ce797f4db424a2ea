/*
 * test_rcu.c - the free-mode RCU backend, and that an IRQ-masked section
 * is a read-side section (DESIGN.md section 4).
 */
#include "machine/cpu.h"
#include "machine/rcu.h"
#include "machine_test.h"

struct obj {
	int value;
	struct rcu_head rcu;
	_Atomic int *freed;
};

static void obj_free(struct rcu_head *h)
{
	struct obj *o = (struct obj *)((char *)h - offsetof(struct obj, rcu));

	atomic_fetch_add(o->freed, 1);
}

struct gp_ctx {
	_Atomic int masked;
	_Atomic int release;
	_Atomic uint64_t unmask_ns;
};

static __attribute__((noinline)) void irq_off_reader(struct cpu_thread *t)
{
	struct gp_ctx *ctx = t->arg;
	unsigned long flags;

	local_irq_save(flags);
	atomic_store(&ctx->masked, 1);
	while (!atomic_load(&ctx->release))
		usleep(1000);
	atomic_store(&ctx->unmask_ns, test_now_ns());
	local_irq_restore(flags);
	while (!atomic_load(&t->stop))
		usleep(1000);
}

Test(rcu, call_rcu_runs_after_a_grace_period, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_SIGNAL);
	struct gp_ctx ctx = { 0 };
	_Atomic int freed = 0;
	struct obj o = { .value = 1, .freed = &freed };
	struct cpu_thread t;

	check_ok(thpsim_cpu_register(m, NULL));
	cpu_thread_start(&t, m, irq_off_reader, &ctx);
	cr_assert(wait_until(atomic_load(&ctx.masked), SEC(10)));
	call_rcu(&o.rcu, obj_free);
	/* The masked CPU holds off the grace period: nothing freed yet. */
	usleep(300000);
	check_eq(atomic_load(&freed), 0);
	atomic_store(&ctx.release, 1);
	cr_assert(wait_until(atomic_load(&freed) == 1, SEC(20)),
		  "callback did not run after the reader unmasked");
	cpu_thread_join(&t);
	rcu_barrier();
	check_eq(atomic_load(&freed), 1);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

static void *synchronize_thread(void *arg)
{
	_Atomic uint64_t *done = arg;

	synchronize_rcu();
	atomic_store(done, test_now_ns());
	return NULL;
}

Test(rcu, synchronize_waits_for_irq_masked_cpu, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_SIGNAL);
	struct gp_ctx ctx = { 0 };
	_Atomic uint64_t done = 0;
	struct cpu_thread t;
	pthread_t sync;

	cpu_thread_start(&t, m, irq_off_reader, &ctx);
	cr_assert(wait_until(atomic_load(&ctx.masked), SEC(10)));
	/* From a thread that is not a CPU: liburcu allows it. */
	pthread_create(&sync, NULL, synchronize_thread, (void *)&done);
	usleep(300000);
	check_eq(atomic_load(&done), 0);
	atomic_store(&ctx.release, 1);
	pthread_join(sync, NULL);
	check_gt(atomic_load(&done), 0);
	check_ge(atomic_load(&done), atomic_load(&ctx.unmask_ns));
	cpu_thread_join(&t);
	thpsim_machine_destroy(m);
}

Test(rcu, call_rcu_from_a_non_cpu_thread, .timeout = 60)
{
	_Atomic int freed = 0;
	struct obj o = { .value = 2, .freed = &freed };

	call_rcu(&o.rcu, obj_free);
	rcu_barrier();
	check_eq(atomic_load(&freed), 1);
}

static _Atomic int bugs;

static void record_bug(const char *msg, const char *file, int line)
{
	(void)msg;
	(void)file;
	(void)line;
	atomic_fetch_add(&bugs, 1);
}

Test(rcu, synchronize_with_irqs_masked_is_a_bug, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(2, THPSIM_IPI_SIGNAL);
	unsigned long f;

	check_ok(thpsim_cpu_register(m, NULL));
	thpsim__set_bug_handler(record_bug);
	f = thpsim_irq_save();
	synchronize_rcu();	/* would wait for itself */
	thpsim_irq_restore(f);
	check_eq(atomic_load(&bugs), 1);
	synchronize_rcu();
	check_eq(atomic_load(&bugs), 1);
	thpsim__set_bug_handler(NULL);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}
