/*
 * cli_list.h - comma-separated option values ("--scenarios S1,S2"), each
 * item checked by the caller's function, shared by `matrix` and `verify`.
 */
#ifndef THPSIM_CLI_LIST_H
#define THPSIM_CLI_LIST_H

#define LIST_MAX 32

struct list {
	const char *item[LIST_MAX];
	int n;
	char *buf;		/* the items point into it; free() it */
};

/*
 * Split s into l (replacing what l held); check(item) prints its own
 * error and returns non-zero for a bad item.  OPTS_OK, or OPTS_USAGE
 * with a message naming opt and the bad value (empty list or item, too
 * many items, a bad item).
 */
int cli_parse_list(const char *opt, const char *s, struct list *l,
		   int (*check)(const char *));

#endif
