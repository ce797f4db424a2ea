/*
 * shard.c - parsing `--shard K/N` and hashing a sweep's configuration
 * (see shard.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "shard.h"

#define SHARD_N_MAX 1000000

int shard_parse(const char *opt, const char *s, struct shard *out)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	char k[32];
	uint64_t kv, nv;

	if (!slash || (size_t)(slash - s) >= sizeof(k))
		return opts_error("--%s: '%s' is not K/N (e.g. 1/4: the first of 4 shards)",
				  opt, s ? s : "");
	memcpy(k, s, (size_t)(slash - s));
	k[slash - s] = 0;
	if (!*k || !slash[1] || strpbrk(s, "kKmMgG") ||
	    !opts_parse_u64(k, &kv) || !opts_parse_u64(slash + 1, &nv))
		return opts_error("--%s: '%s' is not K/N with whole numbers (e.g. 1/4)",
				  opt, s);
	if (nv < 1 || nv > SHARD_N_MAX || kv < 1 || kv > nv)
		return opts_error("--%s: '%s' is out of range (allowed: 1 <= K <= N <= %d)",
				  opt, s, SHARD_N_MAX);
	out->k = kv;
	out->n = nv;
	return OPTS_OK;
}

uint64_t shard_hash(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	h ^= 0xff;	/* a separator: "ab","c" differs from "a","bc" */
	return h * 0x100000001b3ull;
}

struct json_t *shard_json_row(struct json_t *row, uint64_t i)
{
	json_t *r = json_pack("{s:I}", "index", (json_int_t)i);

	if (r && row)
		json_object_update(r, row);
	json_decref(row);
	return r;
}

uint64_t shard_config_hash(const char *cmd, int argc, char **argv)
{
	uint64_t h = shard_hash(SHARD_HASH_INIT, cmd);

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--shard") && i + 1 < argc)
			i++;
		else if (strncmp(argv[i], "--shard=", 8))
			h = shard_hash(h, argv[i]);
	}
	return h;
}
