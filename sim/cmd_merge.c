/*
 * cmd_merge.c - `thpsim merge FILE...`: join the outputs of the shards of
 * one sweep (`thpsim matrix --shard K/N --format csv|json`, `thpsim
 * explore --shard K/N --format json`) into exactly the bytes one
 * unsharded run prints (shard.h describes the format; docs/SWEEPS.md the
 * recipes).
 *
 * Every shard 1..N must be given exactly once, all of the same sweep (the
 * same kind, N, total and configuration hash), and together they must hold
 * every row exactly once; anything else is refused with exit status 2 and
 * a message naming the file.  Rows are put back in index order, so the
 * order of the files does not matter.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "explore_json.h"
#include "merge.h"
#include "opts.h"

#define MERGE_FILES_MAX 4096
#define MERGE_FILE_MAX (256u << 20)

struct meta {
	char kind[32], config[32];
	uint64_t k, n, total;
};

/* ---- reading ------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f) {
		opts_error("merge: cannot read '%s': %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (n + 65536 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 131072;
			nb = cap > MERGE_FILE_MAX + 65536 ? NULL : realloc(buf, cap + 1);
			if (!nb) {
				opts_error("merge: '%s': larger than %u MiB or out of memory",
					   path, MERGE_FILE_MAX >> 20);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	buf[n] = 0;
	if (strlen(buf) != n) {
		opts_error("merge: '%s': holds a NUL byte (not a thpsim output)", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* ---- the shards' bookkeeping -------------------------------------------- */

struct merge {
	struct meta first;
	const char *first_path;
	bool *have_shard;		/* [n] */
	void **row;			/* [total]: char * (csv) or json_t * */
	const char **row_path;		/* [total] */
};

static int meta_check(struct merge *m, const struct meta *mt, const char *path)
{
	bool rows = strcmp(mt->kind, "explore") != 0;
	uint64_t nr = rows ? mt->total : 0;

	if (!mt->n || mt->k < 1 || mt->k > mt->n || nr > (1u << 28))
		return opts_error("merge: '%s': shard %" PRIu64 "/%" PRIu64 " of %" PRIu64 " rows is not a valid shard",
				  path, mt->k, mt->n, mt->total);
	if (strcmp(mt->kind, "matrix") && strcmp(mt->kind, "explore") &&
	    strcmp(mt->kind, "scale"))
		return opts_error("merge: '%s': unknown kind '%s' (allowed: matrix, explore, scale)",
				  path, mt->kind);
	if (!m->first_path) {
		m->first = *mt;
		m->first_path = path;
		m->have_shard = calloc(mt->n, sizeof(bool));
		m->row = calloc(nr ? nr : 1, sizeof(void *));
		m->row_path = calloc(nr ? nr : 1, sizeof(char *));
		if (!m->have_shard || !m->row || !m->row_path)
			return opts_error("merge: out of memory");
	} else if (strcmp(mt->kind, m->first.kind) || mt->n != m->first.n ||
		   mt->total != m->first.total ||
		   strcmp(mt->config, m->first.config)) {
		return opts_error("merge: '%s' (%s, %" PRIu64 " shards, %" PRIu64 " rows, config %s) is not of the same sweep as '%s' (%s, %" PRIu64 " shards, %" PRIu64 " rows, config %s)",
				  path, mt->kind, mt->n, mt->total, mt->config,
				  m->first_path, m->first.kind, m->first.n,
				  m->first.total, m->first.config);
	}
	if (m->have_shard[mt->k - 1])
		return opts_error("merge: '%s': shard %" PRIu64 "/%" PRIu64 " given twice",
				  path, mt->k, mt->n);
	m->have_shard[mt->k - 1] = true;
	return OPTS_OK;
}

static int row_put(struct merge *m, const struct meta *mt, uint64_t i,
		   void *row, const char *path)
{
	if (i >= mt->total || i % mt->n != mt->k - 1)
		return opts_error("merge: '%s': row %" PRIu64 " does not belong to shard %" PRIu64 "/%" PRIu64 " of %" PRIu64 " rows",
				  path, i, mt->k, mt->n, mt->total);
	if (m->row[i])
		return opts_error("merge: '%s': row %" PRIu64 " given twice (also in '%s')",
				  path, i, m->row_path[i]);
	m->row[i] = row;
	m->row_path[i] = path;
	return OPTS_OK;
}

static int complete(const struct merge *m)
{
	for (uint64_t k = 0; k < m->first.n; k++)
		if (!m->have_shard[k])
			return opts_error("merge: shard %" PRIu64 "/%" PRIu64 " is missing",
					  k + 1, m->first.n);
	for (uint64_t i = 0; merge_rows_key(m->first.kind) && i < m->first.total; i++)
		if (!m->row[i])
			return opts_error("merge: row %" PRIu64 " is missing (truncated shard output?)",
					  i);
	return OPTS_OK;
}

/* ---- CSV ---------------------------------------------------------------- */

/* "#thpsim-shard,KIND,K,N,TOTAL,CONFIG" */
static int csv_meta(char *line, struct meta *mt, const char *path)
{
	char extra;

	if (sscanf(line, "#thpsim-shard,%31[a-z],%" SCNu64 ",%" SCNu64 ",%" SCNu64 ",%31[0-9a-f]%c",
		   mt->kind, &mt->k, &mt->n, &mt->total, mt->config, &extra) != 5)
		return opts_error("merge: '%s': first line is not '#thpsim-shard,KIND,K,N,TOTAL,CONFIG'",
				  path);
	return OPTS_OK;
}

static int merge_csv(struct merge *m, char *buf, const char *path,
		     char **header)
{
	char *save = NULL, *line = strtok_r(buf, "\n", &save);
	struct meta mt = { 0 };

	if (!line || csv_meta(line, &mt, path) || meta_check(m, &mt, path))
		return OPTS_USAGE;
	line = strtok_r(NULL, "\n", &save);
	if (!line || strncmp(line, "index,", 6))
		return opts_error("merge: '%s': second line is not a header starting 'index,'",
				  path);
	if (!*header)
		*header = line + 6;
	else if (strcmp(*header, line + 6))
		return opts_error("merge: '%s': its header differs from the other shards'",
				  path);
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *end = NULL;
		uint64_t i;

		errno = 0;
		i = strtoull(line, &end, 10);
		if (errno || end == line || *end != ',' || line[0] == '-')
			return opts_error("merge: '%s': row '%.40s' does not start with its index",
					  path, line);
		if (row_put(m, &mt, i, end + 1, path))
			return OPTS_USAGE;
	}
	return OPTS_OK;
}

/* ---- JSON --------------------------------------------------------------- */

static int json_meta(json_t *root, struct meta *mt, const char *path)
{
	json_t *sh = json_object_get(root, "shard");
	const char *kind = NULL, *config = NULL;
	json_int_t k, n, total;

	if (!json_is_object(sh) ||
	    json_unpack(sh, "{s:s,s:I,s:I,s:I,s:s}", "kind", &kind, "k", &k,
			"n", &n, "total", &total, "config", &config) ||
	    k < 0 || n < 0 || total < 0 || strlen(kind) >= sizeof(mt->kind) ||
	    strlen(config) >= sizeof(mt->config))
		return opts_error("merge: '%s': no valid \"shard\" member {kind, k, n, total, config}",
				  path);
	snprintf(mt->kind, sizeof(mt->kind), "%s", kind);
	snprintf(mt->config, sizeof(mt->config), "%s", config);
	mt->k = (uint64_t)k;
	mt->n = (uint64_t)n;
	mt->total = (uint64_t)total;
	return OPTS_OK;
}

static int merge_json(struct merge *m, json_t *root, const char *path,
		      json_t **first)
{
	struct meta mt = { 0 };
	const char *key;
	json_t *v, *rows;
	size_t i;

	if (!json_is_object(root) || json_meta(root, &mt, path) ||
	    meta_check(m, &mt, path))
		return OPTS_USAGE;
	if (!*first)
		*first = root;
	if (!merge_rows_key(mt.kind))
		return OPTS_OK;		/* merge_explore() checks the rest */
	rows = json_object_get(root, merge_rows_key(mt.kind));
	if (!json_is_array(rows))
		return opts_error("merge: '%s': kind '%s' has no \"%s\" array",
				  path, mt.kind, merge_rows_key(mt.kind));
	json_object_foreach(root, key, v) {
		json_t *other = json_object_get(*first, key);

		if (strcmp(key, "shard") && strcmp(key, merge_rows_key(mt.kind)) &&
		    !json_equal(v, other))
			return opts_error("merge: '%s': member \"%s\" differs from the other shards'",
					  path, key);
	}
	json_array_foreach(rows, i, v) {
		json_t *ix = json_object_get(v, "index");

		if (!json_is_integer(ix) || json_integer_value(ix) < 0)
			return opts_error("merge: '%s': row %zu has no \"index\"", path, i);
		if (row_put(m, &mt, (uint64_t)json_integer_value(ix), v, path))
			return OPTS_USAGE;
	}
	return OPTS_OK;
}

/* The unsharded object: the first shard's members in order, the rows
 * joined (without their index). */
static int print_json_merged(struct merge *m, json_t *first)
{
	json_t *out = json_object(), *rows = json_array(), *v;
	const char *key;
	int err = EXIT_CLEAN;

	for (uint64_t i = 0; i < m->first.total; i++) {
		json_t *r = json_deep_copy(m->row[i]);

		json_object_del(r, "index");
		json_array_append_new(rows, r);
	}
	json_object_foreach(first, key, v) {
		if (!strcmp(key, "shard"))
			continue;
		if (!strcmp(key, merge_rows_key(m->first.kind)))
			json_object_set(out, key, rows);
		else
			json_object_set(out, key, v);
	}
	json_decref(rows);
	if (json_dumpf(out, stdout, JSON_INDENT(1)) < 0)
		err = EXIT_INTERNAL;
	else
		putchar('\n');
	json_decref(out);
	return err;
}

/* ---- the command -------------------------------------------------------- */

int cmd_merge(int argc, char **argv)
{
	static const char *pos[MERGE_FILES_MAX];
	const struct opt opts[] = {
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"merge", "thpsim merge FILE...",
		"Join the outputs of `--shard K/N` runs (every shard of one sweep, any order)\n"
		"into exactly what the unsharded run prints.  CSV and JSON, not mixed.\n"
		"Exit status: 0 merged, 2 bad input (missing, repeated or foreign shards), 3 internal error.",
		opts, MERGE_FILES_MAX,
	};
	struct merge m = { 0 };
	char *bufs[MERGE_FILES_MAX] = { 0 }, *header = NULL;
	json_t *roots[MERGE_FILES_MAX] = { 0 }, *first = NULL;
	int n = 0, err, nr_csv = 0, nr_json = 0;

	err = opts_parse(&cmd, argc, argv, pos, &n);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	if (!n)
		err = opts_error("merge: no files given (thpsim merge FILE...)");
	for (int f = 0; !err && f < n; f++) {
		size_t len = 0;
		const char *p;

		bufs[f] = slurp(pos[f], &len);
		if (!bufs[f]) {
			err = OPTS_USAGE;
			break;
		}
		for (p = bufs[f]; *p == ' ' || *p == '\n' || *p == '\t'; p++)
			;
		if (*p == '{') {
			json_error_t je;

			nr_json++;
			roots[f] = json_loadb(bufs[f], len, 0, &je);
			err = !roots[f] ?
			      opts_error("merge: '%s': line %d: %s", pos[f], je.line, je.text) :
			      merge_json(&m, roots[f], pos[f], &first);
		} else if (!strncmp(p, "#thpsim-shard,", 14)) {
			nr_csv++;
			err = merge_csv(&m, bufs[f], pos[f], &header);
		} else {
			err = opts_error("merge: '%s' is not the output of a --shard run (csv or json)",
					 pos[f]);
		}
		if (!err && nr_csv && nr_json)
			err = opts_error("merge: '%s': CSV and JSON shards cannot be mixed", pos[f]);
		if (!err && nr_csv && !merge_csv_ok(m.first.kind))
			err = opts_error("merge: '%s': kind '%s' merges from JSON only",
					 pos[f], m.first.kind);
	}
	if (!err)
		err = complete(&m);
	if (!err && nr_csv) {
		printf("%s\n", header);
		for (uint64_t i = 0; i < m.first.total; i++)
			printf("%s\n", (char *)m.row[i]);
	} else if (!err && !merge_rows_key(m.first.kind)) {
		err = merge_explore(roots, pos, n);
	} else if (!err) {
		err = print_json_merged(&m, first);
	}
	for (int f = 0; f < n; f++) {
		free(bufs[f]);
		json_decref(roots[f]);
	}
	free(m.have_shard);
	free(m.row);
	free(m.row_path);
	return err;
}
