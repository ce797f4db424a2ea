/* cli_signal.c - signals end a run with its results (see cli_signal.h). */
#include <stddef.h>

#include "cli_signal.h"
#include "cmds.h"
#include "thpsim/explore.h"

volatile sig_atomic_t cli_stop_signal;
static void (*volatile stop_fn)(void);

static const int fatal[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
#define NR_FATAL (sizeof(fatal) / sizeof(fatal[0]))
static bool ignored[NR_FATAL];

static void die(int sig)
{
	thpsim_trace_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);	/* delivered when the handler returns */
}

static void on_stop(int sig)
{
	void (*fn)(void) = stop_fn;

	if (cli_stop_signal || !fn) {
		die(sig);
		return;
	}
	cli_stop_signal = sig;
	fn();
}

static void install(void (*handler)(int), bool stoppers_only)
{
	for (size_t i = 0; i < NR_FATAL; i++) {
		struct sigaction sa = { .sa_handler = handler,
					.sa_flags = SA_RESTART };
		bool stopper = fatal[i] == SIGINT || fatal[i] == SIGTERM ||
			       fatal[i] == SIGHUP;

		if (ignored[i] || (stoppers_only && !stopper))
			continue;
		sigemptyset(&sa.sa_mask);
		sigaction(fatal[i], &sa, NULL);
	}
}

void cli_signals_init(void)
{
	for (size_t i = 0; i < NR_FATAL; i++) {
		struct sigaction old;

		ignored[i] = !sigaction(fatal[i], NULL, &old) &&
			     old.sa_handler == SIG_IGN;
	}
	install(die, false);
}

void cli_signals_stop(void (*fn)(void))
{
	stop_fn = fn;
	install(fn ? on_stop : die, true);
}

int cli_exit_status(bool violation)
{
	if (violation)
		return EXIT_VIOLATION;
	if (cli_stop_signal)
		return 128 + cli_stop_signal;
	return EXIT_CLEAN;
}
