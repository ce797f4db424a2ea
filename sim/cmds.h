/* cmds.h - the thpsim subcommands. */
#ifndef THPSIM_SIM_CMDS_H
#define THPSIM_SIM_CMDS_H

/* Exit statuses (docs/cli.md): the contract of every subcommand. */
enum {
	EXIT_CLEAN = 0,		/* ran; no violation */
	EXIT_VIOLATION = 1,	/* the oracle found a violation */
	EXIT_USAGE = 2,		/* bad usage or input */
	EXIT_INTERNAL = 3,	/* internal, setup or output error */
	/* 4: verify, bound reached (cmd_verify.c) */
	EXIT_VACUOUS = 5,	/* stress, explore: the race was not exercised */
	/* 128 + N: stopped by signal N, no violation found (cli_signal.h) */
};

int cmd_selfcheck(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_explore(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_stress(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_scale(int argc, char **argv);
int cmd_verify(int argc, char **argv);
/* `thpsim` with no arguments: the matrix of S1-S5. */
int cmd_matrix_default(void);

/* "thpsim", or a lab binary's argv[0], then every --load FILE: the start
 * of the command lines the command prints for the user to paste. */
const char *cli_invocation(void);

#endif
