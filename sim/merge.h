/*
 * merge.h - what `thpsim merge` knows per kind of sharded output
 * (cmd_merge.c): the JSON member holding the rows (NULL: the kind merges
 * its own way, as explore does in merge_explore.c), and whether CSV is
 * offered.
 */
#ifndef THPSIM_SIM_MERGE_H
#define THPSIM_SIM_MERGE_H

#include <stdbool.h>
#include <string.h>

/* The array of rows: "cells" for a matrix, "rows" for scale; NULL for explore. */
static inline const char *merge_rows_key(const char *kind)
{
	if (!strcmp(kind, "scale"))
		return "rows";
	return !strcmp(kind, "matrix") ? "cells" : NULL;
}

static inline bool merge_csv_ok(const char *kind)
{
	return !strcmp(kind, "matrix") || !strcmp(kind, "scale");
}

#endif
