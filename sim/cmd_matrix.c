/*
 * cmd_matrix.c - `thpsim matrix`: every scenario x profile x fix (x knob
 * set) run deterministically, as a table (colour on a terminal), CSV or
 * JSON.  `thpsim` with no arguments is `thpsim matrix --scenarios S1-S5`.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_list.h"
#include "cmds.h"
#include "model_opts.h"
#include "shard.h"

struct cell {
	const char *scenario, *profile, *fix;
	thpsim_knobs_t knobs;
	thpsim_outcome_t outcome;
	uint64_t steps;
	char evidence[160];
	bool skip;			/* another shard's */
};

struct matrix {
	struct list scenarios, profiles, fixes;
	thpsim_knobs_t sets[8];
	int nr_sets;
	struct cell *cells;
	size_t nr_cells;
	struct shard shard;		/* --shard K/N */
	uint64_t config;		/* hash of the sweep, for merge */
};

static const char *const formats[] = { "table", "csv", "json", NULL };
static const char *const knob_sets_names[] = { "given", "standard", NULL };

static int check_scenario(const char *id)
{
	if (thpsim_scenario_find(id))
		return 0;
	return opts_error("--scenarios: %s", thpsim_errmsg());
}

static void default_lists(struct matrix *mx, char *sc, char *pr, char *fx,
			  size_t len)
{
	unsigned n;
	const thpsim_scenario_info_t *s = thpsim_scenario_list(&n);
	const thpsim_profile_t *const *p = thpsim_profile_list();
	size_t o = 0;

	(void)mx;
	sc[0] = pr[0] = fx[0] = 0;
	for (unsigned i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(sc + o, len - o, "%s%s", i ? "," : "", s[i].id);
	o = 0;
	for (int i = 0; p[i] && o < len; i++)
		o += (size_t)snprintf(pr + o, len - o, "%s%s", i ? "," : "", p[i]->name);
	o = 0;
	for (unsigned i = 0; i < thpsim_strategy_count() && o < len; i++)
		o += (size_t)snprintf(fx + o, len - o, "%s%s", i ? "," : "",
				      thpsim_strategy_at(i)->name);
}

/* The standard knob sets: the given knobs, then each knob changed alone. */
static void knob_sets(struct matrix *mx, const thpsim_knobs_t *given, bool all)
{
	thpsim_knobs_t k = *given;

	mx->sets[mx->nr_sets++] = k;
	if (!all)
		return;
	k = *given;
	k.pmd_recheck = !given->pmd_recheck;
	mx->sets[mx->nr_sets++] = k;
	k = *given;
	k.retract_recheck = !given->retract_recheck;
	mx->sets[mx->nr_sets++] = k;
	k = *given;
	k.radix_garbage_passes = !given->radix_garbage_passes;
	mx->sets[mx->nr_sets++] = k;
	k = *given;
	k.fail_table_batch = !given->fail_table_batch;
	mx->sets[mx->nr_sets++] = k;
	for (int p = 0; p < THPSIM_IPI_PLACEMENT__NR; p++) {
		if (p == (int)given->ipi_placement)
			continue;
		k = *given;
		k.ipi_placement = (thpsim_ipi_placement_t)p;
		mx->sets[mx->nr_sets++] = k;
	}
}

static void first_evidence(const thpsim_verdict_t *v, char *buf, size_t len)
{
	const char *t = v->found[v->outcome] ? v->first[v->outcome].text : "";
	size_t i;

	for (i = 0; t[i] && i + 1 < len; i++)
		buf[i] = (t[i] == '\n' || t[i] == '"' || t[i] == ',') ? ' ' : t[i];
	buf[i] = 0;
}

static int run_cells(struct matrix *mx, const thpsim_run_config_t *base)
{
	size_t total = (size_t)mx->nr_sets * (size_t)mx->scenarios.n *
		       (size_t)mx->profiles.n * (size_t)mx->fixes.n, i = 0;

	mx->cells = calloc(total, sizeof(*mx->cells));
	if (!mx->cells)
		return opts_error("out of memory for %zu cells", total);
	for (int k = 0; k < mx->nr_sets; k++)
	for (int s = 0; s < mx->scenarios.n; s++)
	for (int f = 0; f < mx->fixes.n; f++)
	for (int p = 0; p < mx->profiles.n; p++, i++) {
		thpsim_run_config_t rc = *base;
		thpsim_run_result_t res;
		struct cell *c = &mx->cells[i];

		if (!shard_has(&mx->shard, i)) {
			c->skip = true;
			continue;
		}
		rc.scenario = mx->scenarios.item[s];
		rc.profile = mx->profiles.item[p];
		rc.fix = mx->fixes.item[f];
		rc.knobs = mx->sets[k];
		if (thpsim_scenario_run(&rc, &res)) {
			fprintf(stderr, "thpsim: internal error: %s %s %s: %s\n",
				rc.scenario, rc.profile, rc.fix, thpsim_errmsg());
			return EXIT_INTERNAL;
		}
		*c = (struct cell){ thpsim_scenario_find(rc.scenario)->id,
				    rc.profile, rc.fix, rc.knobs,
				    res.verdict.outcome, res.steps, "", false };
		first_evidence(&res.verdict, c->evidence, sizeof(c->evidence));
		thpsim_run_result_fini(&res);
	}
	mx->nr_cells = i;
	return 0;
}

/* ---- output ------------------------------------------------------------ */

static const char *colour_of(thpsim_outcome_t o)
{
	if (thpsim_outcome_is_violation(o))
		return "\033[1;31m";
	if (o == THPSIM_OUTCOME_SAFE)
		return "\033[32m";
	return "\033[33m";
}

static void print_table(const struct matrix *mx, const char *geometry, bool colour)
{
	size_t i = 0;

	for (int k = 0; k < mx->nr_sets; k++)
	for (int s = 0; s < mx->scenarios.n; s++) {
		char knobs[128];

		model_knobs_text(&mx->sets[k], knobs, sizeof(knobs));
		printf("\n%s  (geometry %s, knobs %s)\n  %-20s",
		       mx->cells[i].scenario, geometry, knobs, "fix \\ profile");
		for (int p = 0; p < mx->profiles.n; p++)
			printf(" %-15s", mx->profiles.item[p]);
		putchar('\n');
		for (int f = 0; f < mx->fixes.n; f++) {
			printf("  %-20s", mx->fixes.item[f]);
			for (int p = 0; p < mx->profiles.n; p++, i++) {
				thpsim_outcome_t o = mx->cells[i].outcome;

				printf(" %s%-15s%s", colour ? colour_of(o) : "",
				       thpsim_outcome_name(o), colour ? "\033[0m" : "");
			}
			putchar('\n');
		}
	}
}

static void print_csv(const struct matrix *mx, const char *geometry)
{
	bool sh = shard_on(&mx->shard);

	if (sh)
		printf("#thpsim-shard,matrix,%llu,%llu,%zu,%016llx\nindex,",
		       (unsigned long long)mx->shard.k,
		       (unsigned long long)mx->shard.n, mx->nr_cells,
		       (unsigned long long)mx->config);
	printf("scenario,profile,fix,outcome,violation,geometry,knobs,steps,evidence\n");
	for (size_t i = 0; i < mx->nr_cells; i++) {
		const struct cell *c = &mx->cells[i];
		char knobs[128];

		if (c->skip)
			continue;
		if (sh)
			printf("%zu,", i);
		model_knobs_text(&c->knobs, knobs, sizeof(knobs));
		printf("%s,%s,%s,%s,%d,%s,%s,%llu,\"%s\"\n", c->scenario,
		       c->profile, c->fix, thpsim_outcome_name(c->outcome),
		       thpsim_outcome_is_violation(c->outcome), geometry, knobs,
		       (unsigned long long)c->steps, c->evidence);
	}
}

static int print_json(const struct matrix *mx, const char *geometry)
{
	json_t *root = json_object(), *rows = json_array();
	bool sh = shard_on(&mx->shard);
	char config[24];

	snprintf(config, sizeof(config), "%016llx", (unsigned long long)mx->config);
	if (sh)
		json_object_set_new(root, "shard", json_pack("{s:s,s:I,s:I,s:I,s:s}",
			"kind", "matrix", "k", (json_int_t)mx->shard.k,
			"n", (json_int_t)mx->shard.n,
			"total", (json_int_t)mx->nr_cells, "config", config));
	json_object_set_new(root, "geometry", json_string(geometry));
	for (size_t i = 0; i < mx->nr_cells; i++) {
		const struct cell *c = &mx->cells[i];
		char knobs[128];
		json_t *row;

		if (c->skip)
			continue;
		model_knobs_text(&c->knobs, knobs, sizeof(knobs));
		row = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:I,s:s}",
			"scenario", c->scenario, "profile", c->profile,
			"fix", c->fix, "outcome", thpsim_outcome_name(c->outcome),
			"violation", thpsim_outcome_is_violation(c->outcome),
			"knobs", knobs, "steps", (json_int_t)c->steps,
			"evidence", c->evidence);
		json_array_append_new(rows, sh ? shard_json_row(row, i) : row);
	}
	json_object_set_new(root, "cells", rows);
	if (json_dumpf(root, stdout, JSON_INDENT(1)) < 0) {
		json_decref(root);
		return EXIT_INTERNAL;
	}
	putchar('\n');
	json_decref(root);
	return EXIT_CLEAN;
}

/* --shard: parse it; the sweep's hash is every other argument. */
static int matrix_shard(struct matrix *mx, const char *s, int format,
			int argc, char **argv)
{
	if (shard_parse("shard", s, &mx->shard))
		return OPTS_USAGE;
	if (format == 0)
		return opts_error("--shard: needs --format csv or json (a table cannot be merged)");
	mx->config = shard_config_hash("matrix", argc, argv);
	return OPTS_OK;
}

int cmd_matrix_default(void)
{
	char *argv[] = { "--scenarios", "S1,S2,S3,S4,S5", NULL };

	return cmd_matrix(2, argv);
}

int cmd_matrix(int argc, char **argv)
{
	static char sc[512], pr[512], fx[512];
	struct matrix mx = { 0 };
	struct model_opts mo;
	const char *scenarios, *profiles, *fixes, *shard = NULL;
	int format = 0, sets = 0, err;
	const struct opt opts[] = {
		{ "scenarios", OPT_STRING, &scenarios, "LIST", "comma-separated scenario ids", 0, 0, NULL, "all" },
		{ "profiles", OPT_STRING, &profiles, "LIST", "comma-separated profiles", 0, 0, NULL, "all" },
		{ "fixes", OPT_STRING, &fixes, "LIST", "comma-separated fixes", 0, 0, NULL, "all" },
		{ "geometry", OPT_STRING, &mo.geometry, "LxE", "page-table levels x entries", 0, 0, NULL, "4x512" },
		MODEL_KNOB_OPTS(&mo),
		{ "knob-sets", OPT_CHOICE, &sets, "SETS", "given: the knobs as given; standard: also each knob flipped alone", 0, 0, knob_sets_names, "given" },
		{ "format", OPT_CHOICE, &format, "FMT", "output format", 0, 0, formats, "table" },
		{ "shard", OPT_STRING, &shard, "K/N", "run only cells i with i % N == K-1, as mergeable csv or json (thpsim merge)", 0, 0, NULL, NULL },
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"matrix", "thpsim matrix [--scenarios LIST] [--profiles LIST] [--fixes LIST] [--geometry LxE] [knobs] [--format table|csv|json]",
		"Run every scenario x profile x fix deterministically; one row per cell.\n"
		"Exit status: 0 when the matrix completed (violations are results), 2 bad usage, 3 internal or output error.",
		opts, 0,
	};
	thpsim_run_config_t base;

	model_opts_init(&mo);
	default_lists(&mx, sc, pr, fx, sizeof(sc));
	scenarios = sc;
	profiles = pr;
	fixes = fx;
	err = opts_parse(&cmd, argc, argv, NULL, NULL);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	thpsim_run_config_init(&base);
	if (cli_parse_list("scenarios", scenarios, &mx.scenarios, check_scenario) ||
	    cli_parse_list("profiles", profiles, &mx.profiles, model_check_profiles_item) ||
	    cli_parse_list("fixes", fixes, &mx.fixes, model_check_fixes_item) ||
	    model_opts_apply(&mo, &base) ||
	    (shard && matrix_shard(&mx, shard, format, argc, argv)))
		err = EXIT_USAGE;
	if (!err) {
		knob_sets(&mx, &base.knobs, sets == 1);
		err = run_cells(&mx, &base);
	}
	if (!err && format == 0)
		print_table(&mx, mo.geometry, isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	else if (!err && format == 1)
		print_csv(&mx, mo.geometry);
	else if (!err)
		err = print_json(&mx, mo.geometry);
	free(mx.cells);
	free(mx.scenarios.buf);
	free(mx.profiles.buf);
	free(mx.fixes.buf);
	return err;
}
