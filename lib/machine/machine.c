/*
 * machine.c - machine configuration, creation, watchdog and statistics.
 *
 * A machine owns its CPU slots, the (sender x target) call descriptors,
 * the physical memory arena and the watchdog.  The IPI signal handler is
 * process-wide (installed once per signal number, see ipi.c) and finds
 * the machine through the interrupted thread's this_cpu().
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/errors.h"
#include "machine/internal.h"
#include "machine/phys.h"
#include "machine/rcu.h"
#include "machine/sched.h"

#define DEFAULT_NR_CPUS 64
#define DEFAULT_WATCHDOG_NS (2 * UINT64_C(1000000000))
#define MIN_WATCHDOG_NS UINT64_C(1000000)
#define DEFAULT_NR_FRAMES 4096
#define MIN_NR_FRAMES 16
#define DEFAULT_PAGE_SHIFT 12
#define MIN_PAGE_SHIFT 6
#define MAX_PAGE_SHIFT 16

void thpsim_machine_config_init(thpsim_machine_config_t *cfg)
{
	if (!cfg)
		return;
	*cfg = (thpsim_machine_config_t){
		.nr_cpus = DEFAULT_NR_CPUS,
		.ipi_signal = SIGRTMIN + 4,
		.sync_backend = THPSIM_IPI_SIGNAL,
		.watchdog_ns = DEFAULT_WATCHDOG_NS,
		.nr_frames = DEFAULT_NR_FRAMES,
		.page_shift = DEFAULT_PAGE_SHIFT,
	};
}

static int config_check(const thpsim_machine_config_t *c)
{
	if (c->nr_cpus < 1 || c->nr_cpus > THPSIM_NR_CPUS_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "nr_cpus: %u out of range 1..%d",
				   c->nr_cpus, THPSIM_NR_CPUS_MAX);
	if (c->ipi_signal < SIGRTMIN || c->ipi_signal > SIGRTMAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "ipi_signal: %d is not a real-time signal (allowed: %d..%d, SIGRTMIN..SIGRTMAX)",
				   c->ipi_signal, SIGRTMIN, SIGRTMAX);
	if (c->sync_backend != THPSIM_IPI_SIGNAL &&
	    c->sync_backend != THPSIM_IPI_MEMBARRIER)
		return thpsim__err(-THPSIM_EINVAL,
				   "sync_backend: %d unknown (allowed: %d signal, %d membarrier)",
				   (int)c->sync_backend, THPSIM_IPI_SIGNAL,
				   THPSIM_IPI_MEMBARRIER);
	if (c->watchdog_ns < MIN_WATCHDOG_NS)
		return thpsim__err(-THPSIM_EINVAL,
				   "watchdog_ns: %" PRIu64 " below the minimum %" PRIu64 " (1 ms)",
				   c->watchdog_ns, MIN_WATCHDOG_NS);
	if (c->page_shift < MIN_PAGE_SHIFT || c->page_shift > MAX_PAGE_SHIFT)
		return thpsim__err(-THPSIM_EINVAL,
				   "page_shift: %u out of range %d..%d",
				   c->page_shift, MIN_PAGE_SHIFT,
				   MAX_PAGE_SHIFT);
	if (c->nr_frames < MIN_NR_FRAMES ||
	    c->nr_frames > (SIZE_MAX >> c->page_shift))
		return thpsim__err(-THPSIM_EINVAL,
				   "nr_frames: %zu out of range %d..%zu",
				   c->nr_frames, MIN_NR_FRAMES,
				   SIZE_MAX >> c->page_shift);
	return 0;
}

static void machine_free(thpsim_machine_t *m)
{
	if (m->phys)
		thpsim__phys_destroy(m->phys);
	pthread_mutex_destroy(&m->lock);
	free(m->csd_pool);
	free(m->cpus);
	free(m);
}

static int machine_alloc_cpus(thpsim_machine_t *m)
{
	unsigned n = m->cfg.nr_cpus, i;
	void *mem;

	if (posix_memalign(&mem, 64, n * sizeof(struct cpu)))
		return thpsim__err(-THPSIM_ENOMEM, "nr_cpus: %u CPU slots", n);
	m->cpus = memset(mem, 0, n * sizeof(struct cpu));
	m->csd_pool = calloc((size_t)n * n, sizeof(*m->csd_pool));
	if (!m->csd_pool)
		return thpsim__err(-THPSIM_ENOMEM,
				   "nr_cpus: %u CPUs need %u call descriptors",
				   n, n * n);
	for (i = 0; i < n; i++) {
		struct cpu *c = &m->cpus[i];

		c->id = (int)i;
		c->machine = m;
		c->csd = &m->csd_pool[(size_t)i * n];
		for (unsigned t = 0; t < n; t++) {
			c->csd[t].src = (int)i;
			c->csd[t].dst = (int)t;
		}
	}
	return 0;
}

int thpsim_machine_create(const thpsim_machine_config_t *cfg,
			  thpsim_machine_t **out)
{
	thpsim_machine_t *m;
	int err;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "out: NULL (need a place for the machine)");
	*out = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return thpsim__err(-THPSIM_ENOMEM, "machine: %zu bytes", sizeof(*m));
	if (cfg)
		m->cfg = *cfg;
	else
		thpsim_machine_config_init(&m->cfg);
	if (m->cfg.ipi_signal == 0)
		m->cfg.ipi_signal = SIGRTMIN + 4;
	pthread_mutex_init(&m->lock, NULL);
	atomic_init(&m->watchdog_ns, m->cfg.watchdog_ns);

	err = config_check(&m->cfg);
	if (!err)
		err = machine_alloc_cpus(m);
	if (!err && m->cfg.sync_backend == THPSIM_IPI_MEMBARRIER)
		err = thpsim__membarrier_setup();
	if (!err)
		err = thpsim__ipi_install(m->cfg.ipi_signal);
	if (!err)
		err = thpsim__phys_create(m->cfg.nr_frames, m->cfg.page_shift,
					  &m->phys);
	if (err) {
		machine_free(m);
		return err;
	}
	*out = m;
	return 0;
}

void thpsim_machine_destroy(thpsim_machine_t *m)
{
	struct cpu *self = this_cpu();
	unsigned i;

	if (!m)
		return;
	/* Convenience: the creating thread may still be one of its CPUs. */
	if (self && self->machine == m)
		thpsim_cpu_unregister();
	for (i = 0; i < m->cfg.nr_cpus; i++) {
		if (!atomic_load(&m->cpus[i].online))
			continue;
		/* Leak rather than free memory a live CPU still uses. */
		thpsim__bug(__FILE__, __LINE__,
			    "machine destroyed while CPU %u is still registered",
			    i);
		return;
	}
	machine_free(m);
}

const thpsim_machine_config_t *thpsim_machine_config(const thpsim_machine_t *m)
{
	return m ? &m->cfg : NULL;
}

struct phys *thpsim__machine_phys(thpsim_machine_t *m)
{
	return m->phys;
}

/* ---- watchdog -------------------------------------------------------- */

void thpsim_machine_set_watchdog(thpsim_machine_t *m, uint64_t bound_ns,
				 thpsim_watchdog_fn fn, void *arg)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	if (bound_ns)	/* 0 keeps the current bound */
		atomic_store(&m->watchdog_ns, bound_ns);
	m->watchdog_fn = fn;
	m->watchdog_arg = arg;
	pthread_mutex_unlock(&m->lock);
}

uint64_t thpsim__watchdog_bound(thpsim_machine_t *m)
{
	return atomic_load_explicit(&m->watchdog_ns, memory_order_relaxed);
}

/*
 * When a wait that began at start gives up.  Only in free mode: under the
 * deterministic scheduler wall time means nothing, and a wait that can
 * never end is reported as a deadlock instead.
 */
uint64_t thpsim__ipi_deadline(thpsim_machine_t *m, uint64_t start)
{
	if (!sched_is_free_running())
		return UINT64_MAX;
	return start + thpsim__watchdog_bound(m);
}

bool thpsim_machine_last_watchdog(thpsim_machine_t *m,
				  thpsim_watchdog_report_t *out)
{
	bool fired;

	if (!m)
		return false;
	pthread_mutex_lock(&m->lock);
	fired = m->watchdog_fired;
	if (fired && out)
		*out = m->watchdog_last;
	pthread_mutex_unlock(&m->lock);
	return fired;
}

static void watchdog_print(const thpsim_watchdog_report_t *r)
{
	if (r->masked_at.func)
		fprintf(stderr,
			"thpsim: watchdog: CPU %d waited %" PRIu64 " ns for CPU %d, which masked interrupts at %s (%s:%d), depth %u\n",
			r->sender, r->waited_ns, r->cpu, r->masked_at.func,
			r->masked_at.file, r->masked_at.line, r->irq_depth);
	else
		fprintf(stderr,
			"thpsim: watchdog: CPU %d waited %" PRIu64 " ns for CPU %d, which has interrupts enabled (not scheduled, or a slow IPI function)\n",
			r->sender, r->waited_ns, r->cpu);
}

/*
 * Called by a sender whose wait on cpu overran the bound: snapshot where
 * that CPU masked interrupts, keep it as the last report and hand it to
 * the handler.  The site is a static object (THPSIM_SITE_HERE), so reading
 * it from here is safe even if the masking block has ended meanwhile.
 */
void thpsim__watchdog_report(thpsim_machine_t *m, int sender, int cpu,
			     uint64_t waited_ns)
{
	struct cpu *t = &m->cpus[cpu];
	thpsim_watchdog_report_t r = {
		.sender = sender, .cpu = cpu, .waited_ns = waited_ns,
	};
	const thpsim_site_t *site;
	thpsim_watchdog_fn fn;
	void *arg;

	r.irq_depth = irq_depth_read(t);
	site = __atomic_load_n(&t->irq_site, __ATOMIC_ACQUIRE);
	if (r.irq_depth && site)
		r.masked_at = *site;
	machine_stat_inc(m, watchdog_fires);
	pthread_mutex_lock(&m->lock);
	m->watchdog_fired = true;
	m->watchdog_last = r;
	fn = m->watchdog_fn;
	arg = m->watchdog_arg;
	pthread_mutex_unlock(&m->lock);
	if (fn)
		fn(&r, arg);
	else
		watchdog_print(&r);
}

/* ---- statistics ------------------------------------------------------ */

void thpsim_machine_stats(thpsim_machine_t *m, thpsim_machine_stats_t *out)
{
	if (!out)
		return;
	if (!m) {
		memset(out, 0, sizeof(*out));
		return;
	}
#define MACHINE_STAT_COPY(name) out->name = atomic_load(&m->stats.name);
	MACHINE_STATS(MACHINE_STAT_COPY)
#undef MACHINE_STAT_COPY
}

/* ---- RCU ------------------------------------------------------------- */

int thpsim_machine_rcu_barrier(thpsim_machine_t *m)
{
	struct cpu *c = this_cpu();

	if (!m)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_machine_rcu_barrier: machine is NULL");
	if (!c)
		return thpsim__err(-THPSIM_ENOTCPU,
				   "thpsim_machine_rcu_barrier: the calling thread is not a registered CPU (thpsim_cpu_register)");
	if (c->machine != m)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_machine_rcu_barrier: the calling CPU belongs to another machine");
	if (irq_depth_read(c))
		return thpsim__err(-THPSIM_EDEADLK,
				   "thpsim_machine_rcu_barrier: interrupts masked (an RCU read-side section would wait for itself)");
	rcu_barrier();
	return 0;
}
