/*
 * cli_replay.h - what explore, replay and run share: the model options'
 * table entries, the replay command line, and --trace files.
 */
#ifndef THPSIM_SIM_CLI_REPLAY_H
#define THPSIM_SIM_CLI_REPLAY_H

#include <stdio.h>

#include "thpsim/explore.h"
#include "model_opts.h"

/* Validate scenario and model options into rc; prints the error. */
int cli_model_config(const char *cmd, const char *scenario,
		     const struct model_opts *mo, thpsim_run_config_t *rc);
/* "thpsim replay S1 --profile ... --schedule STR" on f. */
void cli_print_replay(FILE *f, const thpsim_run_config_t *rc,
		      const struct model_opts *mo, const char *schedule);
/* --trace FILE: open before the run (exit-2 error printed), commit
 * after it (exit-3 error printed); NULL path: nothing. */
int cli_trace_open(const char *path, thpsim_trace_file_t **tf);
int cli_trace_commit(thpsim_trace_file_t *tf, const char *json);

#endif
