/*
 * test_tlb.c - flush_tlb_mm_range() per profile, with a second CPU thread
 * running the mm: x86 IPIs mm_cpumask and waits for the ack (lazy, i.e.
 * idle, CPUs only when tables were freed); the KVM PV flush skips a
 * preempted vCPU; broadcast profiles send no IPI.  Mutant flush-no-wait
 * returns before a masked target acked.
 */
#include "thp_test.h"

struct target {
	thpsim_mm_t *mm;
	bool idle;		/* go idle (lazy) after switching */
	bool mask;		/* hold interrupts masked until release */
	_Atomic int masked;
	_Atomic int release;
	_Atomic int unmasked;
};

static void target_body(struct cpu_thread *t)
{
	struct target *tg = t->arg;
	unsigned long flags;

	(void)thpsim_mm_switch(tg->mm);
	if (tg->mask) {
		flags = thpsim_irq_save();
		atomic_store(&tg->masked, 1);
		while (!atomic_load(&tg->release))
			;
		atomic_store(&tg->unmasked, 1);
		thpsim_irq_restore(flags);
	}
	if (tg->idle)
		thpsim_cpu_idle_enter();
	while (!atomic_load(&t->stop))
		sched_wait(&t->stop, 0, MS(1));
	if (tg->idle)
		thpsim_cpu_idle_exit();
	(void)thpsim_mm_unuse(tg->mm);
}

static void start_target(struct mm_env *e, struct cpu_thread *t,
			 struct target *tg)
{
	tg->mm = e->mm;
	cpu_thread_start(t, e->m, target_body, tg);
	cr_assert(wait_until(thpsim_cpumask_test(mm_cpumask(e->mm),
						 (unsigned)t->id), SEC(10)));
	if (tg->idle)
		cr_assert(wait_until(thpsim_cpu_is_idle(e->m, t->id), SEC(10)));
}

/* IPIs sent by one flush. */
static uint64_t flush_ipis(struct mm_env *e, bool freed_tables)
{
	uint64_t sent = thp_ipi_sent(e->m);

	flush_tlb_mm_range(e->mm, 0, e->hpage, freed_tables);
	return thp_ipi_sent(e->m) - sent;
}

Test(tlb, x86_ipis_the_cpus_running_the_mm, .timeout = 30)
{
	struct mm_env e;
	struct cpu_thread t;
	struct target tg = { 0 };
	thpsim_machine_stats_t s;

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "x86", "none", NULL);
	check_eq(flush_ipis(&e, false), 0);	/* nobody runs it */
	start_target(&e, &t, &tg);
	check_eq(flush_ipis(&e, false), 1);
	/* wait=1: the target ran the flush before we returned. */
	thpsim_machine_stats(e.m, &s);
	check_eq(s.ipi_handled, 1);
	/* The flusher itself running the mm is not a target. */
	check_ok(thpsim_mm_switch(e.mm));
	check_eq(flush_ipis(&e, false), 1);
	check_ok(thpsim_mm_unuse(e.mm));
	cpu_thread_join(&t);
	check_eq(flush_ipis(&e, false), 0);	/* left the mm */
	mm_env_teardown(&e);
}

Test(tlb, x86_skips_lazy_cpus_unless_tables_were_freed, .timeout = 30)
{
	struct mm_env e;
	struct cpu_thread t;
	struct target tg = { .idle = true };

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "x86", "none", NULL);
	start_target(&e, &t, &tg);
	check_eq(flush_ipis(&e, false), 0);
	check_eq(flush_ipis(&e, true), 1);
	cpu_thread_join(&t);
	mm_env_teardown(&e);
}

Test(tlb, kvm_pv_skips_a_preempted_vcpu, .timeout = 30)
{
	struct mm_env e;
	struct cpu_thread t;
	struct target tg = { 0 };
	struct thp_events *ev;

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "x86-kvm-pv", "none", NULL);
	start_target(&e, &t, &tg);
	check_eq(flush_ipis(&e, false), 1);
	thpsim_cpu_set_preempted(e.m, t.id, true);
	ev = thp_events_start();
	check_eq(flush_ipis(&e, true), 0);
	thp_events_stop(ev);
	check_eq(thp_events_count(ev, THPSIM_EV_TLB_FLUSH,
				  "ipi-skip-preempted"), 1);
	check_eq(thp_events_count(ev, THPSIM_EV_NOTE, NULL), 1);
	thpsim_cpu_set_preempted(e.m, t.id, false);
	check_eq(flush_ipis(&e, false), 1);
	/* Bare-metal x86 IPIs a preempted vCPU all the same. */
	thp_kconfig(&e, "x86", "none", NULL);
	thpsim_cpu_set_preempted(e.m, t.id, true);
	check_eq(flush_ipis(&e, false), 1);
	thpsim_cpu_set_preempted(e.m, t.id, false);
	cpu_thread_join(&t);
	free(ev);
	mm_env_teardown(&e);
}

Test(tlb, broadcast_profiles_send_no_ipi, .timeout = 30)
{
	static const char *const profiles[] = {
		"arm64", "ppc64-radix", "broadcast-norcu",
	};
	struct mm_env e;
	struct cpu_thread t;
	struct target tg = { 0 };

	mm_env_setup(&e, "2x8", 12, 64);
	start_target(&e, &t, &tg);
	for (unsigned i = 0; i < 3; i++) {
		thp_kconfig(&e, profiles[i], "none", NULL);
		check_eq(flush_ipis(&e, false), 0);
		check_eq(flush_ipis(&e, true), 0);
	}
	cpu_thread_join(&t);
	mm_env_teardown(&e);
}

struct flusher {
	struct mm_env *e;
	_Atomic int done;
};

/* Flush from another CPU; the target's unmask is what releases it. */
static void flusher_body(struct cpu_thread *t)
{
	struct flusher *f = t->arg;

	flush_tlb_mm_range(f->e->mm, 0, f->e->hpage, false);
	atomic_store(&f->done, 1);
	while (!atomic_load(&t->stop))
		sched_wait(&t->stop, 0, MS(1));
}

/* x86 flush vs a target holding interrupts masked: did the flush return
 * before the target unmasked? */
static bool flush_returns_while_masked(void)
{
	struct mm_env e;
	struct cpu_thread t, ft;
	struct target tg = { .mask = true };
	struct flusher f = { 0 };
	bool early;

	mm_env_setup(&e, "2x8", 12, 64);
	thp_kconfig(&e, "x86", "none", NULL);
	start_target(&e, &t, &tg);
	cr_assert(wait_until(atomic_load(&tg.masked), SEC(10)));
	f.e = &e;
	cpu_thread_start(&ft, e.m, flusher_body, &f);
	early = wait_until(atomic_load(&f.done), MS(200));
	atomic_store(&tg.release, 1);
	cr_assert(wait_until(atomic_load(&f.done), SEC(10)));
	cr_assert(wait_until(atomic_load(&tg.unmasked), SEC(10)));
	cpu_thread_join(&ft);
	cpu_thread_join(&t);
	mm_env_teardown(&e);
	return early;
}

Test(tlb, x86_flush_waits_for_a_masked_cpu, .timeout = 30)
{
	cr_assert(!flush_returns_while_masked(),
		  "the IPI flush returned while its target had interrupts masked");
}

Test(tlb, mutant_flush_no_wait_does_not_wait, .timeout = 30)
{
	setenv("THPSIM_MUTANT", "flush-no-wait", 1);
	cr_assert(flush_returns_while_masked(),
		  "with flush-no-wait the flush must not wait for the ack");
	unsetenv("THPSIM_MUTANT");
}

Test(tlb, profiles_are_data, .timeout = 30)
{
	const thpsim_profile_t *const *list = thpsim_profile_list();
	thpsim_profile_t bad;
	unsigned n = 0;

	for (; list[n]; n++)
		check_ok(thpsim_profile_validate(list[n]));
	check_eq(n, 6);
	cr_assert_str_eq(list[0]->name, "x86");
	cr_assert_null(thpsim_profile_find("x86-65"));
	check_contains(thpsim_errmsg(), "broadcast-norcu");
	bad = *thpsim_profile_find("arm64");
	bad.rcu_table_free = false;	/* an RCU batch without RCU free */
	check_err(thpsim_profile_validate(&bad), -THPSIM_EPROFILE);
	cr_assert(thpsim_profile_find("ppc64-radix")->deposit ==
		  THPSIM_DEPOSIT_RADIX);
	cr_assert(!thpsim_profile_find("x86")->rcu_table_free);
	cr_assert(thpsim_profile_find("x86-paravirt")->table_free ==
		  THPSIM_TABLE_FREE_AFTER_FLUSH);
}
