/*
 * test_watchdog.c - a wait on a CPU that keeps interrupts masked ends with
 * a report naming that CPU and where it masked, never with a hang; the
 * withdrawn call does not run late, and later calls work.
 */
#include "machine/cpu.h"
#include "machine_test.h"

#include <criterion/redirect.h>

#define BOUND MS(100)

struct wd_ctx {
	_Atomic int masked;
	_Atomic int release;
	_Atomic int unmasked;
	_Atomic int fn_runs;
	_Atomic int reports;
	thpsim_watchdog_report_t report;
};

static __attribute__((noinline)) void gup_fast_like_walker(struct wd_ctx *ctx)
{
	unsigned long flags;

	local_irq_save(flags);
	atomic_store(&ctx->masked, 1);
	while (!atomic_load(&ctx->release))
		usleep(1000);
	local_irq_restore(flags);
	atomic_store(&ctx->unmasked, 1);
}

static void walker_body(struct cpu_thread *t)
{
	gup_fast_like_walker(t->arg);
	while (!atomic_load(&t->stop))
		usleep(1000);
}

static void count_run(void *info)
{
	struct wd_ctx *ctx = info;

	atomic_fetch_add(&ctx->fn_runs, 1);
}

static void record_report(const thpsim_watchdog_report_t *r, void *arg)
{
	struct wd_ctx *ctx = arg;

	ctx->report = *r;
	atomic_fetch_add(&ctx->reports, 1);
}

static thpsim_machine_t *setup(struct wd_ctx *ctx, struct cpu_thread *t,
			       int *me, bool record)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_SIGNAL);

	thpsim_machine_set_watchdog(m, BOUND, record ? record_report : NULL, ctx);
	check_ok(thpsim_cpu_register(m, me));
	cpu_thread_start(t, m, walker_body, ctx);
	cr_assert(wait_until(atomic_load(&ctx->masked), SEC(10)));
	return m;
}

Test(watchdog, fires_within_bound_and_names_the_site, .timeout = 60)
{
	struct wd_ctx ctx = { 0 };
	thpsim_watchdog_report_t last;
	thpsim_machine_stats_t s;
	struct cpu_thread t;
	uint64_t t0, took;
	int me, r;

	thpsim_machine_t *m = setup(&ctx, &t, &me, true);

	cr_assert(!thpsim_machine_last_watchdog(m, &last));
	t0 = test_now_ns();
	r = thpsim_smp_call_function_single(m, t.id, count_run, &ctx, true);
	took = test_now_ns() - t0;
	check_err(r, -THPSIM_ETIMEDOUT);
	check_contains(thpsim_errmsg(), "watchdog");
	check_ge(took, BOUND);
	check_lt(took, SEC(5));

	check_eq(atomic_load(&ctx.reports), 1);
	check_eq(ctx.report.sender, me);
	check_eq(ctx.report.cpu, t.id);
	check_eq(ctx.report.irq_depth, 1);
	check_ge(ctx.report.waited_ns, BOUND);
	cr_assert_str_eq(ctx.report.masked_at.func, "gup_fast_like_walker");
	check_contains(ctx.report.masked_at.file, "test_watchdog.c");
	cr_assert(thpsim_machine_last_watchdog(m, &last));
	check_eq(last.cpu, t.id);
	thpsim_machine_stats(m, &s);
	check_eq(s.watchdog_fires, 1);

	/* The late ack: the withdrawn call is drained but does not run. */
	atomic_store(&ctx.release, 1);
	cr_assert(wait_until(atomic_load(&ctx.unmasked), SEC(10)));
	check_eq(atomic_load(&ctx.fn_runs), 0);
	/* And the next call to that CPU is fine. */
	check_ok(thpsim_smp_call_function_single(m, t.id, count_run, &ctx, true));
	check_eq(atomic_load(&ctx.fn_runs), 1);
	check_eq(atomic_load(&ctx.reports), 1);

	cpu_thread_join(&t);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

Test(watchdog, no_wait_call_blocked_on_busy_descriptor, .timeout = 60)
{
	struct wd_ctx ctx = { 0 };
	struct cpu_thread t;
	int me;

	thpsim_machine_t *m = setup(&ctx, &t, &me, true);

	/* The first no-wait call is queued at once... */
	check_ok(thpsim_smp_call_function_single(m, t.id, count_run, &ctx, false));
	/* ...the second needs the same descriptor, which the masked CPU holds. */
	check_err(thpsim_smp_call_function_single(m, t.id, count_run, &ctx, false),
		  -THPSIM_ETIMEDOUT);
	check_eq(atomic_load(&ctx.reports), 1);
	check_eq(ctx.report.cpu, t.id);
	atomic_store(&ctx.release, 1);
	/* A no-wait call is never withdrawn: it runs once at the unmask. */
	cr_assert(wait_until(atomic_load(&ctx.fn_runs) == 1, SEC(10)));
	check_ok(thpsim_smp_call_function_single(m, t.id, count_run, &ctx, true));
	check_eq(atomic_load(&ctx.fn_runs), 2);

	cpu_thread_join(&t);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

static char *read_all(FILE *f)
{
	static char buf[4096];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);

	buf[n] = 0;
	return buf;
}

Test(watchdog, default_handler_prints_the_report, .timeout = 60,
     .init = cr_redirect_stderr)
{
	struct wd_ctx ctx = { 0 };
	struct cpu_thread t;
	char want[128];
	int me;

	thpsim_machine_t *m = setup(&ctx, &t, &me, false);

	check_err(thpsim_smp_call_function_single(m, t.id, count_run, &ctx, true),
		  -THPSIM_ETIMEDOUT);
	atomic_store(&ctx.release, 1);
	cpu_thread_join(&t);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
	fflush(stderr);

	snprintf(want, sizeof(want), "thpsim: watchdog: CPU %d waited ", me);
	char *out = read_all(cr_get_redirected_stderr());
	check_contains(out, want);
	snprintf(want, sizeof(want), "ns for CPU %d, which masked interrupts at gup_fast_like_walker (", t.id);
	check_contains(out, want);
}
