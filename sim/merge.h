/*
 * merge.h - what `thpsim merge` knows per kind of sharded output
 * (cmd_merge.c): the JSON member holding the rows, the members that add
 * up across shards instead of being equal, and whether CSV is offered.
 */
#ifndef THPSIM_SIM_MERGE_H
#define THPSIM_SIM_MERGE_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

/* The array of rows: "cells" for a matrix. */
static inline const char *merge_rows_key(const char *kind)
{
	(void)kind;
	return "cells";
}

/* A member summed over the shards (none for a matrix). */
static inline bool merge_summable(const char *kind, const char *key)
{
	(void)kind;
	(void)key;
	return false;
}

static inline json_t *merge_sum(const char *key, json_t **all, int n)
{
	(void)key;
	(void)all;
	(void)n;
	return json_null();
}

/* Recompute what derives from the merged members (nothing for a matrix). */
static inline void merge_finish(const char *kind, json_t *out)
{
	(void)kind;
	(void)out;
}

static inline bool merge_csv_ok(const char *kind)
{
	return !strcmp(kind, "matrix");
}

#endif
