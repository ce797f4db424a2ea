/*
 * scale.c - the scale engine's workloads and runs (thpsim/scale.h,
 * docs/SCALE.md).  Three phases, each its own deterministic scheduler
 * under the virtual clock: setup (the mm), the workload (measured), and
 * teardown.  The workloads call the public mm API only: the mm code runs
 * as in every other mode; the clock lives below it (scale_clock.c).
 *
 * CPU layout: CPU 0 is the collapser (khugepaged-scan), the last CPU runs
 * the RCU grace-period thread (a kernel thread on one of the machine's
 * CPUs, outside the mm), the others are the workload's.
 */
#include <stdlib.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "lab/explore.h"
#include "lab/scale.h"
#include "machine/cpu.h"
#include "machine/errors.h"
#include "machine/rcu.h"
#include "mm/abandon.h"

#define NREG 2			/* collapse regions, recycled */
#define KH_SPARE_MAX 400		/* huge pages of slack, at most */
#define STORM_MMS_MAX THPSIM_SCALE_CPUS_MAX

enum scale_wl { WL_KHUGEPAGED, WL_FORK, WL_DONTNEED };

static const struct {
	const char *name, *doc;
} workloads[] = {
	{ "khugepaged-scan", "one collapser (CPU 0) doing N collapses; W walkers pinning with GUP-fast at a rate; the other CPUs run threads of the mm" },
	{ "fork-storm", "every CPU creates, faults and tears down its own process's tables N times; each table free pays the mmu_gather fallback (the sync, or synchronize_rcu for rcu-fallback)" },
	{ "dontneed-storm", "every CPU faults pages of one shared mm and frees them with MADV_DONTNEED (mmu_gather, TLB flush to the mm's CPUs), N times" },
};

#define NR_WL (sizeof(workloads) / sizeof(workloads[0]))

const char *thpsim_scale_workload_name(unsigned i)
{
	return i < NR_WL ? workloads[i].name : NULL;
}

const char *thpsim_scale_workload_doc(unsigned i)
{
	return i < NR_WL ? workloads[i].doc : NULL;
}

void thpsim_scale_config_init(thpsim_scale_config_t *c)
{
	if (!c)
		return;
	memset(c, 0, sizeof(*c));
	c->workload = "khugepaged-scan";
	c->cpus = 2;
	c->fix = "ipi-sync";
	c->profile = "x86-paravirt";
	thpsim_cost_table_builtin("kernel-x86-64", &c->costs);
	c->ops = 100;
	c->walkers = 0;		/* 0: cpus / 8, at least 1 */
	c->walk_interval_ns = 20000;
	c->user_quantum_ns = 50000;
	c->seed = 1;
}

struct scale_run;

struct worker {
	struct scale_run *r;
	int cpu;
	uint64_t rng;
	thpsim_mm_t *mm;		/* storms: the process of this CPU */
};

struct scale_run {
	thpsim_scale_config_t c;
	enum scale_wl wl;
	thpsim_kconfig_t kc;
	thpsim_geometry_t g;
	thpsim_machine_t *m;
	thpsim_mm_t *mm;		/* khugepaged-scan, dontneed-storm */
	uint64_t page, hpage, base;
	struct detsched ds;
	struct vclock vc;
	bool stop;
	bool broken;			/* a phase ended in a BUG or deadlock */
	unsigned walkers, r_cpu;
	int err;
	uint64_t work_end;		/* ps: the last op's end */
	uint64_t ops;
	thpsim_irq_counts_t excl[THPSIM_NR_CPUS_MAX];	/* recycling's */
	struct worker w[THPSIM_NR_CPUS_MAX];
};

static void note_err(struct scale_run *r, int err)
{
	if (err < 0 && !r->err)
		r->err = err;
}

/* ---- khugepaged-scan ---------------------------------------------------- */

static void irq_snap(struct scale_run *r, thpsim_irq_counts_t *s)
{
	for (unsigned i = 0; i < r->c.cpus; i++)
		thpsim_cpu_irq_counts(r->m, (int)i, &s[i]);
}

/* Fault a region's pages in, unmeasured (recycling the memory). */
static void region_fill(struct scale_run *r, thpsim_mm_t *mm, uint64_t addr,
			uint64_t len)
{
	for (uint64_t off = 0; !r->err && off < len; off += r->page)
		note_err(r, thpsim_mm_fault(mm, addr + off, true));
}

/* Work not measured: its clock stands still and its interrupts are
 * counted apart (excl). */
static void unmeasured_begin(struct scale_run *r, thpsim_irq_counts_t *b)
{
	irq_snap(r, b);
	vclock_pause(&r->vc, true);
}

static void unmeasured_end(struct scale_run *r, const thpsim_irq_counts_t *b)
{
	thpsim_irq_counts_t a[THPSIM_NR_CPUS_MAX];

	vclock_pause(&r->vc, false);
	irq_snap(r, a);
	for (unsigned i = 0; i < r->c.cpus; i++) {
		r->excl[i].cal += a[i].cal - b[i].cal;
		r->excl[i].tlb += a[i].tlb - b[i].tlb;
	}
}

static void collapser(void *p)
{
	struct worker *w = p;
	struct scale_run *r = w->r;
	thpsim_irq_counts_t b[THPSIM_NR_CPUS_MAX];

	thpsim_mm_switch(r->mm);
	unmeasured_begin(r, b);
	note_err(r, thpsim_mm_mmap_anon(r->mm, r->base, NREG * r->hpage, NULL));
	unmeasured_end(r, b);
	for (unsigned i = 0; i < r->c.ops && !r->err; i++) {
		uint64_t addr = r->base + (i % NREG) * r->hpage;

		unmeasured_begin(r, b);
		region_fill(r, r->mm, addr, r->hpage);
		unmeasured_end(r, b);
		(void)thpsim_collapse_anon(r->mm, addr);	/* events time it */
		r->ops++;
		r->work_end = vclock_now(&r->vc);
		/* Recycle: zap_huge_pmd frees the huge page after the flush
		 * and the deposited table at once (no RCU: no frames held
		 * over a grace period, whatever the fix). */
		unmeasured_begin(r, b);
		note_err(r, thpsim_mm_madvise_dontneed(r->mm, addr, r->hpage));
		unmeasured_end(r, b);
	}
	r->stop = true;
	thpsim_mm_unuse(r->mm);
}

static void walker(void *p)
{
	struct worker *w = p;
	struct scale_run *r = w->r;
	uint64_t pfn, entries = r->hpage / r->page;

	thpsim_mm_switch(r->mm);
	while (!r->stop) {
		double jitter = 0.5 + xrand_unit(&w->rng);
		uint64_t addr = r->base +
				(xrand_next(&w->rng) % NREG) * r->hpage +
				(xrand_next(&w->rng) % entries) * r->page;

		vclock_sleep(&r->vc, (uint64_t)((double)r->c.walk_interval_ns * jitter));
		if (r->stop)
			break;
		if (thpsim_gup_fast(r->mm, addr, 1, &pfn) == 1)
			thpsim_unpin(r->mm, pfn);
	}
	thpsim_mm_unuse(r->mm);
}

/* A thread of the mm doing user work: interrupts on, in mm_cpumask. */
static void user_thread(void *p)
{
	struct worker *w = p;
	struct scale_run *r = w->r;

	thpsim_mm_switch(r->mm);
	while (!r->stop)
		vclock_sleep(&r->vc, r->c.user_quantum_ns);
	thpsim_mm_unuse(r->mm);
}

/* ---- the storms ------------------------------------------------------------ */

/* fork-storm: a process per CPU; each op builds tables and frees them
 * (munmap's free_pgtables: the tables go through mmu_gather). */
static void fork_op(struct scale_run *r, struct worker *w, uint64_t addr)
{
	uint64_t t0 = vclock_now(&r->vc);

	note_err(r, thpsim_mm_mmap_anon(w->mm, addr, r->hpage, NULL));
	for (uint64_t off = 0; off < 4 * r->page && !r->err; off += r->page)
		note_err(r, thpsim_mm_fault(w->mm, addr + off, true));
	/* The whole pmd range: free_pgtables frees its pte table. */
	note_err(r, thpsim_mm_munmap(w->mm, addr, r->hpage));
	if (r->vc.counting)
		vc_sample_add(&r->vc.ops, vclock_now(&r->vc) - t0);
}

static void dontneed_op(struct scale_run *r, struct worker *w, uint64_t addr)
{
	uint64_t t0 = vclock_now(&r->vc);

	for (uint64_t off = 0; off < 16 * r->page && !r->err; off += r->page)
		note_err(r, thpsim_mm_fault(w->mm, addr + off, true));
	note_err(r, thpsim_mm_madvise_dontneed(w->mm, addr, 16 * r->page));
	if (r->vc.counting)
		vc_sample_add(&r->vc.ops, vclock_now(&r->vc) - t0);
}

static void storm_thread(void *p)
{
	struct worker *w = p;
	struct scale_run *r = w->r;
	/* Each CPU its own pmd range (its own pte table). */
	uint64_t addr = r->base + (uint64_t)w->cpu * r->hpage;

	thpsim_mm_switch(w->mm);
	if (r->wl == WL_DONTNEED)
		note_err(r, thpsim_mm_mmap_anon(w->mm, addr, 16 * r->page, NULL));
	for (unsigned i = 0; i < r->c.ops && !r->err; i++) {
		if (r->wl == WL_FORK)
			fork_op(r, w, addr);
		else
			dontneed_op(r, w, addr);
		r->ops++;
		if (vclock_now(&r->vc) > r->work_end)
			r->work_end = vclock_now(&r->vc);
		/* user work between ops, jittered */
		vclock_sleep(&r->vc, (uint64_t)((double)r->c.user_quantum_ns *
						(0.5 + xrand_unit(&w->rng))));
	}
	thpsim_mm_unuse(w->mm);
}

/* ---- phases ---------------------------------------------------------------- */

static bool storm_own_mm(const struct scale_run *r)
{
	return r->wl == WL_FORK;
}

static void setup_body(void *p)
{
	struct scale_run *r = p;
	int err = 0;

	if (storm_own_mm(r)) {
		for (unsigned i = 0; i < r->c.cpus && !err; i++) {
			if (i == r->r_cpu)
				continue;
			err = thpsim_mm_create(r->m, &r->g, &r->w[i].mm);
			if (!err)
				err = thpsim_mm_set_kconfig(r->w[i].mm, &r->kc);
		}
	} else {
		err = thpsim_mm_create(r->m, &r->g, &r->mm);
		if (!err)
			err = thpsim_mm_set_kconfig(r->mm, &r->kc);
		for (unsigned i = 0; i < r->c.cpus; i++)
			r->w[i].mm = r->mm;
	}
	if (!err)
		rcu_barrier();
	note_err(r, err);
}

static void teardown_body(void *p)
{
	struct scale_run *r = p;

	for (unsigned i = 0; i < r->c.cpus; i++)
		if (r->w[i].mm && r->w[i].mm != r->mm)
			thpsim_mm_destroy(r->w[i].mm);
	if (r->mm)
		thpsim_mm_destroy(r->mm);
	rcu_barrier();
}

/* One scheduler run of the threads spawn() makes, under the clock. */
static int phase(struct scale_run *r, bool counting,
		 int (*spawn)(struct scale_run *r))
{
	struct det_policy p = vclock_policy_proto;
	enum det_result dr;
	int err;

	detsched_init(&r->ds, r->m, 0);
	err = detsched_reserve(&r->ds, (int)r->c.cpus);
	if (!err)
		err = detsched_spawn_rcu(&r->ds, (int)r->r_cpu);
	if (!err)
		err = spawn(r);
	if (!err)
		err = vclock_attach(&r->vc);
	if (err) {
		detsched_fini(&r->ds);
		return err;
	}
	r->vc.counting = counting;
	vclock_enqueue_all(&r->vc);
	p.st = &r->vc;
	dr = detsched_run(&r->ds, &p);
	vclock_detach(&r->vc);
	if (dr != DET_FINISHED) {
		r->broken = true;
		err = thpsim__err(dr == DET_BUG ? -THPSIM_EMODEL : -THPSIM_EINTERNAL,
				  "scale: %s %s: %s", workloads[r->wl].name,
				  det_result_name(dr), r->ds.report);
	}
	detsched_fini(&r->ds);
	return err;
}

static int spawn_setup(struct scale_run *r)
{
	return detsched_spawn(&r->ds, "setup", 0, setup_body, r);
}

static int spawn_teardown(struct scale_run *r)
{
	return detsched_spawn(&r->ds, "teardown", 0, teardown_body, r);
}

static int spawn_workload(struct scale_run *r)
{
	static const char *const role[] = { "K", "G", "U" };
	int err = 0;

	for (unsigned i = 0; i < r->c.cpus && !err; i++) {
		void (*fn)(void *) = user_thread;
		const char *name = role[2];

		if (i == r->r_cpu)
			continue;
		r->w[i].r = r;
		r->w[i].cpu = (int)i;
		r->w[i].rng = r->c.seed * 0x9e3779b97f4a7c15ull + i;
		if (r->wl != WL_KHUGEPAGED) {
			fn = storm_thread;
		} else if (i == 0) {
			fn = collapser;
			name = role[0];
		} else if (i <= r->walkers) {
			fn = walker;
			name = role[1];
		}
		err = detsched_spawn(&r->ds, name, (int)i, fn, &r->w[i]);
	}
	return err;
}

static int check_config(struct scale_run *r)
{
	const thpsim_scale_config_t *c = &r->c;
	unsigned i;

	for (i = 0; i < NR_WL; i++)
		if (c->workload && !strcmp(c->workload, workloads[i].name))
			break;
	if (i == NR_WL)
		return thpsim__err(-THPSIM_EINVAL,
				   "workload '%s' unknown (allowed: khugepaged-scan, fork-storm, dontneed-storm)",
				   c->workload ? c->workload : "(null)");
	r->wl = (enum scale_wl)i;
	if (c->cpus < 2 || c->cpus > THPSIM_SCALE_CPUS_MAX)
		return thpsim__err(-THPSIM_EINVAL, "cpus: %u out of range 2..%d",
				   c->cpus, THPSIM_SCALE_CPUS_MAX);
	if (c->ops < 1 || c->ops > 1000000)
		return thpsim__err(-THPSIM_EINVAL, "ops: %u out of range 1..1000000",
				   c->ops);
	thpsim_kconfig_default(&r->kc);
	r->kc.profile = thpsim_profile_find(c->profile ? c->profile : "x86-paravirt");
	if (!r->kc.profile)
		return -THPSIM_EINVAL;
	r->kc.strategy = thpsim_strategy_find(c->fix ? c->fix : "ipi-sync");
	if (!r->kc.strategy)
		return -THPSIM_EINVAL;
	/* fork-storm: every table free takes mmu_gather's fallback. */
	r->kc.knobs.fail_table_batch = r->wl == WL_FORK ? !c->no_sync :
				       c->fail_table_batch;
	thpsim_geometry_default(&r->g);
	if (c->geometry && thpsim_geometry_parse(c->geometry, &r->g))
		return -THPSIM_EINVAL;
	r->page = UINT64_C(1) << r->g.page_shift;
	r->hpage = thpsim_geometry_hpage_size(&r->g);
	r->base = 4 * r->hpage;
	/* The RCU thread takes the last CPU. */
	r->r_cpu = c->cpus - 1;
	r->walkers = c->walkers;
	if (!c->walkers) {	/* default: cpus / 8, at least 1, if room */
		r->walkers = c->cpus / 8 ? c->cpus / 8 : 1;
		if (r->walkers > c->cpus - 2)
			r->walkers = c->cpus - 2;
	}
	if (r->wl == WL_KHUGEPAGED && r->walkers > c->cpus - 2)
		return thpsim__err(-THPSIM_EINVAL,
				   "walkers: %u too many for %u CPUs (allowed: up to cpus - 2: the collapser and the RCU thread take one each)",
				   r->walkers, c->cpus);
	return 0;
}

static void figures(struct scale_run *r, thpsim_scale_result_t *out)
{
	struct vclock *vc = &r->vc;
	uint64_t cal = 0, tlb = 0, stolen = 0, n = r->c.cpus, per;
	thpsim_irq_counts_t k;

	/* Every CPU, the RCU thread's too (a kernel thread on a CPU of the
	 * machine: it takes the broadcast sync like any other). */
	for (unsigned i = 0; i < r->c.cpus; i++) {
		thpsim_cpu_irq_counts(r->m, (int)i, &k);
		k.cal -= r->excl[i].cal;
		k.tlb -= r->excl[i].tlb;
		/* A shootdown is a function call too (x86 counts it in CAL
		 * and TLB): CAL here is the calls that are not shootdowns. */
		cal += k.cal - (k.tlb < k.cal ? k.tlb : k.cal);
		tlb += k.tlb;
		stolen += vc->stolen[i];
	}
	out->cpus = r->c.cpus;
	out->ops = r->ops;
	out->ops_ok = r->wl == WL_KHUGEPAGED ? vc->ops_ok : r->ops;
	out->makespan_ns = r->work_end / VC_PS;
	out->op_p50_ns = vc_percentile(&vc->ops, 0.50) / VC_PS;
	out->op_p99_ns = vc_percentile(&vc->ops, 0.99) / VC_PS;
	/* Per collapse done (the published figure: interrupts over the
	 * collapses of 20 GiB); a storm's ops all count. */
	per = r->wl == WL_KHUGEPAGED ? vc->ops_ok : r->ops;
	out->cal_per_op = per ? (double)cal / (double)per : 0;
	out->tlb_per_op = per ? (double)tlb / (double)per : 0;
	out->cal_per_cpu = (double)cal / (double)n;
	out->tlb_per_cpu = (double)tlb / (double)n;
	out->stolen_ns_per_op = per ? (double)stolen / VC_PS / (double)per : 0;
	out->walks = vc->walks.n;
	out->walk_p99_ns = vc_percentile(&vc->walks, 0.99) / VC_PS;
	out->grace_periods = vc->gps;
	out->gp_mean_ns = vc->gps ? vc->gp_total / vc->gps / VC_PS : 0;
	out->rcu_pending_peak = vc->pending_peak;
	out->rcu_pending_mean = r->work_end ?
		(double)(vc->pending_area / (long double)r->work_end) : 0;
	out->throughput = r->work_end ?
		(double)r->ops * 1e12 / (double)r->work_end : 0;
}

/*
 * A table freed by RCU holds its frame for a grace period, and the LIFO
 * allocator hands freed huge pages' frames out as tables first: each
 * pending table can spoil one aligned huge-page block.  Slack: one block
 * per collapse that fits in a grace period (the copy dominates a
 * collapse), capped.
 */
static size_t kh_spare_blocks(const struct scale_run *r)
{
	const double *ns = r->c.costs.ns;
	double est = ns[THPSIM_COST_copy_per_kib] * (double)(r->hpage >> 10) +
		     50000.0;
	/* callbacks queued during a grace period wait for the next: two */
	double n = 2 * ns[THPSIM_COST_gp_detect] / est + 16;

	if (n > r->c.ops + 16)
		n = r->c.ops + 16;
	return n > KH_SPARE_MAX ? KH_SPARE_MAX : (size_t)n;
}

static size_t frames_needed(const struct scale_run *r)
{
	size_t e = r->g.entries;

	if (r->wl == WL_KHUGEPAGED)
		return NREG * 2 * e + 64 * e / 16 + 64 * r->g.levels + 4096 +
		       kh_spare_blocks(r) * e;
	return (size_t)r->c.cpus * (24 + 2 * r->g.levels) + 1024;
}

int thpsim_scale_run(const thpsim_scale_config_t *c, thpsim_scale_result_t *out)
{
	thpsim_machine_config_t mc;
	struct scale_run *r;
	int err;

	if (!c || !out)
		return thpsim__err(-THPSIM_EINVAL, "scale: NULL argument");
	memset(out, 0, sizeof(*out));
	r = calloc(1, sizeof(*r));
	if (!r)
		return thpsim__err(-THPSIM_ENOMEM, "scale: out of memory");
	r->c = *c;
	err = check_config(r);
	if (!err) {
		thpsim_machine_config_init(&mc);
		mc.nr_cpus = c->cpus;
		mc.page_shift = r->g.page_shift;
		mc.nr_frames = frames_needed(r);
		mc.guest = r->kc.profile->guest;
		err = thpsim_machine_create(&mc, &r->m);
	}
	if (!err)
		err = vclock_init(&r->vc, &r->ds, &c->costs, c->cpus, r->page,
				  mc.nr_frames);
	if (!err)
		err = phase(r, false, spawn_setup);
	if (!err && !r->err) {
		memset(r->vc.now, 0, sizeof(r->vc.now));
		memset(r->vc.busy_until, 0, sizeof(r->vc.busy_until));
		memset(r->vc.ack_at, 0, sizeof(r->vc.ack_at));
		r->vc.op_event = r->wl == WL_KHUGEPAGED ? THPSIM_EV_COLLAPSE_BEGIN : -1;
		r->vc.gp_all = r->wl != WL_KHUGEPAGED;
		for (unsigned i = 0; i < c->cpus; i++)
			thpsim_cpu_irq_counts(r->m, (int)i, &r->excl[i]);
		err = phase(r, true, spawn_workload);
		out->steps = r->ds.step;
		if (!err)
			figures(r, out);
	}
	if (!err && r->err)
		err = thpsim__err(r->err, "scale: %s: a workload thread failed: %s",
				  workloads[r->wl].name, thpsim_errmsg());
	if (r->m && r->broken) {
		/* A BUG or a deadlock left threads where they stood, locks
		 * held: give the host memory back as is (mm/abandon.h). */
		for (unsigned i = 0; i < c->cpus; i++)
			if (r->w[i].mm && r->w[i].mm != r->mm)
				thpsim__mm_abandon(r->w[i].mm);
		thpsim__mm_abandon(r->mm);
	} else if (r->m && (r->mm || r->w[0].mm || r->w[1].mm)) {
		int e2 = phase(r, false, spawn_teardown);

		if (!err)
			err = e2;
	}
	vclock_fini(&r->vc);
	if (r->m)
		thpsim_machine_destroy(r->m);
	free(r);
	return err;
}

void thpsim_scale_result_fini(thpsim_scale_result_t *r)
{
	(void)r;
}
