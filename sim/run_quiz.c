/*
 * run_quiz.c - the "predict, then --solve" mode of `thpsim run`.
 *
 * --predict prints the scenario, its threads, the profile and the fix,
 * and the outcomes to choose from; --answer X runs the model and says
 * only whether X is the outcome it computed; --solve is a plain run with
 * its timeline.  The outcome is never looked up: --answer runs the same
 * scripted run as `thpsim run`.
 */
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "run_quiz.h"

static void print_outcomes(void)
{
	printf("Outcomes, most severe first:\n");
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		printf("  %-11s %s\n", thpsim_outcome_name((thpsim_outcome_t)c),
		       thpsim_outcome_doc((thpsim_outcome_t)c));
}

int run_quiz_ask(const thpsim_run_config_t *rc, const char *cmdline)
{
	const thpsim_scenario_info_t *si = thpsim_scenario_find(rc->scenario);

	printf("Question: %s on %s with fix %s.\n", si->id, rc->profile,
	       rc->fix);
	printf("  %s\n", si->title);
	printf("  threads: %s\n\n", si->threads);
	printf("The scenario's script runs these threads in its one order "
	       "(docs/KERNEL-NOTES.md section 8, docs/scenarios.md).\n"
	       "What is the run's outcome (its most severe class)?\n\n");
	print_outcomes();
	printf("\nAnswer:   %s --answer OUTCOME\n", cmdline);
	printf("Solution: %s --solve\n", cmdline);
	return EXIT_CLEAN;
}

int run_quiz_answer(const thpsim_run_result_t *res, const char *answer,
		    const char *cmdline)
{
	int want = thpsim_outcome_parse(answer);

	if (want == (int)res->verdict.outcome) {
		printf("right: the outcome is %s\n", thpsim_outcome_name(res->verdict.outcome));
		printf("See why: %s --solve\n", cmdline);
		return EXIT_CLEAN;
	}
	printf("not %s: the run's most severe class is another one\n",
	       thpsim_outcome_name((thpsim_outcome_t)want));
	printf("Try again, or see it: %s --solve\n", cmdline);
	return EXIT_VIOLATION;
}
