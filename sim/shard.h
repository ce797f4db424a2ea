/*
 * shard.h - `--shard K/N`: a deterministic split of a command's work into
 * N pieces, and the metadata that lets `thpsim merge` join the pieces'
 * outputs into exactly the bytes one unsharded run prints (docs/SWEEPS.md).
 *
 * A piece of work with index i (0-based, in the unsharded output order)
 * belongs to shard K when i % N == K - 1 (round robin, so the costly and
 * the cheap rows spread evenly).  A sharded CSV output starts with
 *	#thpsim-shard,KIND,K,N,TOTAL,CONFIG
 * then the unsharded header with "index," in front, then the shard's rows
 * each with its index in front.  A sharded JSON output is the unsharded
 * object with a "shard" member first ({kind, k, n, total, config}) and an
 * "index" member first in each row.  CONFIG is a hash of everything but
 * the shard, so pieces of different sweeps are refused.
 */
#ifndef THPSIM_SIM_SHARD_H
#define THPSIM_SIM_SHARD_H

#include <stdbool.h>
#include <stdint.h>

struct shard {
	uint64_t k, n;		/* 1 <= k <= n; n == 0: not sharded */
};

/* Parse "K/N"; OPTS_USAGE with a message naming s when it is not one. */
int shard_parse(const char *opt, const char *s, struct shard *out);
static inline bool shard_on(const struct shard *s)
{
	return s->n != 0;
}
/* Does work item i belong to this shard (always, when not sharded)? */
static inline bool shard_has(const struct shard *s, uint64_t i)
{
	return !s->n || i % s->n == s->k - 1;
}

/* A sharded JSON row: {"index": i} followed by row's members (row is
 * consumed). */
struct json_t;
struct json_t *shard_json_row(struct json_t *row, uint64_t i);

/* FNV-1a over strings, for CONFIG. */
uint64_t shard_hash(uint64_t h, const char *s);
#define SHARD_HASH_INIT 0xcbf29ce484222325ull
/* CONFIG: the command and every argument but --shard's. */
uint64_t shard_config_hash(const char *cmd, int argc, char **argv);

#endif
