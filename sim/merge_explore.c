/*
 * merge_explore.c - `thpsim merge` for `thpsim explore --shard K/N
 * --format json` (explore_json.h): the counts add up, the distinct
 * terminal states are the union of the shards' state hashes, and the
 * first violation is the one with the lowest schedule index, so the
 * result is the unsharded exploration's, byte for byte.  Every other
 * member (the configuration) must be equal in all shards.
 */
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "explore_json.h"
#include "opts.h"

static bool summed(const char *key)
{
	return !strcmp(key, "schedules") || !strcmp(key, "exercised") ||
	       !strcmp(key, "violations");
}

static bool derived(const char *key)
{
	return summed(key) || !strcmp(key, "shard") ||
	       !strcmp(key, "state_hashes") || !strcmp(key, "distinct_states") ||
	       !strcmp(key, "outcomes") || !strcmp(key, "first_violation");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* |union of the shards' state_hashes| */
static int distinct(json_t *const *roots, const char *const *paths, int n,
		    json_int_t *out)
{
	size_t total = 0, k = 0, d = 0;
	const char **all;
	json_t *v;
	size_t i;

	for (int f = 0; f < n; f++) {
		json_t *hs = json_object_get(roots[f], "state_hashes");

		if (!json_is_array(hs))
			return opts_error("merge: '%s': no \"state_hashes\" array", paths[f]);
		total += json_array_size(hs);
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return opts_error("merge: out of memory");
	for (int f = 0; f < n; f++)
		json_array_foreach(json_object_get(roots[f], "state_hashes"), i, v) {
			if (!json_is_string(v)) {
				free(all);
				return opts_error("merge: '%s': state hash %zu is not a string",
						  paths[f], i);
			}
			all[k++] = json_string_value(v);
		}
	qsort(all, k, sizeof(*all), cmp_str);
	for (i = 0; i < k; i++)
		d += !i || strcmp(all[i], all[i - 1]);
	free(all);
	*out = (json_int_t)d;
	return OPTS_OK;
}

static json_t *sum_outcomes(json_t *const *roots, int n)
{
	json_t *out = json_deep_copy(json_object_get(roots[0], "outcomes")), *v;
	const char *key;

	json_object_foreach(out, key, v) {
		json_int_t s = 0;

		for (int f = 0; f < n; f++)
			s += json_integer_value(json_object_get(
				json_object_get(roots[f], "outcomes"), key));
		json_object_set_new(out, key, json_integer(s));
	}
	return out;
}

static json_t *first_of_all(json_t *const *roots, int n)
{
	json_t *best = NULL;

	for (int f = 0; f < n; f++) {
		json_t *fv = json_object_get(roots[f], "first_violation");

		if (json_is_object(fv) &&
		    (!best || json_integer_value(json_object_get(fv, "index")) <
			      json_integer_value(json_object_get(best, "index"))))
			best = fv;
	}
	return best ? json_incref(best) : json_null();
}

int merge_explore(json_t *const *roots, const char *const *paths, int n)
{
	json_t *out, *v;
	const char *key;
	json_int_t d = 0;
	int err;

	for (int f = 1; f < n; f++)
		json_object_foreach(roots[f], key, v)
			if (!derived(key) && !json_equal(v, json_object_get(roots[0], key)))
				return opts_error("merge: '%s': member \"%s\" differs from '%s'",
						  paths[f], key, paths[0]);
	for (int f = 0; f < n; f++)
		if (!json_is_object(json_object_get(roots[f], "outcomes")))
			return opts_error("merge: '%s': no \"outcomes\" object", paths[f]);
	err = distinct(roots, paths, n, &d);
	if (err)
		return err;
	out = json_object();
	json_object_foreach(roots[0], key, v) {
		if (!strcmp(key, "shard") || !strcmp(key, "state_hashes"))
			continue;
		if (summed(key)) {
			json_int_t s = 0;

			for (int f = 0; f < n; f++)
				s += json_integer_value(json_object_get(roots[f], key));
			json_object_set_new(out, key, json_integer(s));
		} else if (!strcmp(key, "distinct_states")) {
			json_object_set_new(out, key, json_integer(d));
		} else if (!strcmp(key, "outcomes")) {
			json_object_set_new(out, key, sum_outcomes(roots, n));
		} else if (!strcmp(key, "first_violation")) {
			json_object_set_new(out, key, first_of_all(roots, n));
		} else {
			json_object_set(out, key, v);
		}
	}
	err = json_dumpf(out, stdout, EXPLORE_JSON_FLAGS) < 0 ? EXIT_INTERNAL : EXIT_CLEAN;
	if (!err)
		putchar('\n');
	json_decref(out);
	return err;
}
