/*
 * cli_signal.h - how the thpsim command ends on a signal.
 *
 * main() calls cli_signals_init(): a fatal signal (SIGINT, SIGTERM,
 * SIGHUP, SIGQUIT, SIGPIPE) removes any trace temporary, then kills the
 * process as it would have (a signal ignored when thpsim started stays
 * ignored).  stress and explore call cli_signals_stop(fn) around their
 * run: the first SIGINT, SIGTERM or SIGHUP records its number in
 * cli_stop_signal and calls fn (async-signal-safe, e.g. it sets the
 * run's stop flag); the run ends, prints what it found and exits with
 * cli_exit_status(); a second one kills at once.
 */
#ifndef THPSIM_SIM_CLI_SIGNAL_H
#define THPSIM_SIM_CLI_SIGNAL_H

#include <signal.h>
#include <stdbool.h>

extern volatile sig_atomic_t cli_stop_signal;

void cli_signals_init(void);
/* fn NULL: back to cli_signals_init()'s handlers. */
void cli_signals_stop(void (*fn)(void));
/* 1 when a violation was found; else 128 + the stop signal, if one
 * stopped the run (not a proof of safety); else 0. */
int cli_exit_status(bool violation);

#endif
