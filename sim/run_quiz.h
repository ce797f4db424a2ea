/*
 * run_quiz.h - `thpsim run --predict / --answer / --solve`: the lab mode
 * that asks for the outcome before it shows it (docs/labs/README.md).
 */
#ifndef THPSIM_SIM_RUN_QUIZ_H
#define THPSIM_SIM_RUN_QUIZ_H

#include "thpsim/thpsim.h"

/* Print the question for rc: what runs, in which order, on which
 * profile with which fix; the outcome is not shown.  Returns EXIT_CLEAN. */
int run_quiz_ask(const thpsim_run_config_t *rc, const char *cmdline);
/* Judge an answer against the computed outcome of res: EXIT_CLEAN when
 * it is right, EXIT_VIOLATION when not (the outcome stays hidden). */
int run_quiz_answer(const thpsim_run_result_t *res, const char *answer,
		    const char *cmdline);

#endif
