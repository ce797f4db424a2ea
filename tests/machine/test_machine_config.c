/*
 * test_machine_config.c - defaults, validation messages, CPU slots.
 */
#include <signal.h>

#include "machine/cpu.h"
#include "machine_test.h"

Test(machine_config, defaults, .timeout = 60)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m;

	thpsim_machine_config_init(&cfg);
	check_eq(cfg.nr_cpus, 64);
	check_eq(cfg.ipi_signal, SIGRTMIN + 4);
	check_eq(cfg.sync_backend, THPSIM_IPI_SIGNAL);
	check_eq(cfg.watchdog_ns, SEC(2));
	check_eq(cfg.nr_frames, 4096);
	check_eq(cfg.page_shift, 12);
	check_ok(thpsim_machine_create(&cfg, &m));
	check_eq(thpsim_machine_config(m)->nr_cpus, 64);
	check_eq(thpsim__nr_cpu_slots(m), 64);
	thpsim_machine_destroy(m);
	/* NULL config and ipi_signal 0 mean the defaults. */
	check_ok(thpsim_machine_create(NULL, &m));
	thpsim_machine_destroy(m);
	cfg.ipi_signal = 0;
	check_ok(thpsim_machine_create(&cfg, &m));
	check_eq(thpsim_machine_config(m)->ipi_signal, SIGRTMIN + 4);
	thpsim_machine_destroy(m);
}

/* Mutates one field, expects EINVAL and a message naming value and range. */
#define check_bad(field, value, msg)                                         \
	do {                                                                 \
		thpsim_machine_config_t c_;                                  \
		thpsim_machine_t *m_ = (thpsim_machine_t *)1;                \
		thpsim_machine_config_init(&c_);                             \
		c_.field = (value);                                          \
		check_err(thpsim_machine_create(&c_, &m_), -THPSIM_EINVAL); \
		cr_assert_null(m_);                                          \
		check_contains(thpsim_errmsg(), msg);                        \
	} while (0)

Test(machine_config, bad_values_are_named, .timeout = 60)
{
	char want[128];

	check_bad(nr_cpus, 0, "nr_cpus: 0 out of range 1..256");
	check_bad(nr_cpus, 257, "nr_cpus: 257 out of range 1..256");
	check_bad(ipi_signal, SIGUSR1, "ipi_signal: 10 is not a real-time signal");
	snprintf(want, sizeof(want), "ipi_signal: %d is not a real-time signal (allowed: %d..%d",
		 SIGRTMAX + 1, SIGRTMIN, SIGRTMAX);
	check_bad(ipi_signal, SIGRTMAX + 1, want);
	check_bad(sync_backend, (thpsim_ipi_backend_t)7, "sync_backend: 7 unknown");
	check_bad(watchdog_ns, 999999, "watchdog_ns: 999999 below the minimum 1000000");
	check_bad(page_shift, 5, "page_shift: 5 out of range 6..16");
	check_bad(page_shift, 17, "page_shift: 17 out of range 6..16");
	check_bad(nr_frames, 15, "nr_frames: 15 out of range 16..");
	check_err(thpsim_machine_create(NULL, NULL), -THPSIM_EINVAL);
	check_contains(thpsim_errmsg(), "out: NULL");
}

Test(machine_config, limits_accepted, .timeout = 60)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 1;
	cfg.ipi_signal = SIGRTMAX;
	cfg.page_shift = 6;
	cfg.nr_frames = 16;
	cfg.watchdog_ns = MS(1);
	check_ok(thpsim_machine_create(&cfg, &m));
	thpsim_machine_destroy(m);
	cfg.nr_cpus = 256;
	cfg.ipi_signal = SIGRTMIN;
	cfg.page_shift = 16;
	check_ok(thpsim_machine_create(&cfg, &m));
	thpsim_machine_destroy(m);
}

static _Atomic int other_err;

static void *register_other(void *arg)
{
	int id;

	atomic_store(&other_err, thpsim_cpu_register(arg, &id));
	if (atomic_load(&other_err) == 0)
		thpsim_cpu_unregister();
	return NULL;
}

Test(machine_config, cpu_slots_and_states, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(1, THPSIM_IPI_SIGNAL);
	thpsim_cpumask_t mask;
	pthread_t th;
	int id = -5;

	check_eq(thpsim_cpu_id(), -1);
	check_err(thpsim_cpu_register(NULL, &id), -THPSIM_EINVAL);
	check_ok(thpsim_cpu_register(m, &id));
	check_eq(id, 0);
	check_eq(thpsim_cpu_id(), 0);
	check_eq(smp_processor_id(), 0);
	thpsim_cpu_online_mask(m, &mask);
	cr_assert(thpsim_cpumask_test(&mask, 0));
	check_eq(mask.bits[0], 1);

	/* The only slot is taken. */
	pthread_create(&th, NULL, register_other, m);
	pthread_join(th, NULL);
	check_err(atomic_load(&other_err), -THPSIM_ENOCPU);

	cr_assert(!thpsim_cpu_is_idle(m, 0));
	thpsim_cpu_idle_enter();
	cr_assert(thpsim_cpu_is_idle(m, 0));
	thpsim_cpu_idle_exit();
	cr_assert(!thpsim_cpu_is_idle(m, 0));
	thpsim_cpu_set_preempted(m, 0, true);
	cr_assert(thpsim_cpu_is_preempted(m, 0));
	thpsim_cpu_set_preempted(m, 0, false);
	cr_assert(!thpsim_cpu_is_preempted(m, 0));
	cr_assert(!thpsim_cpu_is_idle(m, 7), "out-of-range CPU reads as not idle");

	check_ok(thpsim_cpu_unregister());
	check_eq(thpsim_cpu_id(), -1);
	thpsim_cpu_online_mask(m, &mask);
	check_eq(mask.bits[0], 0);
	/* The slot is free again. */
	pthread_create(&th, NULL, register_other, m);
	pthread_join(th, NULL);
	check_ok(atomic_load(&other_err));
	thpsim_machine_destroy(m);
}

Test(machine_config, selftest_measures_every_series, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_SIGNAL);
	thpsim_ipi_selftest_t r;

	check_err(thpsim_ipi_selftest(m, 0, &r), -THPSIM_EINVAL);
	check_ok(thpsim_ipi_selftest(m, 50, &r));
	check_eq(r.rounds, 50);
	check_gt(r.raw_signal.p50_ns, 0);
	check_gt(r.call_single.p50_ns, 0);
	check_gt(r.sync_signal.p50_ns, 0);
	check_le(r.call_single.p50_ns, r.call_single.p99_ns);
	check_le(r.call_single.p99_ns, r.call_single.max_ns);
	if (r.membarrier_ok)
		check_gt(r.sync_membarrier.p50_ns, 0);
	check_eq(thpsim_cpu_id(), -1);	/* registered only meanwhile */
	thpsim_machine_destroy(m);
}
