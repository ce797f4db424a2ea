/*
 * test_irq.c - the soft interrupt mask: nesting, flags, and IPIs that
 * arrive while it is held.
 */
#include <signal.h>

#include "machine/cpu.h"
#include "machine/lock.h"
#include "machine_test.h"

static _Atomic int bugs;
static char bug_msg[512];

static void record_bug(const char *msg, const char *file, int line)
{
	(void)file;
	(void)line;
	snprintf(bug_msg, sizeof(bug_msg), "%s", msg);
	atomic_fetch_add(&bugs, 1);
}

Test(irq, nested_save_restore, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(2, THPSIM_IPI_SIGNAL);
	unsigned long f1, f2;

	check_ok(thpsim_cpu_register(m, NULL));
	cr_assert(!thpsim_irqs_disabled());
	f1 = thpsim_irq_save();
	check_eq(f1, 0);
	cr_assert(thpsim_irqs_disabled());
	f2 = thpsim_irq_save();
	check_eq(f2, 1);
	thpsim_irq_restore(f2);
	cr_assert(thpsim_irqs_disabled(), "inner restore must keep the mask");
	thpsim_irq_restore(f1);
	cr_assert(!thpsim_irqs_disabled(), "outer restore must unmask");

	/* local_irq_enable() unmasks whatever the depth, like the kernel. */
	local_irq_disable();
	local_irq_disable();
	local_irq_enable();
	cr_assert(!thpsim_irqs_disabled());

	/* Restoring to a deeper level than the current one is a bug. */
	thpsim__set_bug_handler(record_bug);
	f1 = thpsim_irq_save();
	thpsim_irq_restore(f1 + 5);
	check_eq(atomic_load(&bugs), 1);
	check_contains(bug_msg, "unbalanced");
	thpsim_irq_restore(f1);
	thpsim__set_bug_handler(NULL);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

Test(irq, unregistered_thread_is_noop, .timeout = 60)
{
	unsigned long f = thpsim_irq_save();

	check_eq(f, 0);
	cr_assert(!thpsim_irqs_disabled());
	thpsim_irq_restore(f);
	check_eq(thpsim_cpu_id(), -1);
}

/* Masks and returns: the recorded site must outlive this frame. */
static __attribute__((noinline)) unsigned long mask_in_helper(void)
{
	return thpsim_irq_save();
}

Test(irq, masked_site_is_recorded, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(2, THPSIM_IPI_SIGNAL);
	unsigned long f;
	struct cpu *c;

	check_ok(thpsim_cpu_register(m, NULL));
	c = this_cpu();
	check_eq(c->irq_seq & 1, 0);
	f = mask_in_helper();
	check_eq(c->irq_seq & 1, 1);
	cr_assert_str_eq(c->irq_site->func, "mask_in_helper");
	thpsim_irq_restore(f);
	check_eq(c->irq_seq & 1, 0);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

/* ---- an IPI to a masked CPU waits for the unmask ---------------------- */

struct masked_ctx {
	thpsim_machine_t *m;
	_Atomic int masked;
	_Atomic int fn_runs;
	_Atomic int sender_calling;
	_Atomic int sender_returned;
	/* What the target saw while it held the mask, and right after. */
	int deferred_seen;
	int runs_while_masked;
	int sender_returned_while_masked;
	int runs_after_restore;
	int nested;
	int runs_after_inner_restore;
};

static void count_run(void *info)
{
	struct masked_ctx *ctx = info;

	atomic_fetch_add(&ctx->fn_runs, 1);
}

static uint64_t deferred(thpsim_machine_t *m)
{
	thpsim_machine_stats_t s;

	thpsim_machine_stats(m, &s);
	return s.ipi_deferred;
}

static void masked_target(struct cpu_thread *t)
{
	struct masked_ctx *ctx = t->arg;
	unsigned long f, inner = 0;

	f = thpsim_irq_save();
	if (ctx->nested)
		inner = thpsim_irq_save();
	atomic_store(&ctx->masked, 1);
	/* The signal must reach us and be deferred, not run. */
	ctx->deferred_seen = wait_until(deferred(ctx->m) >= 1, SEC(20));
	/* Then hold on: the sender must still be waiting. */
	usleep(200000);
	ctx->runs_while_masked = atomic_load(&ctx->fn_runs);
	ctx->sender_returned_while_masked = atomic_load(&ctx->sender_returned);
	if (ctx->nested) {
		thpsim_irq_restore(inner);
		ctx->runs_after_inner_restore = atomic_load(&ctx->fn_runs);
	}
	thpsim_irq_restore(f);
	/* The outermost restore ran the pending call synchronously. */
	ctx->runs_after_restore = atomic_load(&ctx->fn_runs);
	while (!atomic_load(&t->stop))
		usleep(1000);
}

static void masked_delay(int nested)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_SIGNAL);
	struct masked_ctx ctx = { .m = m, .nested = nested };
	struct cpu_thread t;
	int r;

	check_ok(thpsim_cpu_register(m, NULL));
	cpu_thread_start(&t, m, masked_target, &ctx);
	cr_assert(wait_until(atomic_load(&ctx.masked), SEC(10)));
	atomic_store(&ctx.sender_calling, 1);
	r = thpsim_smp_call_function_single(m, t.id, count_run, &ctx, true);
	atomic_store(&ctx.sender_returned, 1);
	cpu_thread_join(&t);

	check_ok(r);
	cr_assert(ctx.deferred_seen, "the IPI never reached the masked CPU");
	check_eq(ctx.runs_while_masked, 0);
	check_eq(ctx.sender_returned_while_masked, 0);
	if (nested)
		check_eq(ctx.runs_after_inner_restore, 0);
	check_eq(ctx.runs_after_restore, 1);
	check_eq(atomic_load(&ctx.fn_runs), 1);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

Test(irq, ipi_delayed_until_unmask, .timeout = 60)
{
	masked_delay(0);
}

Test(irq, pending_ipi_runs_at_outermost_restore, .timeout = 60)
{
	masked_delay(1);
}
