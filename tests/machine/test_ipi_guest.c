/*
 * test_ipi_guest.c - free mode on a guest machine (cfg.guest): a signal
 * IPI to a preempted vCPU pends, whatever its mask, until the vCPU is
 * resumed; resuming it from another thread kicks it.  On bare metal the
 * same "preempted" CPU takes the IPI at once.  Real threads and signals:
 * the negative check waits a bounded while, the positive one polls.
 */
#include "machine_test.h"

static _Atomic int ran;

static void count(void *arg)
{
	(void)arg;
	atomic_fetch_add(&ran, 1);
}

static thpsim_machine_t *guest_machine(bool guest)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m = NULL;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 4;
	cfg.nr_frames = 64;
	cfg.guest = guest;
	check_ok(thpsim_machine_create(&cfg, &m));
	return m;
}

/* Send wait=0 to a busy target marked preempted; has it run after 30 ms? */
static int preempted_case(bool guest, thpsim_machine_t **mp,
			  struct cpu_thread *t)
{
	thpsim_machine_t *m = guest_machine(guest);
	int me;

	atomic_store(&ran, 0);
	check_ok(thpsim_cpu_register(m, &me));
	cpu_thread_start(t, m, busy_body, NULL);
	thpsim_cpu_set_preempted(m, t->id, true);
	check_ok(thpsim_smp_call_function_single(m, t->id, count, NULL, false));
	usleep(30000);
	*mp = m;
	return atomic_load(&ran);
}

Test(ipi_guest, preempted_vcpu_takes_the_ipi_only_when_resumed, .timeout = 30)
{
	struct cpu_thread t;
	thpsim_machine_t *m;
	thpsim_irq_counts_t c;

	check_eq(preempted_case(true, &m, &t), 0);
	thpsim_cpu_set_preempted(m, t.id, false);	/* kicks it */
	cr_assert(wait_until(atomic_load(&ran) == 1, SEC(5)),
		  "the resumed vCPU never took the IPI");
	check_ok(thpsim_cpu_irq_counts(m, t.id, &c));
	check_eq(c.cal, 1);
	cpu_thread_join(&t);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

Test(ipi_guest, bare_metal_preempted_cpu_takes_it_at_once, .timeout = 30)
{
	struct cpu_thread t;
	thpsim_machine_t *m;

	/* 30 ms is plenty for a signal to a spinning thread; poll anyway. */
	preempted_case(false, &m, &t);
	cr_assert(wait_until(atomic_load(&ran) == 1, SEC(5)));
	thpsim_cpu_set_preempted(m, t.id, false);
	cpu_thread_join(&t);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}
