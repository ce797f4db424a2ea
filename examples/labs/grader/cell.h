/*
 * cell.h - one cell of the matrix written as `thpsim run` arguments:
 *
 *	S1 --profile arm64 --fix none --no-pmd-recheck
 *
 * as the answer files of exercises 1 and 3 name them.  Only the options
 * below are allowed; anything else is refused with a message naming it.
 */
#ifndef THPSIM_LAB_CELL_H
#define THPSIM_LAB_CELL_H

#include <stdio.h>
#include <string.h>

#include <thpsim/thpsim.h>

struct cell {
	char scenario[16];
	char profile[32];
	char fix[64];
	char geometry[16];
	thpsim_knobs_t knobs;
};

/* Parse words (modified in place) into c; 0, or -1 with why in err. */
static inline int cell_parse(char *words, struct cell *c, char *err,
			     size_t errlen)
{
	thpsim_run_config_t rc;
	char *save = NULL, *w;

	thpsim_run_config_init(&rc);
	memset(c, 0, sizeof(*c));
	c->knobs = rc.knobs;
	snprintf(c->profile, sizeof(c->profile), "arm64");
	snprintf(c->fix, sizeof(c->fix), "none");
	snprintf(c->geometry, sizeof(c->geometry), "2x4");
	w = strtok_r(words, " \t", &save);
	if (!w || !thpsim_scenario_find(w)) {
		snprintf(err, errlen, "no scenario id first (got '%s')", w ? w : "");
		return -1;
	}
	snprintf(c->scenario, sizeof(c->scenario), "%s", w);
	while ((w = strtok_r(NULL, " \t", &save))) {
		char *val = NULL;

		if (!strcmp(w, "--profile") || !strcmp(w, "--fix") ||
		    !strcmp(w, "--geometry")) {
			val = strtok_r(NULL, " \t", &save);
			if (!val) {
				snprintf(err, errlen, "%s needs a value", w);
				return -1;
			}
		}
		if (!strcmp(w, "--profile"))
			snprintf(c->profile, sizeof(c->profile), "%s", val);
		else if (!strcmp(w, "--fix"))
			snprintf(c->fix, sizeof(c->fix), "%s", val);
		else if (!strcmp(w, "--geometry"))
			snprintf(c->geometry, sizeof(c->geometry), "%s", val);
		else if (!strcmp(w, "--no-pmd-recheck"))
			c->knobs.pmd_recheck = false;
		else if (!strcmp(w, "--no-retract-recheck"))
			c->knobs.retract_recheck = false;
		else if (!strcmp(w, "--fail-table-batch"))
			c->knobs.fail_table_batch = true;
		else if (!strcmp(w, "--radix-garbage-passes"))
			c->knobs.radix_garbage_passes = true;
		else {
			snprintf(err, errlen,
				 "unknown option '%s' (allowed: --profile --fix --geometry --no-pmd-recheck --no-retract-recheck --fail-table-batch --radix-garbage-passes)",
				 w);
			return -1;
		}
	}
	if (!thpsim_profile_find(c->profile)) {
		snprintf(err, errlen, "%s", thpsim_errmsg());
		return -1;
	}
	return 0;
}

/* Strip a trailing newline and a '#' comment; NULL for a blank line. */
static inline char *cell_line(char *line)
{
	char *hash = strchr(line, '#');

	if (hash)
		*hash = 0;
	line[strcspn(line, "\r\n")] = 0;
	while (*line == ' ' || *line == '\t')
		line++;
	return *line ? line : NULL;
}

#endif
