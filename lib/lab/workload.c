/*
 * workload.c - free-running stress (thpsim/workload.h): setup, the control
 * loop, the event sink, judgement and teardown.  The threads are in
 * workload_threads.c; the event path is explained in lab/workload.h.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/workload.h"
#include "machine/errors.h"
#include "machine/event.h"
#include "machine/sched.h"
#include "machine/tsan.h"

/*
 * Set by thpsim_stress_stop(): the run in progress ends.  An atomic, not
 * a volatile sig_atomic_t: the caller may be a signal handler or another
 * thread (ThreadSanitizer reported the volatile as a data race); a
 * lock-free atomic is async-signal-safe too.
 */
static atomic_int stress_stop_requested;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "stop flag must be lock-free");

void thpsim_stress_stop(void)
{
	atomic_store_explicit(&stress_stop_requested, 1, memory_order_relaxed);
}

void thpsim_stress_config_init(thpsim_stress_config_t *sc)
{
	thpsim_kconfig_t kc;

	if (!sc)
		return;
	thpsim_kconfig_default(&kc);
	*sc = (thpsim_stress_config_t){ .profile = "arm64", .fix = "none",
					.walkers = 1, .stall_every = 1,
					.duration_ns = 1000000000u, .seed = 1,
					.grace_ns = 2000000000u };
	(void)thpsim_geometry_parse("4x64", &sc->geometry);
	sc->knobs = kc.knobs;
}

/* ---- the event sink ---------------------------------------------------- */

/* What a TABLE_FREE's `what` says about when the frame is freed. */
static bool table_free_is_deferred(const char *what)
{
	return what && (strstr(what, "rcu") || strstr(what, "defer"));
}

static void workload_sink(const thpsim_event_t *ev, void *arg)
{
	struct workload *w = arg;

	switch (ev->kind) {
	case THPSIM_EV_IPI_RUN:
		/* Possibly in signal context: touch nothing but a counter. */
		atomic_fetch_add_explicit(&w->c.skipped, 1, memory_order_relaxed);
		return;
	case THPSIM_EV_COLLAPSE_END:
		atomic_fetch_add_explicit(ev->arg == THPSIM_SCAN_SUCCEED ?
					  &w->c.collapses_ok : &w->c.collapses_failed,
					  1, memory_order_relaxed);
		break;
	case THPSIM_EV_IRQ_OFF:
	case THPSIM_EV_IRQ_ON:
		wl_irq_event(w, ev->kind == THPSIM_EV_IRQ_OFF);
		break;
	case THPSIM_EV_TABLE_FREE:
		atomic_fetch_add_explicit(table_free_is_deferred(ev->what) ?
					  &w->c.freed_rcu : &w->c.freed_now,
					  1, memory_order_relaxed);
		break;
	default:
		break;
	}
	oracle_sink(ev, w->oracle);
	if (w->cfg.on_event)
		w->cfg.on_event(ev, w->cfg.on_event_arg);
}

/* ---- grace-period probe and watchdog --------------------------------- */

/* One probe in flight at a time: each completion is one grace period. */
static void gp_probe_done(struct rcu_head *h)
{
	struct workload *w = (struct workload *)((char *)h -
				offsetof(struct workload, gp_probe));

	atomic_fetch_add(&w->c.gps, 1);
	atomic_store(&w->gp_probe_pending, 0);
	tsan_release(&w->gp_probe);	/* rcu_barrier() orders it (liburcu) */
}

static void gp_probe(struct workload *w)
{
	if (atomic_load(&w->gp_probe_pending))
		return;
	atomic_store(&w->gp_probe_pending, 1);
	call_rcu(&w->gp_probe, gp_probe_done);
}

static void on_watchdog(const thpsim_watchdog_report_t *r, void *arg)
{
	struct workload *w = arg;

	if (atomic_exchange(&w->watchdog_fired, 1))
		return;
	snprintf(w->deadlock, sizeof(w->deadlock),
		 "watchdog: CPU %d waited %llu ms for CPU %d's ack; CPU %d had interrupts masked (depth %u) at %s (%s:%d)",
		 r->sender, (unsigned long long)(r->waited_ns / 1000000),
		 r->cpu, r->cpu, r->irq_depth,
		 r->masked_at.func ? r->masked_at.func : "-",
		 r->masked_at.file ? r->masked_at.file : "-",
		 r->masked_at.line);
	atomic_store(&w->stop, 1);
}

/* ---- setup --------------------------------------------------------- */

static int wl_config(struct workload *w, const thpsim_stress_config_t *sc)
{
	int err = thpsim_geometry_validate(&sc->geometry);

	if (err)
		return err;
	w->cfg = *sc;
	w->kc.profile = thpsim_profile_find(sc->profile ? sc->profile : "arm64");
	w->kc.strategy = thpsim_strategy_find(sc->fix ? sc->fix : "none");
	if (!w->kc.profile || !w->kc.strategy)
		return -THPSIM_EINVAL;
	w->kc.knobs = sc->knobs;
	if (!sc->walkers || sc->walkers > THPSIM_STRESS_WALKERS_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "stress: walkers %u (allowed: 1..%d)",
				   sc->walkers, THPSIM_STRESS_WALKERS_MAX);
	if (sc->idle_cpus > THPSIM_IDLE_CPUS_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "stress: idle_cpus %u (allowed: 0..%d)",
				   sc->idle_cpus, THPSIM_IDLE_CPUS_MAX);
	if (!sc->stall_every)
		return thpsim__err(-THPSIM_EINVAL,
				   "stress: stall_every 0 (allowed: 1 or more)");
	w->page = UINT64_C(1) << sc->geometry.page_shift;
	w->hpage = thpsim_geometry_hpage_size(&sc->geometry);
	w->npages = sc->geometry.entries;
	/* Adjacent pmd entries of one PMD table, not its first. */
	w->anon_addr = 2 * w->hpage;
	w->file_addr = 3 * w->hpage;
	return 0;
}

static size_t wl_frames(const thpsim_geometry_t *g)
{
	/* Two ranges of small pages, their huge pages, a file being
	 * replaced, tables, what RCU still holds, and room enough that
	 * huge-page allocations rarely fail from fragmentation. */
	return 32 * (size_t)g->entries + 16 * g->levels + 512;
}

static int wl_machine(struct workload *w)
{
	thpsim_machine_config_t mc;
	int err;

	thpsim_machine_config_init(&mc);
	mc.nr_cpus = w->cfg.walkers + 3 + w->cfg.idle_cpus;
	mc.page_shift = w->cfg.geometry.page_shift;
	mc.nr_frames = wl_frames(&w->cfg.geometry);
	mc.sync_backend = w->cfg.ipi;
	mc.guest = w->kc.profile->guest;
	err = thpsim_machine_create(&mc, &w->m);
	if (err)
		return err;
	thpsim_machine_set_watchdog(w->m, 1000000000u, on_watchdog, w);
	w->oracle = oracle_create(&w->cfg.geometry, mc.nr_frames);
	if (!w->oracle)
		return -THPSIM_ENOMEM;
	err = event_subscribe(workload_sink, w);
	if (!err)
		thpsim__event_serialize = 1;	/* see lab/workload.h */
	return err;
}

/* On the control CPU: the address space, its two ranges, their bytes. */
static int wl_mm(struct workload *w)
{
	int err = thpsim_mm_create(w->m, &w->cfg.geometry, &w->mm);

	if (!err)
		err = thpsim_mm_set_kconfig(w->mm, &w->kc);
	if (!err)
		err = thpsim_mm_mmap_anon(w->mm, w->anon_addr, w->hpage, NULL);
	if (!err)
		err = thpsim_file_create(w->m, w->npages, &w->file);
	if (!err)
		err = thpsim_mm_mmap_file(w->mm, w->file, 0, w->file_addr,
					  w->hpage);
	if (!err)
		err = wl_fill(w, w->anon_addr);
	if (!err)
		err = wl_fill(w, w->file_addr);
	return err;
}

/* ---- the run -------------------------------------------------------- */

static void wl_sleep_idle(uint64_t ns)
{
	struct timespec t = { 0, (long)ns };

	thpsim_cpu_idle_enter();
	nanosleep(&t, NULL);
	thpsim_cpu_idle_exit();
}

static void wl_counters(struct workload *w, thpsim_stress_counters_t *o,
			uint64_t ns);

/* The control CPU: keeps a grace-period probe queued until the end, and
 * reports progress every cfg.progress_ns. */
static bool wl_control(struct workload *w)
{
	uint64_t t0 = thpsim__now_ns(), end = t0 + w->cfg.duration_ns;
	uint64_t next = t0 + w->cfg.progress_ns, now;

	while (!atomic_load(&w->stop) &&
	       !atomic_load_explicit(&stress_stop_requested, memory_order_relaxed) &&
	       (now = thpsim__now_ns()) < end) {
		if (w->cfg.progress && w->cfg.progress_ns && now >= next) {
			thpsim_stress_counters_t c;

			wl_counters(w, &c, now - t0);
			w->cfg.progress(&c, w->cfg.progress_arg);
			next += w->cfg.progress_ns;
		}
		gp_probe(w);
		wl_sleep_idle(1000000);
	}
	atomic_store(&w->stop, 1);
	return atomic_load_explicit(&stress_stop_requested, memory_order_relaxed);
}

/* Join every thread by the grace deadline; false if one is stuck. */
static bool wl_join(struct workload *w, pthread_t *th, unsigned nr)
{
	struct timespec dl;
	bool ok = true;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)(w->cfg.grace_ns / 1000000000u);
	dl.tv_nsec += (long)(w->cfg.grace_ns % 1000000000u);
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	for (unsigned i = 0; i < nr; i++)
		if (pthread_timedjoin_np(th[i], NULL, &dl))
			ok = false;
	return ok;
}

static void wl_counters(struct workload *w, thpsim_stress_counters_t *o,
			uint64_t ns)
{
	thpsim_machine_stats_t ms;

	thpsim_machine_stats(w->m, &ms);
	*o = (thpsim_stress_counters_t){
		.elapsed_s = (double)ns / 1e9,
		.walks = w->c.walks, .pages_pinned = w->c.pinned,
		.bytes_bad = w->c.bytes_bad, .stalls = w->c.stalls,
		.collapses_ok = w->c.collapses_ok,
		.collapses_failed = w->c.collapses_failed,
		.splits = w->c.splits, .zaps = w->c.zaps,
		.refaults = w->c.refaults, .file_swaps = w->c.file_swaps,
		.ipi_sent = ms.ipi_sent, .ipi_acked = ms.ipi_handled,
		.membarriers = ms.membarriers,
		.watchdog_fires = ms.watchdog_fires,
		.grace_periods = w->c.gps,
		.tables_freed_now = w->c.freed_now,
		.tables_freed_rcu = w->c.freed_rcu,
		.events_skipped = w->c.skipped,
		.irq_off_sections = w->c.sections,
		.irq_off_max_ns = w->c.irq_off_max_ns,
	};
}

static void wl_judge(struct workload *w, thpsim_stress_result_t *out,
		     uint64_t ns)
{
	if (atomic_load(&w->watchdog_fired)) {
		snprintf(out->deadlock, sizeof(out->deadlock), "%s", w->deadlock);
		oracle_report_deadlock(w->oracle, w->deadlock);
	}
	oracle_verdict(w->oracle, &out->verdict);
	wl_counters(w, &out->counters, ns);
	out->counters.events = out->verdict.nr_events;
	out->nr_cpus = wl_cpu_table(w, out->cpus);
	out->counters.unhooked_reads = out->verdict.nr_unhooked_reads;
}

const char *thpsim_stress_vacuous(const thpsim_stress_result_t *r)
{
	if (!r)
		return "no result";
	if (!r->counters.pages_pinned)
		return "0 pages pinned";
	if (!r->counters.collapses_ok)
		return "no collapse completed while the walkers ran";
	if (!r->counters.unhooked_reads)
		return "no walker read a table that was unhooked during its walk (0 unhooked reads)";
	return NULL;
}

static void wl_teardown(struct workload *w)
{
	event_unsubscribe(workload_sink, w);
	thpsim__event_serialize = 0;
	if (w->mm)
		thpsim_mm_destroy(w->mm);
	if (w->file)
		thpsim_file_destroy(w->file);
	rcu_barrier();
}

/* Threads started: run, stop, join, judge.  -THPSIM_EINTERNAL if stuck. */
static int wl_run(struct workload *w, thpsim_stress_result_t *out)
{
	pthread_t th[THPSIM_STRESS_CPUS_MAX - 1];
	uint64_t t0 = thpsim__now_ns(), ns;
	unsigned nr = 0;
	int err = wl_spawn(w, th, &nr);

	if (err)
		atomic_store(&w->stop, 1);
	else
		out->interrupted = wl_control(w);
	ns = thpsim__now_ns() - t0;
	w->stuck = !wl_join(w, th, nr);
	if (w->stuck)
		return thpsim__err(-THPSIM_EINTERNAL,
				   "stress: a thread did not stop within %llu ms",
				   (unsigned long long)(w->cfg.grace_ns / 1000000));
	rcu_barrier();		/* the probe and the deferred frees */
	tsan_acquire(&w->gp_probe);
	wl_judge(w, out, ns);
	if (!err && atomic_load(&w->fatal))
		err = thpsim__err(-THPSIM_EINTERNAL, "stress: %s", w->fatal_msg);
	return err;
}

int thpsim_stress_run(const thpsim_stress_config_t *sc,
		      thpsim_stress_result_t *out)
{
	struct workload *w;
	int err, id = -1;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "stress: out is NULL (need a place for the result)");
	memset(out, 0, sizeof(*out));
	if (!sc)
		return thpsim__err(-THPSIM_EINVAL, "stress: configuration is NULL");
	w = calloc(1, sizeof(*w));
	if (w)
		w->control_cpu = -1;
	if (!w)
		return thpsim__err(-THPSIM_ENOMEM, "stress: out of memory");
	atomic_store_explicit(&stress_stop_requested, 0, memory_order_relaxed);
	pthread_mutex_init(&w->file_lock, NULL);
	err = wl_config(w, sc);
	if (!err)
		err = wl_machine(w);
	if (!err)
		err = thpsim_cpu_register(w->m, &id);
	w->control_cpu = id;
	if (!err && (err = wl_mm(w)))
		err = thpsim__err(-THPSIM_EINTERNAL, "stress setup: %s",
				  thpsim_errmsg());
	if (!err) {
		wl_hook_install(w);
		err = wl_run(w, out);
		wl_hook_install(NULL);
		if (w->stuck)
			return err;	/* threads still run: leak it all */
	}
	if (w->m) {
		wl_teardown(w);
		if (id >= 0)
			thpsim_cpu_unregister();
		thpsim_machine_destroy(w->m);
	}
	oracle_destroy(w->oracle);
	pthread_mutex_destroy(&w->file_lock);
	free(w);
	return err;
}
