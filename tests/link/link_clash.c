/*
 * link_clash.c - a student program that defines functions and data named
 * like the kernel's (spin_lock, per_cpu, get_page, find_vma) and links the
 * installed thpsim library: it must link (the library exports only
 * thpsim_* symbols, docs/DESIGN.md "Symbols") and both must work — the
 * program's own spin_lock is the one it calls, and the library's scenario
 * runs still compute their outcome.  Exit 0 on success.
 */
#include <stdio.h>
#include <string.h>

#include <thpsim/thpsim.h>

/* The student's own, with other signatures than the model's. */
int per_cpu[4] = { 1, 2, 3, 4 };
static int locked;

int spin_lock(int cpu)
{
	locked = per_cpu[cpu];
	return locked;
}

long get_page(const char *s)
{
	return (long)strlen(s);
}

const char *find_vma(void)
{
	return "student";
}

int main(void)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	int err;

	if (spin_lock(2) != 3 || get_page("abcd") != 4 ||
	    strcmp(find_vma(), "student") != 0) {
		fprintf(stderr, "link_clash: the program's own symbols were "
				"not the ones called\n");
		return 1;
	}
	thpsim_run_config_init(&rc);
	rc.scenario = "S1";
	rc.profile = "arm64";
	rc.fix = "none";
	err = thpsim_scenario_run(&rc, &res);
	if (err) {
		fprintf(stderr, "link_clash: S1: %s (%s)\n",
			thpsim_strerror(err), thpsim_errmsg());
		return 1;
	}
	printf("S1 arm64 none: %s\n", thpsim_outcome_name(res.verdict.outcome));
	/* KERNEL-NOTES section 8: S1 on arm64 without a fix is a UAF. */
	err = res.verdict.outcome != THPSIM_OUTCOME_UAF;
	thpsim_run_result_fini(&res);
	return err;
}
