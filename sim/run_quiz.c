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

/* The scenario's threads and its script, in words. */
static void print_script(const thpsim_scenario_def_t *d)
{
	const thpsim_script_step_t *st;

	printf("Threads:\n");
	for (unsigned i = 0; i < THPSIM_SCENARIO_THREADS_MAX && d->threads[i].name; i++)
		printf("  %c  %s\n", d->threads[i].name, d->threads[i].role);
	printf("Script (the same for every profile and fix):\n");
	for (st = d->script; st && st->op != THPSIM_STEP_END; st++) {
		switch (st->op) {
		case THPSIM_STEP_RUN_UNTIL:
			printf("  %c runs until it reaches %s (or blocks, or ends)\n",
			       st->thread, thpsim_sched_point_name(st->point));
			break;
		case THPSIM_STEP_RUN:
			printf("  %c runs until it blocks or ends\n", st->thread);
			break;
		case THPSIM_STEP_PREEMPT:
			printf("  the host preempts %c's vCPU\n", st->thread);
			break;
		default:
			break;
		}
	}
	printf("  then every thread left runs to its end\n\n");
}

int run_quiz_ask(const thpsim_run_config_t *rc, const char *cmdline)
{
	const thpsim_scenario_info_t *si = thpsim_scenario_find(rc->scenario);
	const thpsim_scenario_def_t *d = thpsim_scenario_def_find(rc->scenario);

	printf("Question: %s on %s with fix %s.\n", si->id, rc->profile,
	       rc->fix);
	printf("  %s\n\n", si->title);
	if (d)
		print_script(d);
	printf("What is the run's outcome (its most severe class)?\n\n");
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
