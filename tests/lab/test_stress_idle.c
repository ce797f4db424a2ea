/*
 * test_stress_idle.c - free-running stress with idle CPUs outside the mm
 * (real pthreads that sleep and take signals): the per-CPU interrupt
 * counts show the sync IPI reaching them and the x86 flush not.  Counts,
 * not races: one short run per case, nothing probabilistic to retry.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "thpsim/thpsim.h"

static void run(const char *profile, const char *fix, unsigned idle,
		thpsim_stress_result_t *r)
{
	thpsim_stress_config_t sc;

	thpsim_stress_config_init(&sc);
	sc.profile = profile;
	sc.fix = fix;
	sc.duration_ns = 400000000u;
	sc.idle_cpus = idle;
	cr_assert_eq(thpsim_stress_run(&sc, r), 0, "%s/%s: %s", profile, fix,
		     thpsim_errmsg());
	cr_assert(!thpsim_outcome_is_violation(r->verdict.outcome) ||
		  !strcmp(fix, "none"), "%s/%s: %s", profile, fix,
		  thpsim_outcome_name(r->verdict.outcome));
	cr_assert_eq(r->nr_cpus, 4 + idle);	/* control, K, U, 1 walker */
	for (unsigned i = 1; i < r->nr_cpus; i++)
		cr_assert_lt(r->cpus[i - 1].cpu, r->cpus[i].cpu);
}

/* Sum over the rows of one role. */
static thpsim_irq_counts_t role(const thpsim_stress_result_t *r,
				const char *name, unsigned *n)
{
	thpsim_irq_counts_t s = { 0, 0 };

	*n = 0;
	for (unsigned i = 0; i < r->nr_cpus; i++)
		if (!strcmp(r->cpus[i].role, name)) {
			s.cal += r->cpus[i].irqs.cal;
			s.tlb += r->cpus[i].irqs.tlb;
			cr_assert_eq(r->cpus[i].in_mm, strcmp(name, "idle") &&
						       strcmp(name, "control"));
			(*n)++;
		}
	return s;
}

Test(stress_idle, sync_ipi_reaches_idle_cpus, .timeout = 30)
{
	thpsim_stress_result_t r;
	thpsim_irq_counts_t idle;
	unsigned n;

	run("arm64", "ipi-sync", 2, &r);
	cr_assert_gt(r.counters.collapses_ok, 0);
	for (unsigned i = 0; i < r.nr_cpus; i++)
		if (!strcmp(r.cpus[i].role, "idle"))
			cr_assert_geq(r.cpus[i].irqs.cal, 1, "idle CPU %d: no sync IPI",
				      r.cpus[i].cpu);
	idle = role(&r, "idle", &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(idle.tlb, 0);
}

Test(stress_idle, x86_flush_skips_idle_cpus, .timeout = 30)
{
	thpsim_stress_result_t r;
	thpsim_irq_counts_t idle, walker;
	unsigned n;

	run("x86", "none", 2, &r);
	idle = role(&r, "idle", &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(idle.cal, 0, "idle CPUs took %llu IPIs",
		     (unsigned long long)idle.cal);
	cr_assert_eq(idle.tlb, 0);
	walker = role(&r, "walker", &n);
	cr_assert_eq(n, 1);
	cr_assert_gt(walker.tlb, 0, "the walker took no flush IPI");
	cr_assert_geq(walker.cal, walker.tlb);
}

Test(stress_idle, bad_count_is_named, .timeout = 30)
{
	thpsim_stress_config_t sc;
	thpsim_stress_result_t r;

	thpsim_stress_config_init(&sc);
	sc.idle_cpus = THPSIM_IDLE_CPUS_MAX + 1;
	cr_assert_eq(thpsim_stress_run(&sc, &r), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "idle_cpus 17"), "%s", thpsim_errmsg());
}
