/*
 * test_membarrier.c - the membarrier backend of thpsim_ipi_sync(): prompt
 * with unmasked targets, waits for masked ones, is not starved by a
 * walker that masks again at once, and reports a missing system call.
 */
#include <errno.h>
#include <linux/membarrier.h>

#include "machine/cpu.h"
#include "machine/internal.h"
#include "machine_test.h"

struct sync_ctx {
	_Atomic int masked;
	_Atomic int sender_calling;
	_Atomic int sender_returned;
	_Atomic uint64_t unmask_ns;
	int returned_while_masked;
	uint32_t waiters_seen;
	_Atomic int loops;
};

static __attribute__((noinline)) void masked_walker(struct cpu_thread *t)
{
	struct sync_ctx *ctx = t->arg;
	unsigned long flags;

	local_irq_save(flags);
	atomic_store(&ctx->masked, 1);
	wait_until(atomic_load(&ctx->sender_calling), SEC(10));
	/* The sender must come to sleep on our irq_seq. */
	wait_until(atomic_load(&this_cpu()->sync_waiters) > 0, SEC(10));
	ctx->waiters_seen = atomic_load(&this_cpu()->sync_waiters);
	usleep(100000);
	ctx->returned_while_masked = atomic_load(&ctx->sender_returned);
	atomic_store(&ctx->unmask_ns, test_now_ns());
	local_irq_restore(flags);
	while (!atomic_load(&t->stop))
		usleep(1000);
}

static thpsim_cpumask_t online(thpsim_machine_t *m)
{
	thpsim_cpumask_t mask;

	thpsim_cpu_online_mask(m, &mask);
	return mask;
}

Test(membarrier, unmasked_targets_return_promptly, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_MEMBARRIER);
	struct cpu_thread idle, busy;
	thpsim_machine_stats_t s;
	thpsim_cpumask_t mask;
	uint64_t t0;

	check_ok(thpsim_cpu_register(m, NULL));
	cpu_thread_start(&idle, m, idle_body, NULL);
	cpu_thread_start(&busy, m, busy_body, NULL);
	mask = online(m);
	t0 = test_now_ns();
	for (int i = 0; i < 100; i++)
		check_ok(thpsim_ipi_sync(m, &mask));
	check_lt(test_now_ns() - t0, SEC(2));
	thpsim_machine_stats(m, &s);
	check_ge(s.membarriers, 100);
	check_eq(s.ipi_signals, 0);	/* no signal for the empty sync IPI */
	check_eq(s.ipi_waits_slept, 0);
	cpu_thread_join(&idle);
	cpu_thread_join(&busy);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

Test(membarrier, waits_for_a_masked_target, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_MEMBARRIER);
	struct sync_ctx ctx = { 0 };
	struct cpu_thread t;
	thpsim_cpumask_t mask;
	uint64_t done;
	int r;

	check_ok(thpsim_cpu_register(m, NULL));
	cpu_thread_start(&t, m, masked_walker, &ctx);
	cr_assert(wait_until(atomic_load(&ctx.masked), SEC(10)));
	mask = online(m);
	atomic_store(&ctx.sender_calling, 1);
	r = thpsim_ipi_sync(m, &mask);
	done = test_now_ns();
	atomic_store(&ctx.sender_returned, 1);
	cpu_thread_join(&t);

	check_ok(r);
	check_eq(ctx.waiters_seen, 1);
	check_eq(ctx.returned_while_masked, 0);
	check_ge(done, atomic_load(&ctx.unmask_ns));
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

/* Masks and unmasks back to back: each section is short, gaps shorter. */
static void looping_walker(struct cpu_thread *t)
{
	struct sync_ctx *ctx = t->arg;
	unsigned long flags;

	while (!atomic_load(&t->stop)) {
		local_irq_save(flags);
		for (int i = 0; i < 200; i++)
			__asm__ __volatile__("" ::: "memory");
		local_irq_restore(flags);
		atomic_fetch_add_explicit(&ctx->loops, 1, memory_order_relaxed);
	}
}

Test(membarrier, looping_walker_does_not_starve_the_sender, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_MEMBARRIER);
	struct sync_ctx ctx = { 0 };
	struct cpu_thread t;
	thpsim_cpumask_t mask;
	uint64_t t0;

	check_ok(thpsim_cpu_register(m, NULL));
	cpu_thread_start(&t, m, looping_walker, &ctx);
	cr_assert(wait_until(atomic_load(&ctx.loops) > 1000, SEC(10)));
	mask = online(m);
	t0 = test_now_ns();
	for (int i = 0; i < 500; i++)
		check_ok(thpsim_ipi_sync(m, &mask));
	check_lt(test_now_ns() - t0, SEC(20));
	cr_assert(!thpsim_machine_last_watchdog(m, NULL));
	cpu_thread_join(&t);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

static _Atomic int reports;

static void count_report(const thpsim_watchdog_report_t *r, void *arg)
{
	thpsim_watchdog_report_t *out = arg;

	*out = *r;
	atomic_fetch_add(&reports, 1);
}

static __attribute__((noinline)) void stuck_walker(struct cpu_thread *t)
{
	unsigned long flags;

	local_irq_save(flags);
	atomic_store(&((struct sync_ctx *)t->arg)->masked, 1);
	while (!atomic_load(&t->stop))
		usleep(1000);
	local_irq_restore(flags);
}

Test(membarrier, watchdog_names_the_masked_cpu, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_MEMBARRIER);
	thpsim_watchdog_report_t rep = { 0 };
	struct sync_ctx ctx = { 0 };
	struct cpu_thread t;
	thpsim_cpumask_t mask;
	uint64_t t0, took;

	thpsim_machine_set_watchdog(m, MS(100), count_report, &rep);
	check_ok(thpsim_cpu_register(m, NULL));
	cpu_thread_start(&t, m, stuck_walker, &ctx);
	cr_assert(wait_until(atomic_load(&ctx.masked), SEC(10)));
	mask = online(m);
	t0 = test_now_ns();
	check_err(thpsim_ipi_sync(m, &mask), -THPSIM_ETIMEDOUT);
	took = test_now_ns() - t0;
	check_ge(took, MS(100));
	check_lt(took, SEC(5));
	check_eq(atomic_load(&reports), 1);
	check_eq(rep.cpu, t.id);
	cr_assert_str_eq(rep.masked_at.func, "stuck_walker");
	cpu_thread_join(&t);
	/* Unmasked now: the next sync is fine. */
	check_ok(thpsim_ipi_sync(m, &mask));
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

static void count_fn(void *info)
{
	atomic_fetch_add((_Atomic int *)info, 1);
}

Test(membarrier, function_ipis_still_go_by_signal, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_MEMBARRIER);
	struct cpu_thread t;
	thpsim_machine_stats_t s;
	_Atomic int runs = 0;

	check_ok(thpsim_cpu_register(m, NULL));
	cpu_thread_start(&t, m, busy_body, NULL);
	check_ok(thpsim_smp_call_function(m, count_fn, (void *)&runs, true));
	check_eq(atomic_load(&runs), 1);
	thpsim_machine_stats(m, &s);
	check_eq(s.ipi_signals, 1);
	cpu_thread_join(&t);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

static long fake_no_membarrier(int cmd, unsigned int flags, int cpu_id)
{
	(void)cmd;
	(void)flags;
	(void)cpu_id;
	errno = ENOSYS;
	return -1;
}

static long fake_old_kernel(int cmd, unsigned int flags, int cpu_id)
{
	(void)flags;
	(void)cpu_id;
	if (cmd == MEMBARRIER_CMD_QUERY)
		return MEMBARRIER_CMD_GLOBAL;	/* no private expedited */
	errno = EINVAL;
	return -1;
}

Test(membarrier, missing_syscall_is_enosys, .timeout = 60)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m = NULL;

	thpsim_machine_config_init(&cfg);
	cfg.sync_backend = THPSIM_IPI_MEMBARRIER;
	thpsim__membarrier = fake_no_membarrier;
	check_err(thpsim_machine_create(&cfg, &m), -THPSIM_ENOSYS);
	cr_assert_null(m);
	check_contains(thpsim_errmsg(), "membarrier(MEMBARRIER_CMD_QUERY) failed");

	thpsim__membarrier = fake_old_kernel;
	check_err(thpsim_machine_create(&cfg, &m), -THPSIM_ENOSYS);
	check_contains(thpsim_errmsg(), "MEMBARRIER_CMD_PRIVATE_EXPEDITED) not offered");

	/* The signal backend does not need it. */
	cfg.sync_backend = THPSIM_IPI_SIGNAL;
	check_ok(thpsim_machine_create(&cfg, &m));
	thpsim_machine_destroy(m);
}
