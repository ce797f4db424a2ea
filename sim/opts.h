/*
 * opts.h - table-driven option parsing for the thpsim command.
 *
 * One table per subcommand drives both parsing and --help (git
 * parse-options layout: usage, then the options in two columns, 24 wide,
 * with [default: X] and {a|b|c}).  Every error names the option, the bad
 * value and what is allowed, and suggests the closest name.
 */
#ifndef THPSIM_SIM_OPTS_H
#define THPSIM_SIM_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum opt_type {
	OPT_FLAG,	/* bool, no value */
	OPT_UINT,	/* uint64_t in [min, max], K/M/G suffixes */
	OPT_STRING,	/* const char * */
	OPT_CHOICE,	/* int index into choices[] */
};

struct opt {
	const char *name;	/* long name without "--"; NULL ends the table */
	enum opt_type type;
	void *dest;		/* bool *, uint64_t *, const char **, int * */
	const char *metavar;	/* "N", "FILE" */
	const char *help;
	uint64_t min, max;	/* OPT_UINT range */
	const char *const *choices; /* OPT_CHOICE, NULL-terminated */
	const char *def;	/* shown as [default: X] */
};

struct cmd {
	const char *name;		/* "selfcheck" */
	const char *usage;		/* "thpsim selfcheck [options]" */
	const char *summary;		/* one line */
	const struct opt *opts;
	int max_positional;		/* positional arguments accepted */
};

enum { OPTS_OK = 0, OPTS_HELP = -1, OPTS_USAGE = 2 };

/*
 * Parse argv[0..argc) (argv[0] is the first argument after the
 * subcommand).  "--" ends the options: what follows is positional.  A
 * value that begins with "--" is refused unless written --opt=VALUE.  Positional arguments are stored in pos[] (up to
 * cmd->max_positional).  Returns OPTS_OK, OPTS_HELP (help printed on
 * stdout) or OPTS_USAGE (error printed on stderr).
 */
int opts_parse(const struct cmd *cmd, int argc, char **argv,
	       const char **pos, int *nr_pos);
void opts_help(const struct cmd *cmd, FILE *out);

/* Strict unsigned parse with optional K/M/G (x1000) suffix. */
bool opts_parse_u64(const char *s, uint64_t *out);
/* Edit distance, for "did you mean". */
unsigned opts_distance(const char *a, const char *b);
/*
 * A command-line value as it may be echoed in a message: control
 * characters escaped (\n, \x1b), cut after OPTS_SHOW_MAX characters with
 * the full length said.  Static storage, OPTS_SHOW_SLOTS calls deep.
 */
#define OPTS_SHOW_MAX 64
#define OPTS_SHOW_SLOTS 8
const char *opts_show(const char *s);
/* Print "thpsim: error: ..." to stderr (control characters escaped) and
 * return OPTS_USAGE. */
int opts_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
