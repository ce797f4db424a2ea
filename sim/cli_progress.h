/*
 * cli_progress.h - periodic statistics of a long run (stress, explore),
 * as rcutorture prints them: on stderr, one line per interval, so a run
 * killed by anything leaves evidence; on a terminal, one line rewritten
 * in place, cleared at the end.
 */
#ifndef THPSIM_SIM_CLI_PROGRESS_H
#define THPSIM_SIM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

/* --stats-interval, to splice into a table; `dest` is a uint64_t that
 * cli_progress_init() reads (CLI_STATS_DEFAULT: not given). */
#define CLI_STATS_DEFAULT UINT64_MAX
#define CLI_STATS_OPT(dest)                                                  \
	{ "stats-interval", OPT_UINT, (dest), "SECONDS",                     \
	  "print statistics on stderr every SECONDS while running (0: never)", \
	  0, 86400, NULL, "10; 1 on a terminal" }

struct cli_progress {
	uint64_t interval_ns;	/* 0: off */
	uint64_t start_ns, next_ns;
	bool tty;		/* stderr is a terminal: rewrite one line */
	bool shown;		/* a terminal line is on screen */
};

void cli_progress_init(struct cli_progress *p, uint64_t interval_s);
uint64_t cli_progress_now_ns(void);
/* Is a line due now?  Moves the deadline on when it is. */
bool cli_progress_due(struct cli_progress *p);
/* "thpsim: <what>: <elapsed> s: <text>" on stderr. */
void cli_progress_line(struct cli_progress *p, const char *what,
		       double elapsed_s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Clear a terminal line; call before printing the results. */
void cli_progress_end(struct cli_progress *p);

#endif
