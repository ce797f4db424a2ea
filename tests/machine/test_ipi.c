/*
 * test_ipi.c - pseudo-IPIs by signal: broadcast to busy and idle CPUs,
 * no-wait calls, per-target order, calls between CPUs, misuse.
 */
#include "machine/cpu.h"
#include "machine_test.h"

#define NR_TARGETS 4
#define MAX_CPUS 8
#define ORDER_CALLS 64

static _Atomic int runs[MAX_CPUS];

static void count_on_cpu(void *info)
{
	(void)info;
	atomic_fetch_add(&runs[thpsim_cpu_id()], 1);
}

static void start_targets(thpsim_machine_t *m, struct cpu_thread *t, int n)
{
	/* Half spin, half sleep in a futex as idle CPUs. */
	for (int i = 0; i < n; i++)
		cpu_thread_start(&t[i], m, i % 2 ? idle_body : busy_body, NULL);
}

static void join_targets(struct cpu_thread *t, int n)
{
	for (int i = 0; i < n; i++)
		cpu_thread_join(&t[i]);
}

Test(ipi, broadcast_busy_and_idle_all_ack, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(MAX_CPUS, THPSIM_IPI_SIGNAL);
	struct cpu_thread t[NR_TARGETS];
	thpsim_machine_stats_t s;
	int me, rounds = 50;

	check_ok(thpsim_cpu_register(m, &me));
	start_targets(m, t, NR_TARGETS);
	cr_assert(wait_until(thpsim_cpu_is_idle(m, t[1].id) &&
			     thpsim_cpu_is_idle(m, t[3].id), SEC(10)),
		  "idle CPUs never went idle");
	for (int r = 1; r <= rounds; r++) {
		check_ok(thpsim_smp_call_function(m, count_on_cpu, NULL, true));
		/* wait=1: every target has run it when we return. */
		for (int i = 0; i < NR_TARGETS; i++)
			check_eq(atomic_load(&runs[t[i].id]), r);
		check_eq(atomic_load(&runs[me]), 0);	/* not the caller */
	}
	cr_assert(thpsim_cpu_is_idle(m, t[1].id), "IPIs must not wake idle CPUs out of idle");
	join_targets(t, NR_TARGETS);
	thpsim_machine_stats(m, &s);
	check_eq(s.ipi_sent, (uint64_t)rounds * NR_TARGETS);
	check_eq(s.ipi_handled, (uint64_t)rounds * NR_TARGETS);
	check_le(s.ipi_signals, s.ipi_sent);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

Test(ipi, no_wait_calls_run_eventually, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(MAX_CPUS, THPSIM_IPI_SIGNAL);
	struct cpu_thread t[NR_TARGETS];
	int rounds = 100;

	check_ok(thpsim_cpu_register(m, NULL));
	start_targets(m, t, NR_TARGETS);
	for (int r = 0; r < rounds; r++)
		check_ok(thpsim_smp_call_function(m, count_on_cpu, NULL, false));
	for (int i = 0; i < NR_TARGETS; i++) {
		cr_assert(wait_until(atomic_load(&runs[t[i].id]) == rounds, SEC(20)),
			  "CPU %d ran %d of %d no-wait calls", t[i].id,
			  atomic_load(&runs[t[i].id]), rounds);
	}
	join_targets(t, NR_TARGETS);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

/* Each target logs the sequence numbers it ran, in order. */
static int order_log[MAX_CPUS][ORDER_CALLS];
static _Atomic int order_len[MAX_CPUS];

static void log_seq(void *info)
{
	int cpu = thpsim_cpu_id();
	int n = atomic_load(&order_len[cpu]);

	if (n < ORDER_CALLS)
		order_log[cpu][n] = (int)(intptr_t)info;
	atomic_store(&order_len[cpu], n + 1);
}

Test(ipi, calls_run_in_order_per_target, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(MAX_CPUS, THPSIM_IPI_SIGNAL);
	struct cpu_thread t[NR_TARGETS];

	check_ok(thpsim_cpu_register(m, NULL));
	start_targets(m, t, NR_TARGETS);
	for (int k = 0; k < ORDER_CALLS; k++)
		check_ok(thpsim_smp_call_function(m, log_seq, (void *)(intptr_t)k,
						  k % 3 == 0));
	for (int i = 0; i < NR_TARGETS; i++) {
		int c = t[i].id;

		cr_assert(wait_until(atomic_load(&order_len[c]) == ORDER_CALLS, SEC(20)));
		for (int k = 0; k < ORDER_CALLS; k++)
			check_eq(order_log[c][k], k);
	}
	join_targets(t, NR_TARGETS);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

/* Two CPUs calling each other with wait=1 at once must not deadlock. */
static _Atomic int go;

static void ping_body(struct cpu_thread *t)
{
	int *peer = t->arg;

	while (!atomic_load(&go))
		usleep(100);
	for (int i = 0; i < 200; i++)
		if (thpsim_smp_call_function_single(t->m, *peer, count_on_cpu,
						    NULL, true))
			return;
	while (!atomic_load(&t->stop))
		usleep(1000);
}

Test(ipi, crossing_calls_do_not_deadlock, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(MAX_CPUS, THPSIM_IPI_SIGNAL);
	struct cpu_thread a, b;
	int a_id = 0, b_id = 1;

	cpu_thread_start(&a, m, ping_body, &b_id);
	cpu_thread_start(&b, m, ping_body, &a_id);
	atomic_store(&go, 1);
	cr_assert(wait_until(atomic_load(&runs[0]) == 200 &&
			     atomic_load(&runs[1]) == 200, SEC(30)),
		  "runs: CPU0 %d, CPU1 %d of 200", atomic_load(&runs[0]),
		  atomic_load(&runs[1]));
	cpu_thread_join(&a);
	cpu_thread_join(&b);
	thpsim_machine_destroy(m);
}

Test(ipi, single_to_self_runs_locally_masked, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(2, THPSIM_IPI_SIGNAL);
	int me;

	check_ok(thpsim_cpu_register(m, &me));
	check_ok(thpsim_smp_call_function_single(m, me, count_on_cpu, NULL, true));
	check_eq(atomic_load(&runs[me]), 1);
	cr_assert(!thpsim_irqs_disabled());
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

Test(ipi, misuse_is_reported, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_SIGNAL);
	thpsim_cpumask_t all;
	unsigned long f;

	thpsim_cpumask_clear(&all);
	thpsim_cpumask_set(&all, 1);
	/* Not a CPU. */
	check_err(thpsim_smp_call_function_many(m, &all, count_on_cpu, NULL, true),
		  -THPSIM_ENOTCPU);
	check_contains(thpsim_errmsg(), "not a registered CPU");
	check_err(thpsim_smp_call_function(m, NULL, NULL, true), -THPSIM_ENOTCPU);
	check_err(thpsim_ipi_sync(m, &all), -THPSIM_ENOTCPU);
	check_err(smp_call_function(count_on_cpu, NULL, true), -THPSIM_ENOTCPU);
	check_err(smp_call_function_many(&all, count_on_cpu, NULL, true),
		  -THPSIM_ENOTCPU);
	check_err(thpsim_cpu_unregister(), -THPSIM_ENOTCPU);

	check_ok(thpsim_cpu_register(m, NULL));
	check_err(thpsim_cpu_register(m, NULL), -THPSIM_EBUSY);
	/* Masked caller: waiting for acks could deadlock. */
	f = thpsim_irq_save();
	check_err(thpsim_smp_call_function(m, count_on_cpu, NULL, true),
		  -THPSIM_EDEADLK);
	check_contains(thpsim_errmsg(), "masked");
	check_err(thpsim_cpu_unregister(), -THPSIM_EBUSY);
	thpsim_irq_restore(f);
	/* Offline or out-of-range single targets. */
	check_err(thpsim_smp_call_function_single(m, 3, count_on_cpu, NULL, true),
		  -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "cpu: 3 is not online");
	check_err(thpsim_smp_call_function_single(m, 9, count_on_cpu, NULL, true),
		  -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "cpu: 9 out of range 0..3");
	/* Offline CPUs in a mask are ignored. */
	thpsim_cpumask_set(&all, 2);
	check_ok(thpsim_smp_call_function_many(m, &all, count_on_cpu, NULL, true));
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}
