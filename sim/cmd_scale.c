/*
 * cmd_scale.c - `thpsim scale`: the virtual-time engine over CPU counts
 * and fixes (thpsim/scale.h, docs/SCALE.md).  One row per (fix, CPUs),
 * fixes outer; --shard K/N runs rows i with i % N == K-1 as mergeable CSV
 * or JSON (thpsim merge joins them into the unsharded bytes).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thpsim/thpsim.h"
#include "cli_progress.h"
#include "cmds.h"
#include "model_opts.h"
#include "opts.h"
#include "shard.h"

#define SCALE_ROWS_MAX 4096

struct row {
	const char *fix;
	unsigned cpus;
	thpsim_scale_result_t r;
	bool skip;
};

struct scale {
	thpsim_scale_config_t base;
	const char *costs_name;
	struct row *rows;
	size_t nr_rows;
	struct shard shard;
	uint64_t config;
};

static const char *const formats[] = { "table", "csv", "json", NULL };
static const char *const wl_names[] = { "khugepaged-scan", "fork-storm", "dontneed-storm", NULL };

/* "2,4,8" -> cpus[]; every value 2..256. */
static int parse_cpus(const char *s, unsigned *out, size_t *n)
{
	const char *p = s;

	*n = 0;
	while (*p) {
		char buf[16];
		size_t len = strcspn(p, ",");
		uint64_t v;

		if (!len || len >= sizeof(buf))
			return opts_error("--cpus: '%s' is not a list of CPU counts (allowed: 2..%d, comma-separated)",
					  opts_show(s), THPSIM_SCALE_CPUS_MAX);
		memcpy(buf, p, len);
		buf[len] = 0;
		if (!opts_parse_u64(buf, &v) || v < 2 || v > THPSIM_SCALE_CPUS_MAX)
			return opts_error("--cpus: '%s' out of range (allowed: 2..%d)",
					  opts_show(buf), THPSIM_SCALE_CPUS_MAX);
		if (*n == 64)
			return opts_error("--cpus: more than 64 values");
		out[(*n)++] = (unsigned)v;
		p += len;
		if (*p == ',' && !*++p)
			return opts_error("--cpus: '%s' ends with a comma", opts_show(s));
	}
	if (!*n)
		return opts_error("--cpus: empty list (allowed: 2..%d, comma-separated)",
				  THPSIM_SCALE_CPUS_MAX);
	return OPTS_OK;
}

/* "a,b" -> fixes (pointers into buf). */
static int parse_fixes(char *buf, const char **out, size_t *n)
{
	*n = 0;
	if (strstr(buf, ",,") || buf[0] == ',' || (*buf && buf[strlen(buf) - 1] == ','))
		return opts_error("--fixes: '%s' has an empty item", opts_show(buf));
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (model_check_fixes_item(t))
			return OPTS_USAGE;
		for (size_t i = 0; i < *n; i++)
			if (!strcmp(out[i], t))
				return opts_error("--fixes: '%s' is given twice", opts_show(t));
		if (*n == 16)
			return opts_error("--fixes: more than 16 fixes");
		out[(*n)++] = t;
	}
	if (!*n)
		return opts_error("--fixes: empty list");
	return OPTS_OK;
}

static const char *const columns =
	"workload,profile,fix,costs,cpus,ops,ops_ok,op_p50_ns,op_p99_ns,"
	"cal_per_op,tlb_per_op,cal_per_cpu,tlb_per_cpu,stolen_ns_per_op,"
	"walk_p99_ns,walks,grace_periods,gp_mean_ns,rcu_pending_peak_bytes,"
	"rcu_pending_mean_bytes,throughput_per_s,makespan_ns,steps";

static void print_csv(const struct scale *sc)
{
	bool sh = shard_on(&sc->shard);

	if (sh)
		printf("#thpsim-shard,scale,%llu,%llu,%zu,%016llx\nindex,",
		       (unsigned long long)sc->shard.k,
		       (unsigned long long)sc->shard.n, sc->nr_rows,
		       (unsigned long long)sc->config);
	printf("%s\n", columns);
	for (size_t i = 0; i < sc->nr_rows; i++) {
		const struct row *w = &sc->rows[i];
		const thpsim_scale_result_t *r = &w->r;

		if (w->skip)
			continue;
		if (sh)
			printf("%zu,", i);
		printf("%s,%s,%s,%s,%u,%llu,%llu,%llu,%llu,%.3f,%.3f,%.3f,%.3f,%.1f,%llu,%llu,%llu,%llu,%llu,%.1f,%.1f,%llu,%llu\n",
		       sc->base.workload, sc->base.profile, w->fix, sc->costs_name,
		       w->cpus, (unsigned long long)r->ops,
		       (unsigned long long)r->ops_ok,
		       (unsigned long long)r->op_p50_ns,
		       (unsigned long long)r->op_p99_ns, r->cal_per_op,
		       r->tlb_per_op, r->cal_per_cpu, r->tlb_per_cpu,
		       r->stolen_ns_per_op, (unsigned long long)r->walk_p99_ns,
		       (unsigned long long)r->walks,
		       (unsigned long long)r->grace_periods,
		       (unsigned long long)r->gp_mean_ns,
		       (unsigned long long)r->rcu_pending_peak,
		       r->rcu_pending_mean, r->throughput,
		       (unsigned long long)r->makespan_ns,
		       (unsigned long long)r->steps);
	}
}

/* Three decimals, as in the CSV: a value that prints the same after a
 * parse and a dump (thpsim merge). */
static json_t *real3(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.3f", v);
	return json_real(strtod(buf, NULL));
}

static int print_json(const struct scale *sc)
{
	json_t *root = json_object(), *rows = json_array();
	bool sh = shard_on(&sc->shard);
	char config[24];

	snprintf(config, sizeof(config), "%016llx", (unsigned long long)sc->config);
	if (sh)
		json_object_set_new(root, "shard", json_pack("{s:s,s:I,s:I,s:I,s:s}",
			"kind", "scale", "k", (json_int_t)sc->shard.k,
			"n", (json_int_t)sc->shard.n,
			"total", (json_int_t)sc->nr_rows, "config", config));
	json_object_set_new(root, "workload", json_string(sc->base.workload));
	json_object_set_new(root, "profile", json_string(sc->base.profile));
	json_object_set_new(root, "costs", json_string(sc->costs_name));
	for (size_t i = 0; i < sc->nr_rows; i++) {
		const struct row *w = &sc->rows[i];
		const thpsim_scale_result_t *r = &w->r;
		json_t *row;

		if (w->skip)
			continue;
		row = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:I,s:I}",
			"fix", w->fix, "cpus", (json_int_t)w->cpus,
			"ops", (json_int_t)r->ops, "ops_ok", (json_int_t)r->ops_ok,
			"op_p50_ns", (json_int_t)r->op_p50_ns,
			"op_p99_ns", (json_int_t)r->op_p99_ns,
			"cal_per_op", real3(r->cal_per_op),
			"tlb_per_op", real3(r->tlb_per_op),
			"cal_per_cpu", real3(r->cal_per_cpu),
			"tlb_per_cpu", real3(r->tlb_per_cpu),
			"stolen_ns_per_op", real3(r->stolen_ns_per_op),
			"walk_p99_ns", (json_int_t)r->walk_p99_ns,
			"walks", (json_int_t)r->walks,
			"grace_periods", (json_int_t)r->grace_periods,
			"gp_mean_ns", (json_int_t)r->gp_mean_ns,
			"rcu_pending_peak_bytes", (json_int_t)r->rcu_pending_peak,
			"rcu_pending_mean_bytes", real3(r->rcu_pending_mean),
			"throughput_per_s", real3(r->throughput),
			"makespan_ns", (json_int_t)r->makespan_ns,
			"steps", (json_int_t)r->steps);
		json_array_append_new(rows, sh ? shard_json_row(row, i) : row);
	}
	json_object_set_new(root, "rows", rows);
	if (json_dumpf(root, stdout, JSON_INDENT(1)) < 0) {
		json_decref(root);
		return EXIT_INTERNAL;
	}
	putchar('\n');
	json_decref(root);
	return EXIT_CLEAN;
}

static void print_table(const struct scale *sc)
{
	printf("scale: %s on %s, costs %s (virtual time; docs/SCALE.md)\n",
	       sc->base.workload, sc->base.profile, sc->costs_name);
	printf("%-20s %5s %6s %10s %10s %8s %8s %10s %10s %5s %10s %9s\n",
	       "fix", "cpus", "ops", "p50_us", "p99_us", "CAL/op", "TLB/op",
	       "stolen_us", "walk99_us", "GPs", "rcu_peak_B", "ops/s");
	for (size_t i = 0; i < sc->nr_rows; i++) {
		const struct row *w = &sc->rows[i];
		const thpsim_scale_result_t *r = &w->r;

		printf("%-20s %5u %6llu %10.2f %10.2f %8.2f %8.2f %10.2f %10.2f %5llu %10llu %9.0f\n",
		       w->fix, w->cpus, (unsigned long long)r->ops,
		       r->op_p50_ns / 1e3, r->op_p99_ns / 1e3, r->cal_per_op,
		       r->tlb_per_op, r->stolen_ns_per_op / 1e3,
		       r->walk_p99_ns / 1e3, (unsigned long long)r->grace_periods,
		       (unsigned long long)r->rcu_pending_peak, r->throughput);
	}
}

static int run_rows(struct scale *sc, uint64_t interval)
{
	struct cli_progress pg;
	size_t done = 0, todo = 0;

	for (size_t i = 0; i < sc->nr_rows; i++)
		todo += !sc->rows[i].skip;
	cli_progress_init(&pg, interval);
	for (size_t i = 0; i < sc->nr_rows; i++) {
		struct row *w = &sc->rows[i];
		thpsim_scale_config_t c = sc->base;
		int err;

		if (w->skip)
			continue;
		c.fix = w->fix;
		c.cpus = w->cpus;
		err = thpsim_scale_run(&c, &w->r);
		if (err) {
			cli_progress_end(&pg);
			fprintf(stderr, "thpsim: error: scale %s, %u CPUs: %s\n",
				w->fix, w->cpus, thpsim_errmsg());
			return err == -THPSIM_EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
		}
		done++;
		if (cli_progress_due(&pg))
			cli_progress_line(&pg, "scale",
				(double)(cli_progress_now_ns() - pg.start_ns) / 1e9,
				"%zu/%zu runs (last: %s, %u CPUs)", done, todo,
				w->fix, w->cpus);
	}
	cli_progress_end(&pg);
	return EXIT_CLEAN;
}

static int list_costs(const char *spec)
{
	thpsim_cost_table_t t;

	if (thpsim_cost_table_load(spec, &t))
		return opts_error("--costs: %s", thpsim_errmsg());
	return thpsim_cost_table_write(&t, stdout) ? EXIT_INTERNAL : EXIT_CLEAN;
}

static int do_calibrate(const char *path)
{
	thpsim_cost_table_t t;
	FILE *f;

	if (thpsim_cost_table_calibrate(&t)) {
		fprintf(stderr, "thpsim: error: --calibrate: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f || thpsim_cost_table_write(&t, f) || (f != stdout && fclose(f))) {
		fprintf(stderr, "thpsim: error: --calibrate: cannot write '%s'\n",
			opts_show(path));
		return EXIT_INTERNAL;
	}
	return EXIT_CLEAN;
}

int cmd_scale(int argc, char **argv)
{
	static char fixbuf[512];
	struct scale sc = { 0 };
	const char *cpus = "2,4,8,16,32,64,128,256", *fixes = "ipi-sync,skip-redundant-sync,fresh-table";
	const char *costs = "kernel-x86-64", *shard = NULL, *write_costs = NULL;
	const char *profile = "x86-paravirt", *geometry = NULL, *calibrate = NULL;
	const char *fix_list[16];
	unsigned cpu_list[64];
	size_t nr_cpus, nr_fixes;
	uint64_t ops = 100, walkers = 0, seed = 1, interval = CLI_STATS_DEFAULT;
	uint64_t walk_ns = 20000, quantum_ns = 50000;
	bool print_costs = false, no_sync = false, fail_batch = false;
	int format = 0, wl = 0, err;
	const struct opt opts[] = {
		{ "workload", OPT_CHOICE, &wl, "W", "what the CPUs do (docs/SCALE.md)", 0, 0, wl_names, "khugepaged-scan" },
		{ "cpus", OPT_STRING, &cpus, "LIST", "comma-separated CPU counts, 2..256", 0, 0, NULL, "2,4,...,256" },
		{ "fixes", OPT_STRING, &fixes, "LIST", "comma-separated fixes", 0, 0, NULL, "ipi-sync,skip-redundant-sync,fresh-table" },
		{ "profile", OPT_STRING, &profile, "P", "architecture profile", 0, 0, NULL, "x86-paravirt" },
		{ "costs", OPT_STRING, &costs, "TABLE", "cost table: measured, kernel-x86-64, kernel-arm64, or a FILE (name = ns lines)", 0, 0, NULL, "kernel-x86-64" },
		{ "collapses", OPT_UINT, &ops, "N", "khugepaged-scan: collapses; the storms: ops per CPU", 1, 1000000, NULL, "100" },
		{ "walkers", OPT_UINT, &walkers, "N", "khugepaged-scan: GUP-fast walkers (0: cpus/8, at least 1)", 0, 254, NULL, "0" },
		{ "walk-interval", OPT_UINT, &walk_ns, "NS", "mean virtual time between a walker's pins", 1, 1000000000, NULL, "20000" },
		{ "user-quantum", OPT_UINT, &quantum_ns, "NS", "user work between a thread's steps", 1, 1000000000, NULL, "50000" },
		{ "no-sync", OPT_FLAG, &no_sync, NULL, "fork-storm: the baseline, no table free pays the sync", 0, 0, NULL, NULL },
		{ "fail-table-batch", OPT_FLAG, &fail_batch, NULL, "khugepaged-scan, dontneed-storm: every mmu_gather batch allocation fails (tables freed through it take the fallback)", 0, 0, NULL, NULL },
		{ "geometry", OPT_STRING, &geometry, "LxE", "page-table levels x entries", 0, 0, NULL, "4x512" },
		{ "seed", OPT_UINT, &seed, "S", "seed of the walkers' jitter", 0, UINT64_MAX, NULL, "1" },
		{ "format", OPT_CHOICE, &format, "FMT", "output format", 0, 0, formats, "table" },
		{ "shard", OPT_STRING, &shard, "K/N", "run only rows i with i % N == K-1, as mergeable csv or json (thpsim merge)", 0, 0, NULL, NULL },
		{ "print-costs", OPT_FLAG, &print_costs, NULL, "print the --costs table in the file format and exit (keep it, edit it, pass it back)", 0, 0, NULL, NULL },
		{ "write-costs", OPT_STRING, &write_costs, "FILE", "also write the --costs table to FILE", 0, 0, NULL, NULL },
		{ "calibrate", OPT_STRING, &calibrate, "FILE", "measure this host's costs (IPI round trip, memcpy, atomics), write them to FILE and exit", 0, 0, NULL, NULL },
		CLI_STATS_OPT(&interval),
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"scale", "thpsim scale [--workload W] [--cpus 2,4,...,256] [--fixes LIST] [--profile P] [--costs TABLE|FILE] [--collapses N] [--seed S] [--format table|csv|json] [--shard K/N]",
		"Run the model on 2-256 simulated CPUs in virtual time (a discrete-event simulation on one\n"
		"OS thread, exactly reproducible from its seed); one row per fix x CPU count.\n"
		"Exit status: 0 done, 2 bad usage or a bad cost file, 3 internal or output error.",
		opts, 0,
	};

	err = opts_parse(&cmd, argc, argv, NULL, NULL);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	if (print_costs)
		return list_costs(costs);
	if (calibrate)
		return do_calibrate(calibrate);
	thpsim_scale_config_init(&sc.base);
	if (thpsim_cost_table_load(costs, &sc.base.costs))
		return opts_error("--costs: %s", thpsim_errmsg()), EXIT_USAGE;
	if (write_costs) {
		FILE *f = fopen(write_costs, "w");

		if (!f || thpsim_cost_table_write(&sc.base.costs, f) || fclose(f)) {
			fprintf(stderr, "thpsim: error: --write-costs: cannot write '%s'\n",
				opts_show(write_costs));
			return EXIT_INTERNAL;
		}
	}
	sc.costs_name = costs;
	if (strlen(fixes) >= sizeof(fixbuf))
		return opts_error("--fixes: list too long"), EXIT_USAGE;
	strcpy(fixbuf, fixes);
	if (parse_cpus(cpus, cpu_list, &nr_cpus) ||
	    parse_fixes(fixbuf, fix_list, &nr_fixes) ||
	    model_check_profile(profile))
		return EXIT_USAGE;
	if (geometry) {
		thpsim_geometry_t g;

		if (thpsim_geometry_parse(geometry, &g))
			return opts_error("--geometry: %s", thpsim_errmsg()), EXIT_USAGE;
	}
	if (shard) {
		if (shard_parse("shard", shard, &sc.shard))
			return EXIT_USAGE;
		if (format == 0)
			return opts_error("--shard: needs --format csv or json (a table cannot be merged)"), EXIT_USAGE;
		sc.config = shard_config_hash("scale", argc, argv);
	}
	if (no_sync && strcmp(wl_names[wl], "fork-storm"))
		return opts_error("--no-sync: only fork-storm has a baseline without the sync (workload '%s'; give --fix none for the others)",
				  wl_names[wl]), EXIT_USAGE;
	if (fail_batch && !strcmp(wl_names[wl], "fork-storm"))
		return opts_error("--fail-table-batch: khugepaged-scan and dontneed-storm only (workload 'fork-storm')"), EXIT_USAGE;
	sc.base.workload = wl_names[wl];
	sc.base.profile = profile;
	sc.base.ops = (unsigned)ops;
	sc.base.walkers = (unsigned)walkers;
	sc.base.walk_interval_ns = walk_ns;
	sc.base.user_quantum_ns = quantum_ns;
	sc.base.seed = seed;
	sc.base.geometry = geometry;
	sc.base.no_sync = no_sync;
	sc.base.fail_table_batch = fail_batch;
	sc.nr_rows = nr_cpus * nr_fixes;
	sc.rows = calloc(sc.nr_rows, sizeof(*sc.rows));
	if (!sc.rows)
		return EXIT_INTERNAL;
	for (size_t f = 0; f < nr_fixes; f++)
		for (size_t c = 0; c < nr_cpus; c++) {
			size_t i = f * nr_cpus + c;

			sc.rows[i].fix = fix_list[f];
			sc.rows[i].cpus = cpu_list[c];
			sc.rows[i].skip = !shard_has(&sc.shard, i);
		}
	err = run_rows(&sc, interval);
	if (!err && format == 0)
		print_table(&sc);
	else if (!err && format == 1)
		print_csv(&sc);
	else if (!err)
		err = print_json(&sc);
	free(sc.rows);
	return err;
}
