/*
 * cli_list.c - comma-separated option values (cli_list.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli_list.h"
#include "opts.h"

int cli_parse_list(const char *opt, const char *s, struct list *l,
		   int (*check)(const char *))
{
	char *save = NULL, *tok;

	free(l->buf);
	l->buf = strdup(s);
	l->n = 0;
	if (!l->buf)
		return opts_error("out of memory");
	if (!*s)
		return opts_error("--%s: empty list", opt);
	for (const char *p = s; *p; p++)
		if (*p == ',' && (p == s || p[1] == ',' || !p[1]))
			return opts_error("--%s: '%s' has an empty item (items are separated by single commas)",
					  opt, opts_show(s));
	for (tok = strtok_r(l->buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (l->n == LIST_MAX)
			return opts_error("--%s: more than %d items", opt, LIST_MAX);
		if (check(tok))
			return OPTS_USAGE;
		l->item[l->n++] = tok;
	}
	if (!l->n)
		return opts_error("--%s: empty list", opt);
	return OPTS_OK;
}
