/*
 * tsan_stress.c - the free-running stress engine (thpsim/workload.h)
 * under ThreadSanitizer: a plain program (Criterion does not start under
 * TSan), short runs of every mechanism: the x86 flush IPI, the empty sync
 * IPI by signal and by membarrier, RCU table frees, stalls with vCPU
 * preemption, the file replacement.  Exit 0 = pass: no data race report
 * (TSan's halt_on_error), no setup error and no violation where a fix
 * holds.
 */
#include <stdio.h>
#include <stdlib.h>

#include "thpsim/thpsim.h"

static int run(const char *profile, const char *fix, thpsim_ipi_backend_t ipi)
{
	thpsim_stress_config_t sc;
	thpsim_stress_result_t r;
	int err;

	thpsim_stress_config_init(&sc);
	sc.profile = profile;
	sc.fix = fix;
	sc.walkers = 2;
	sc.duration_ns = 300000000u;
	sc.stall_ns = 100000;
	sc.stall_every = 3;
	sc.ipi = ipi;
	sc.grace_ns = 10000000000u;	/* TSan is slow */
	err = thpsim_stress_run(&sc, &r);
	if (err) {
		fprintf(stderr, "tsan_stress: %s/%s: %s\n", profile, fix,
			thpsim_errmsg());
		return 1;
	}
	if (thpsim_outcome_is_violation(r.verdict.outcome)) {
		fprintf(stderr, "tsan_stress: %s/%s: false positive\n", profile, fix);
		thpsim_verdict_print(&r.verdict, stderr);
		return 1;
	}
	printf("%s/%s: %llu walks, %llu collapses\n", profile, fix,
	       (unsigned long long)r.counters.walks,
	       (unsigned long long)r.counters.collapses_ok);
	return 0;
}

int main(void)
{
	int bad = 0;

	bad |= run("x86", "none", THPSIM_IPI_SIGNAL);
	bad |= run("arm64", "ipi-sync", THPSIM_IPI_MEMBARRIER);
	bad |= run("arm64", "fresh-table", THPSIM_IPI_SIGNAL);
	bad |= run("x86-kvm-pv", "pte-free-defer", THPSIM_IPI_SIGNAL);
	return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
