/*
 * cmd_stress.c - `thpsim stress`: the model free-running on real threads,
 * real signal pseudo-IPIs and liburcu; the oracle judges as it runs.
 * SIGINT, SIGTERM or SIGHUP ends the run early and prints what was measured.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_progress.h"
#include "cli_signal.h"
#include "cmds.h"
#include "model_opts.h"
#include "thpsim/workload.h"

static const char *const formats[] = { "table", "csv", "json", NULL };
static const char *const ipi_names[] = { "signal", "membarrier", NULL };

struct counter {
	const char *name;
	double value;
};

#define NR_COUNTERS 27

static double per_s(uint64_t n, double s)
{
	return s > 0 ? (double)n / s : 0;
}

/* The counters as name/value rows, rates per second last. */
static unsigned counters(const thpsim_stress_counters_t *c, struct counter *o)
{
	uint64_t coll = c->collapses_ok + c->collapses_failed;
	struct counter rows[NR_COUNTERS] = {
		{ "elapsed_s", c->elapsed_s }, { "walks", (double)c->walks },
		{ "pages_pinned", (double)c->pages_pinned },
		{ "bytes_bad_pages", (double)c->bytes_bad },
		{ "collapses_ok", (double)c->collapses_ok },
		{ "collapses_failed", (double)c->collapses_failed },
		{ "splits", (double)c->splits }, { "zaps", (double)c->zaps },
		{ "refaults", (double)c->refaults },
		{ "file_swaps", (double)c->file_swaps },
		{ "ipi_sent", (double)c->ipi_sent },
		{ "ipi_acked", (double)c->ipi_acked },
		{ "membarriers", (double)c->membarriers },
		{ "watchdog_fires", (double)c->watchdog_fires },
		{ "grace_periods", (double)c->grace_periods },
		{ "tables_freed_now", (double)c->tables_freed_now },
		{ "tables_freed_rcu", (double)c->tables_freed_rcu },
		{ "stalls", (double)c->stalls },
		{ "irq_off_sections", (double)c->irq_off_sections },
		{ "irq_off_max_ns", (double)c->irq_off_max_ns },
		{ "unhooked_reads", (double)c->unhooked_reads },
		{ "events", (double)c->events },
		{ "events_skipped_irq", (double)c->events_skipped },
		{ "walks_per_s", per_s(c->walks, c->elapsed_s) },
		{ "collapses_per_s", per_s(coll, c->elapsed_s) },
		{ "ipis_per_collapse", coll ? (double)c->ipi_sent / (double)coll : 0 },
		{ "grace_periods_per_s", per_s(c->grace_periods, c->elapsed_s) },
	};

	memcpy(o, rows, sizeof(rows));
	return NR_COUNTERS;
}

/* "walker3", "idle0", "control". */
static void cpu_name(const thpsim_stress_cpu_t *c, char *buf, size_t len)
{
	if (!strcmp(c->role, "walker") || !strcmp(c->role, "idle"))
		snprintf(buf, len, "%s%u", c->role, c->idx);
	else
		snprintf(buf, len, "%s", c->role);
}

/* Interrupts per CPU, as /proc/interrupts counts them (CAL includes TLB). */
static void print_irq_table(const thpsim_stress_result_t *r)
{
	char name[32];

	printf("  interrupts per CPU (CAL: function-call IPIs taken, the TLB ones included; TLB: shootdowns)\n");
	printf("  %5s  %-12s %-8s %10s %10s\n", "CPU", "role", "mm", "CAL", "TLB");
	for (unsigned i = 0; i < r->nr_cpus; i++) {
		const thpsim_stress_cpu_t *c = &r->cpus[i];

		cpu_name(c, name, sizeof(name));
		printf("  %5d  %-12s %-8s %10llu %10llu\n", c->cpu, name,
		       c->in_mm ? "in mm" : "outside",
		       (unsigned long long)c->irqs.cal,
		       (unsigned long long)c->irqs.tlb);
	}
	printf("\n");
}

static void print_table(const thpsim_stress_result_t *r, const char *what)
{
	struct counter c[NR_COUNTERS];
	unsigned n = counters(&r->counters, c);

	printf("stress %s%s: %s\n", what, r->interrupted ? " (interrupted)" : "",
	       thpsim_outcome_name(r->verdict.outcome));
	for (unsigned i = 0; i < n; i++)
		printf("  %-22s %.6g\n", c[i].name, c[i].value);
	printf("\n");
	print_irq_table(r);
	if (r->deadlock[0])
		printf("deadlock: %s\n", r->deadlock);
	thpsim_verdict_print(&r->verdict, stdout);
	if (thpsim_stress_vacuous(r))
		printf("vacuous: %s\n", thpsim_stress_vacuous(r));
}

static void print_csv(const thpsim_stress_result_t *r)
{
	struct counter c[NR_COUNTERS];
	unsigned n = counters(&r->counters, c);

	printf("kind,name,violation,count,evidence\n");
	for (int k = 0; k < THPSIM_OUTCOME__NR; k++) {
		const thpsim_finding_t *f = &r->verdict.first[k];

		printf("class,%s,%d,%llu,\"", thpsim_outcome_name(k),
		       thpsim_outcome_is_violation(k),
		       (unsigned long long)r->verdict.counts[k]);
		for (const char *p = r->verdict.found[k] ? f->text : ""; *p; p++)
			printf(*p == '"' ? "\"\"" : "%c", *p == '\n' ? ' ' : *p);
		printf("\"\n");
	}
	for (unsigned i = 0; i < n; i++)
		printf("counter,%s,,%.6g,\n", c[i].name, c[i].value);
	for (unsigned i = 0; i < r->nr_cpus; i++) {
		const thpsim_stress_cpu_t *p = &r->cpus[i];
		char name[32];

		cpu_name(p, name, sizeof(name));
		printf("irq,cpu%d.%s.CAL,,%llu,%s\n", p->cpu, name,
		       (unsigned long long)p->irqs.cal, p->in_mm ? "in mm" : "outside the mm");
		printf("irq,cpu%d.%s.TLB,,%llu,%s\n", p->cpu, name,
		       (unsigned long long)p->irqs.tlb, p->in_mm ? "in mm" : "outside the mm");
	}
	printf("vacuous,%s,,,\n", thpsim_stress_vacuous(r) ? "yes" : "no");
}

static int print_json(const thpsim_stress_result_t *r, const char *what)
{
	json_t *root = json_object(), *rows = json_array(), *cnt = json_object();
	json_t *cpus = json_array();
	struct counter c[NR_COUNTERS];
	unsigned n = counters(&r->counters, c);

	json_object_set_new(root, "run", json_string(what));
	json_object_set_new(root, "outcome",
			    json_string(thpsim_outcome_name(r->verdict.outcome)));
	json_object_set_new(root, "interrupted", json_boolean(r->interrupted));
	for (int k = 0; k < THPSIM_OUTCOME__NR; k++)
		json_array_append_new(rows, json_pack("{s:s,s:b,s:I,s:s}",
			"class", thpsim_outcome_name(k),
			"violation", thpsim_outcome_is_violation(k),
			"count", (json_int_t)r->verdict.counts[k],
			"evidence", r->verdict.found[k] ? r->verdict.first[k].text : ""));
	for (unsigned i = 0; i < n; i++)
		json_object_set_new(cnt, c[i].name, json_real(c[i].value));
	json_object_set_new(root, "classes", rows);
	json_object_set_new(root, "counters", cnt);
	for (unsigned i = 0; i < r->nr_cpus; i++) {
		const thpsim_stress_cpu_t *p = &r->cpus[i];

		json_array_append_new(cpus, json_pack("{s:i,s:s,s:i,s:b,s:I,s:I}",
			"cpu", p->cpu, "role", p->role, "idx", (int)p->idx,
			"in_mm", p->in_mm, "CAL", (json_int_t)p->irqs.cal,
			"TLB", (json_int_t)p->irqs.tlb));
	}
	json_object_set_new(root, "cpus", cpus);
	json_object_set_new(root, "deadlock", json_string(r->deadlock));
	json_object_set_new(root, "vacuous", thpsim_stress_vacuous(r) ?
			    json_string(thpsim_stress_vacuous(r)) : json_null());
	n = json_dumpf(root, stdout, JSON_INDENT(1)) < 0;
	json_decref(root);
	putchar('\n');
	return n ? EXIT_INTERNAL : EXIT_CLEAN;
}

static void stress_progress(const thpsim_stress_counters_t *c, void *arg)
{
	cli_progress_line(arg, "stress", c->elapsed_s,
			  "%llu walks, %llu collapses (%llu failed), %llu IPIs, %llu grace periods, %llu+%llu tables freed (now+rcu), %llu bad pages",
			  (unsigned long long)c->walks,
			  (unsigned long long)(c->collapses_ok + c->collapses_failed),
			  (unsigned long long)c->collapses_failed,
			  (unsigned long long)c->ipi_sent,
			  (unsigned long long)c->grace_periods,
			  (unsigned long long)c->tables_freed_now,
			  (unsigned long long)c->tables_freed_rcu,
			  (unsigned long long)c->bytes_bad);
}

static int stress_go(thpsim_stress_config_t *sc, int format, const char *what,
		     uint64_t stats_interval)
{
	struct cli_progress prog;
	thpsim_stress_result_t r;
	int err;

	cli_progress_init(&prog, stats_interval);
	sc->progress_ns = prog.interval_ns;
	sc->progress = stress_progress;
	sc->progress_arg = &prog;
	cli_signals_stop(thpsim_stress_stop);
	err = thpsim_stress_run(sc, &r);
	cli_signals_stop(NULL);
	cli_progress_end(&prog);
	if (err == -THPSIM_EINVAL)
		return opts_error("stress: %s", thpsim_errmsg());
	if (err) {
		fprintf(stderr, "thpsim: internal error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	if (format == 2)
		err = print_json(&r, what);
	else if (format == 1)
		print_csv(&r);
	else
		print_table(&r, what);
	if (err)
		return err;
	err = cli_exit_status(thpsim_outcome_is_violation(r.verdict.outcome));
	if (err == EXIT_CLEAN && thpsim_stress_vacuous(&r)) {
		fprintf(stderr, "thpsim: vacuous: %s\n", thpsim_stress_vacuous(&r));
		err = EXIT_VACUOUS;
	}
	return err;
}

int cmd_stress(int argc, char **argv)
{
	struct model_opts mo;
	uint64_t walkers = 1, duration = 5, stall_ns = 0, every = 1, seed = 1;
	uint64_t stats_interval = CLI_STATS_DEFAULT;
	int format = 0, ipi = 0, err;
	const struct opt opts[] = {
		{ "profile", OPT_STRING, &mo.profile, "P", "architecture profile (see 'thpsim list')", 0, 0, NULL, "arm64" },
		{ "fix", OPT_STRING, &mo.fix, "F", "fix strategy (see 'thpsim list')", 0, 0, NULL, "none" },
		{ "geometry", OPT_STRING, &mo.geometry, "LxE", "page-table levels x entries", 0, 0, NULL, "4x64" },
		MODEL_KNOB_OPTS(&mo),
		{ "walkers", OPT_UINT, &walkers, "N", "GUP-fast walker threads", 1, THPSIM_STRESS_WALKERS_MAX, NULL, "1" },
		{ "duration", OPT_UINT, &duration, "SECONDS", "how long the threads run", 1, 3600, NULL, "5" },
		{ "stall-ns", OPT_UINT, &stall_ns, "NS", "walker stall, once per IRQ-off section (after the pmd read, before any grab)", 0, 1000000000, NULL, "0" },
		{ "stall-every", OPT_UINT, &every, "K", "stall one walk pass (IRQ-off section) in K, per walker", 1, 1000000000, NULL, "1" },
		{ "seed", OPT_UINT, &seed, "S", "walkers' address choice", 0, UINT64_MAX, NULL, "1" },
		{ "ipi", OPT_CHOICE, &ipi, "HOW", "how the empty sync IPI is sent", 0, 0, ipi_names, "signal" },
		{ "format", OPT_CHOICE, &format, "FMT", "output format", 0, 0, formats, "table" },
		CLI_STATS_OPT(&stats_interval),
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"stress", "thpsim stress --profile P --fix F [--ipi-placement X] [knobs] [--geometry LxE] --walkers N --duration SECONDS [--stall-ns NS] [--stall-every K] [--idle-cpus N] [--seed S] [--ipi signal|membarrier] [--format table|csv|json] [--stats-interval SECONDS]",
		"Run the model free on real threads, signal pseudo-IPIs and liburcu, and judge it.\n"
		"SIGINT, SIGTERM or SIGHUP ends the run early and prints what was measured\n"
		"(exit 128+N when no violation was found; a second signal kills).  An IPI wait\n"
		"longer than 1 s (the watchdog: e.g. --stall-ns 1000000000 on x86) is a DEADLOCK.\n"
		"Exit status: 0 no violation, 1 violation, 2 bad usage, 3 internal or output error,\n"
		"5 vacuous: no violation, but the run did not exercise the race: it needs pages\n"
		"pinned, a collapse completed, and a walker that read a table unhooked during its\n"
		"walk (counter unhooked_reads); the first that failed is printed;\n"
		"128+N stopped by signal N with no violation found.",
		opts, 0,
	};
	thpsim_stress_config_t sc;
	thpsim_run_config_t rc;
	char what[256], knobs[128];

	model_opts_init(&mo);
	mo.geometry = "4x64";
	thpsim_run_config_init(&rc);
	err = opts_parse(&cmd, argc, argv, NULL, NULL);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	if (model_check_profile(mo.profile) || model_check_fix(mo.fix) ||
	    model_opts_apply(&mo, &rc))
		return EXIT_USAGE;
	thpsim_stress_config_init(&sc);
	sc.profile = mo.profile;
	sc.fix = mo.fix;
	sc.geometry = rc.geometry;
	sc.knobs = rc.knobs;
	sc.walkers = (unsigned)walkers;
	sc.duration_ns = duration * 1000000000u;
	sc.stall_ns = stall_ns;
	sc.stall_every = (unsigned)every;
	sc.seed = seed;
	sc.ipi = ipi ? THPSIM_IPI_MEMBARRIER : THPSIM_IPI_SIGNAL;
	sc.idle_cpus = rc.idle_cpus;
	model_knobs_text(&rc.knobs, knobs, sizeof(knobs));
	snprintf(what, sizeof(what), "%s/%s, %s, knobs %s, %u walker(s), %u idle CPU(s), %llu s, stall %llu ns every %llu, ipi %s",
		 mo.profile, mo.fix, mo.geometry, knobs, sc.walkers,
		 sc.idle_cpus, (unsigned long long)duration,
		 (unsigned long long)stall_ns, (unsigned long long)every,
		 ipi_names[ipi]);
	return stress_go(&sc, format, what, stats_interval);
}
