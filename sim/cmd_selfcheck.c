/*
 * cmd_selfcheck.c - `thpsim selfcheck`: check the simulated machine, then
 * measure the pseudo-IPI round trip next to its floors, in the same run.
 *
 * The checks are real: each one runs the machine and can fail (exit 3).
 * The timings are reported, never asserted (these machines are noisy).
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "thpsim/thpsim.h"
#include "cmds.h"
#include "opts.h"

struct selfcheck_opts {
	uint64_t rounds, cpus, signal_off, watchdog_ms;
};

/* ---- check 1: an IPI to a masked CPU waits for the unmask ------------ */

struct masked_target {
	thpsim_machine_t *m;
	_Atomic int cpu, phase;		/* 1 masked, 2 unmask now, 3 done */
	_Atomic int ran;
};

static void note_ran(void *arg)
{
	struct masked_target *t = arg;

	atomic_fetch_add(&t->ran, 1);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void *masked_target_main(void *arg)
{
	struct masked_target *t = arg;
	unsigned long flags;
	int id;

	if (thpsim_cpu_register(t->m, &id)) {
		atomic_store(&t->phase, -1);
		return NULL;
	}
	atomic_store(&t->cpu, id);
	flags = thpsim_irq_save();
	atomic_store(&t->phase, 1);
	while (atomic_load(&t->phase) != 2)
		sleep_ms(1);
	thpsim_irq_restore(flags);	/* the pended IPI runs here */
	thpsim_cpu_unregister();
	atomic_store(&t->phase, 3);
	return NULL;
}

static const char *check_masked_ipi(thpsim_machine_t *m)
{
	struct masked_target t = { .m = m, .cpu = -1 };
	const char *fail = NULL;
	pthread_t th;

	if (pthread_create(&th, NULL, masked_target_main, &t))
		return "cannot start a target thread";
	while (atomic_load(&t.phase) == 0)
		sleep_ms(1);
	if (atomic_load(&t.phase) < 0) {
		pthread_join(th, NULL);
		return "target could not register as a CPU";
	}
	if (thpsim_smp_call_function_single(m, t.cpu, note_ran, &t, false))
		fail = thpsim_errmsg();
	sleep_ms(50);
	if (!fail && atomic_load(&t.ran) != 0)
		fail = "the IPI ran while the target had interrupts masked";
	atomic_store(&t.phase, 2);
	pthread_join(th, NULL);
	if (!fail && atomic_load(&t.ran) != 1)
		fail = "the pended IPI did not run exactly once at unmask";
	return fail;
}

/* ---- check 2: fault -> write -> read -> zap -> free round trip ------- */

static const char *check_page_tables(thpsim_machine_t *m)
{
	thpsim_phys_stats_t before, after;
	thpsim_geometry_t g;
	thpsim_mm_t *mm;
	unsigned char in[4096], out[4096];
	uint64_t base, len;
	const char *fail = NULL;

	thpsim_geometry_default(&g);
	len = thpsim_geometry_hpage_size(&g);
	base = 4 * len;
	thpsim_phys_stats(m, &before);
	if (thpsim_mm_create(m, &g, &mm))
		return thpsim_errmsg();
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 7 + 1);
	if (thpsim_mm_mmap_anon(mm, base, len, NULL) ||
	    thpsim_mm_write(mm, base + len - sizeof(in), in, sizeof(in)) ||
	    thpsim_mm_read(mm, base + len - sizeof(in), out, sizeof(out)))
		fail = thpsim_errmsg();
	else if (memcmp(in, out, sizeof(in)))
		fail = "bytes read back differ from bytes written";
	else if (thpsim_mm_munmap(mm, base, len))
		fail = thpsim_errmsg();
	if (thpsim_mm_destroy(mm) && !fail)
		fail = thpsim_errmsg();
	thpsim_phys_stats(m, &after);
	if (!fail && after.nr_free != before.nr_free)
		fail = "frames were leaked by fault/zap/exit";
	return fail;
}

/* ---- output ---------------------------------------------------------- */

static void print_lat(const char *name, const thpsim_latency_t *l,
		      const thpsim_latency_t *floor)
{
	printf("  %-36s %9.2f %9.2f %9.2f", name, l->p50_ns / 1e3,
	       l->p99_ns / 1e3, l->max_ns / 1e3);
	if (floor && floor->p50_ns)
		printf("   %5.2fx", (double)l->p50_ns / (double)floor->p50_ns);
	putchar('\n');
}

static void print_ipi(const thpsim_ipi_selftest_t *r)
{
	printf("\npseudo-IPI round trip, 1 spinning target, %u rounds (us):\n",
	       r->rounds);
	printf("  %-36s %9s %9s %9s   %s\n", "series", "p50", "p99", "max",
	       "p50/floor");
	print_lat("floor: raw pthread_kill + ack", &r->raw_signal, NULL);
	print_lat("smp_call_function_single (signal)", &r->call_single,
		  &r->raw_signal);
	print_lat("sync IPI (signal backend)", &r->sync_signal, &r->raw_signal);
	if (!r->membarrier_ok) {
		printf("  membarrier: not available on this host\n");
		return;
	}
	print_lat("floor: raw membarrier", &r->raw_membarrier, NULL);
	print_lat("sync IPI (membarrier backend)", &r->sync_membarrier,
		  &r->raw_membarrier);
}

static int run_checks(thpsim_machine_t *m, const struct selfcheck_opts *o)
{
	static const struct {
		const char *name;
		const char *(*fn)(thpsim_machine_t *m);
	} checks[] = {
		{ "IPI to a masked CPU waits for unmask", check_masked_ipi },
		{ "page tables: fault/write/read/zap/exit", check_page_tables },
	};
	thpsim_ipi_selftest_t r;
	int failed = 0, id, err;

	if ((err = thpsim_cpu_register(m, &id))) {
		fprintf(stderr, "thpsim: error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	printf("thpsim %s self-check (%ld host CPUs online)\n",
	       THPSIM_VERSION_STRING, (long)sysconf(_SC_NPROCESSORS_ONLN));
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const char *fail = checks[i].fn(m);

		printf("  [%s] %s%s%s\n", fail ? "FAIL" : " ok ", checks[i].name,
		       fail ? ": " : "", fail ? fail : "");
		failed += fail != NULL;
	}
	err = thpsim_ipi_selftest(m, (unsigned)o->rounds, &r);
	thpsim_cpu_unregister();
	if (err) {
		fprintf(stderr, "thpsim: error: IPI measurement: %s\n",
			thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	print_ipi(&r);
	return failed ? EXIT_INTERNAL : EXIT_CLEAN;
}

int cmd_selfcheck(int argc, char **argv)
{
	struct selfcheck_opts o = { .rounds = 2000, .cpus = 8, .signal_off = 4,
				    .watchdog_ms = 5000 };
	const struct opt opts[] = {
		{ "rounds", OPT_UINT, &o.rounds, "N", "round trips measured per series", 10, 1000000, NULL, "2000" },
		{ "cpus", OPT_UINT, &o.cpus, "N", "simulated CPU slots", 3, THPSIM_NR_CPUS_MAX, NULL, "8" },
		{ "signal", OPT_UINT, &o.signal_off, "K", "pseudo-IPI signal is SIGRTMIN+K", 0, 16, NULL, "4" },
		{ "watchdog-ms", OPT_UINT, &o.watchdog_ms, "MS", "bound on any IPI wait", 1, 600000, NULL, "5000" },
		{ NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL },
	};
	const struct cmd cmd = {
		"selfcheck", "thpsim [selfcheck] [options]",
		"Check the simulated machine (soft IRQ mask, pseudo-IPIs, page tables)\n"
		"and measure the pseudo-IPI round trip next to its floors.",
		opts, 0,
	};
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m;
	int err;

	err = opts_parse(&cmd, argc, argv, NULL, NULL);
	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	if (SIGRTMIN + (int)o.signal_off + 1 > SIGRTMAX)
		return opts_error("--signal: SIGRTMIN+%llu leaves no signal for the floor (allowed: 0..%d)",
				  (unsigned long long)o.signal_off,
				  SIGRTMAX - SIGRTMIN - 1);
	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = (unsigned)o.cpus;
	cfg.ipi_signal = SIGRTMIN + (int)o.signal_off;
	cfg.watchdog_ns = o.watchdog_ms * 1000000ull;
	if ((err = thpsim_machine_create(&cfg, &m))) {
		fprintf(stderr, "thpsim: error: %s\n", thpsim_errmsg());
		return EXIT_INTERNAL;
	}
	err = run_checks(m, &o);
	thpsim_machine_destroy(m);
	return err;
}
