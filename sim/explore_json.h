/*
 * explore_json.h - `thpsim explore --format json` (no timings, so that
 * `thpsim merge` can rebuild it byte for byte from `--shard K/N` runs)
 * and the merge of those shards (merge_explore.c).
 */
#ifndef THPSIM_SIM_EXPLORE_JSON_H
#define THPSIM_SIM_EXPLORE_JSON_H

#include <jansson.h>

#include "thpsim/explore.h"
#include "model_opts.h"
#include "shard.h"

/* How both print: --switch-prob reads back as given (0.05, not
 * 0.050000000000000003). */
#define EXPLORE_JSON_FLAGS (JSON_INDENT(1) | JSON_REAL_PRECISION(10))

/* Print the exploration as JSON on stdout; with a shard, its "shard"
 * member first and the "state_hashes" last.  EXIT_CLEAN or
 * EXIT_INTERNAL. */
int explore_print_json(const thpsim_explore_config_t *ec,
		       const thpsim_explore_result_t *xr,
		       const struct model_opts *mo, const struct shard *sh,
		       uint64_t config);

/* Merge explore shards (roots[0..n), paths for messages; the shard
 * metadata already checked: same sweep, every shard once) and print. */
int merge_explore(json_t *const *roots, const char *const *paths, int n);

#endif
