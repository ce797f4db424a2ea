/* cli_progress.c - periodic statistics on stderr (see cli_progress.h). */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli_progress.h"

uint64_t cli_progress_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

void cli_progress_init(struct cli_progress *p, uint64_t interval_s)
{
	p->tty = isatty(2);
	if (interval_s == CLI_STATS_DEFAULT)
		interval_s = p->tty ? 1 : 10;
	p->interval_ns = interval_s * 1000000000u;
	p->start_ns = cli_progress_now_ns();
	p->next_ns = p->start_ns + p->interval_ns;
	p->shown = false;
}

bool cli_progress_due(struct cli_progress *p)
{
	uint64_t now;

	if (!p->interval_ns)
		return false;
	now = cli_progress_now_ns();
	if (now < p->next_ns)
		return false;
	while (p->next_ns <= now)
		p->next_ns += p->interval_ns;
	return true;
}

void cli_progress_line(struct cli_progress *p, const char *what,
		       double elapsed_s, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%sthpsim: %s: %.1f s: ", p->tty ? "\r" : "", what,
		elapsed_s);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(p->tty ? "\033[K" : "\n", stderr);
	fflush(stderr);
	p->shown = p->tty;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}
