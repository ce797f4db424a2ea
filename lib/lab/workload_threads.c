/*
 * workload_threads.c - the threads of a stress run (see lab/workload.h):
 * walkers (GUP-fast, read and check, unpin), khugepaged (anon and file
 * collapses), the user (split, zap, refault; replace the collapsed file)
 * and the stall hook that widens the walkers' race windows.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lab/workload.h"
#include "machine/errors.h"
#include "machine/sched.h"

/*
 * The byte check reads user data that the user thread may be refilling
 * (or, without a fix, that a free is poisoning): racy by design, as a GUP
 * user reading memory the process writes.  ThreadSanitizer is told to
 * ignore this thread's reads for that one copy, nothing else.
 */
#ifdef THPSIM_TSAN
void AnnotateIgnoreReadsBegin(const char *file, int line);
void AnnotateIgnoreReadsEnd(const char *file, int line);
#define racy_reads_begin() AnnotateIgnoreReadsBegin(__FILE__, __LINE__)
#define racy_reads_end() AnnotateIgnoreReadsEnd(__FILE__, __LINE__)
#else
#define racy_reads_begin() ((void)0)
#define racy_reads_end() ((void)0)
#endif

enum wl_role { ROLE_NONE, ROLE_WALKER, ROLE_KHUGEPAGED, ROLE_USER, ROLE_IDLE };

static _Thread_local enum wl_role wl_role;
/* A walker's IRQ-off sections so far, when the current one began, and
 * whether it is to stall (once, at its pmd read). */
static _Thread_local uint64_t wl_sections;
static _Thread_local uint64_t wl_section_t0;
static _Thread_local bool wl_stall_due;

struct wl_thread {
	struct workload *w;
	enum wl_role role;
	unsigned idx;
	int cpu;		/* once registered */
};

static struct wl_thread wl_args[THPSIM_STRESS_CPUS_MAX - 1];
static unsigned wl_nr_args;

void wl_fail(struct workload *w, int err, const char *what)
{
	int zero = 0;

	if (atomic_compare_exchange_strong(&w->fatal, &zero, err ? err : -1))
		snprintf(w->fatal_msg, sizeof(w->fatal_msg), "%s: %s", what,
			 thpsim_errmsg());
	atomic_store(&w->stop, 1);
}

unsigned char wl_pattern(const struct workload *w, uint64_t addr, size_t i)
{
	return (unsigned char)((addr / w->page) * 17 + i + 1);
}

int wl_fill(struct workload *w, uint64_t addr)
{
	unsigned char buf[1 << 16];
	int err = 0;

	for (uint64_t p = 0; p < w->npages && !err; p++) {
		uint64_t a = addr + p * w->page;

		for (size_t i = 0; i < w->page; i++)
			buf[i] = wl_pattern(w, a, i);
		err = thpsim_mm_write(w->mm, a, buf, w->page);
	}
	return err;
}

/* Sleep ns whatever signals arrive (an IPI interrupts nanosleep). */
static void wl_sleep(uint64_t ns)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += (long)(ns % 1000000000u);
	t.tv_sec += (time_t)(ns / 1000000000u) + t.tv_nsec / 1000000000;
	t.tv_nsec %= 1000000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/* A stall, cut short when the run stops (the wind-down stays bounded). */
static void wl_stall(struct workload *w, uint64_t ns)
{
	uint64_t end = thpsim__now_ns() + ns, now;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed) &&
	       (now = thpsim__now_ns()) < end)
		wl_sleep(end - now < 1000000 ? end - now : 1000000);
}

/* An idle CPU still takes IPIs; x86 skips it in flushes that free nothing. */
static void wl_idle(uint64_t ns)
{
	thpsim_cpu_idle_enter();
	wl_sleep(ns);
	thpsim_cpu_idle_exit();
}

/* The run whose walkers the hook stalls (walkers start after it is set). */
static struct workload *_Atomic wl_current;

static void wl_stall_hook(int point, void *arg)
{
	struct workload *w;
	int cpu;

	(void)arg;
	if (wl_role != ROLE_WALKER)
		return;
	w = atomic_load_explicit(&wl_current, memory_order_relaxed);
	if (!w || !w->cfg.stall_ns)
		return;
	if (point != THPSIM_SP_GUP_AFTER_PMD_READ || !wl_stall_due)
		return;
	wl_stall_due = false;
	cpu = thpsim_cpu_id();
	if (w->kc.profile->guest)
		thpsim_cpu_set_preempted(w->m, cpu, true);
	wl_stall(w, w->cfg.stall_ns);
	if (w->kc.profile->guest)
		thpsim_cpu_set_preempted(w->m, cpu, false);
	atomic_fetch_add_explicit(&w->c.stalls, 1, memory_order_relaxed);
}

void wl_irq_event(struct workload *w, bool off)
{
	uint64_t now, d, max;

	if (wl_role != ROLE_WALKER)
		return;
	now = thpsim__now_ns();
	if (off) {
		wl_section_t0 = now;
		wl_stall_due = w->cfg.stall_ns &&
			       ++wl_sections % w->cfg.stall_every == 0;
		atomic_fetch_add_explicit(&w->c.sections, 1, memory_order_relaxed);
		return;
	}
	wl_stall_due = false;
	d = now - wl_section_t0;
	max = atomic_load_explicit(&w->c.irq_off_max_ns, memory_order_relaxed);
	while (d > max && !atomic_compare_exchange_weak_explicit(
				  &w->c.irq_off_max_ns, &max, d,
				  memory_order_relaxed, memory_order_relaxed))
		;
}

/*
 * The file lock, taken by polling: a CPU must keep taking IPIs while it
 * waits, and a thread blocked in pthread_mutex_lock() may not run its
 * signal handler until it returns (ThreadSanitizer defers it), so the
 * holder's flush IPI would wait on the waiter forever.
 */
static void file_lock(struct workload *w)
{
	while (pthread_mutex_trylock(&w->file_lock))
		wl_idle(10000);
}

/*
 * The hook stays installed once set: liburcu's callback thread passes
 * scheduling points at any time (a table freed after a grace period), and
 * uninstalling would race with its reads of the hook pointer.  Threads
 * that are not stress walkers return at the role check.
 */
void wl_hook_install(struct workload *w)
{
	atomic_store(&wl_current, w);
	if (w && thpsim__sched_hook != wl_stall_hook)
		thpsim_sched_set_hook(wl_stall_hook, NULL);
}

/* ---- walkers ------------------------------------------------------------ */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static bool file_enter(struct workload *w)
{
	if (atomic_load(&w->file_closed))
		return false;
	atomic_fetch_add(&w->file_users, 1);
	if (!atomic_load(&w->file_closed))
		return true;
	atomic_fetch_sub(&w->file_users, 1);
	return false;
}

/*
 * Read each pinned page.  A byte is the pattern or zero: the user thread
 * may be filling the page it just refaulted while the walker reads it.
 */
static void check_pages(struct workload *w, uint64_t addr,
			const uint64_t *pfns, int n)
{
	unsigned char buf[1 << 16];

	for (int k = 0; k < n; k++) {
		uint64_t a = addr + (uint64_t)k * w->page;
		bool ok;

		racy_reads_begin();
		ok = !thpsim_phys_read(w->m, pfns[k], 0, buf, w->page);
		racy_reads_end();

		for (size_t i = 0; ok && i < w->page; i++)
			ok = !buf[i] || buf[i] == wl_pattern(w, a, i);
		if (!ok)
			atomic_fetch_add_explicit(&w->c.bytes_bad, 1,
						  memory_order_relaxed);
	}
}

static void walk_once(struct workload *w, uint64_t *seed)
{
	uint64_t pfns[WL_WALK_PAGES], r = xorshift(seed), addr;
	bool file = r & 1;
	/* A geometry with fewer entries than WL_WALK_PAGES walks them all. */
	unsigned len = w->npages < WL_WALK_PAGES ? (unsigned)w->npages :
						   WL_WALK_PAGES;
	uint64_t first = (r >> 1) % (w->npages - len + 1);
	int n;

	if (file && !file_enter(w))
		file = false;
	addr = (file ? w->file_addr : w->anon_addr) + first * w->page;
	/*
	 * One walk in 8 may fall back to the slow path (faults), on either
	 * range: on the file range a fault sleeps on the page lock that
	 * collapse_file holds on the small pages and the huge page, so it
	 * cannot map a page the collapse has counted (6.1 collapse_file).
	 */
	n = (r >> 32) % 8 ? thpsim_gup_fast_only(w->mm, addr, len, pfns) :
			    thpsim_gup_fast(w->mm, addr, len, pfns);
	if (n > 0) {
		check_pages(w, addr, pfns, n);
		if (thpsim_unpin_pages(w->mm, pfns, (unsigned)n))
			wl_fail(w, -THPSIM_EINTERNAL, "unpin");
		atomic_fetch_add_explicit(&w->c.pinned, (uint64_t)n,
					  memory_order_relaxed);
	}
	if (file)
		atomic_fetch_sub(&w->file_users, 1);
	atomic_fetch_add_explicit(&w->c.walks, 1, memory_order_relaxed);
}

static void walker_loop(struct workload *w, unsigned idx)
{
	uint64_t seed = w->cfg.seed * 0x9e3779b97f4a7c15ull + idx + 1;

	while (!atomic_load_explicit(&w->stop, memory_order_relaxed))
		walk_once(w, &seed);
}

/* ---- khugepaged ------------------------------------------------------ */

static void khugepaged_loop(struct workload *w)
{
	while (!atomic_load(&w->stop)) {
		(void)thpsim_collapse_anon(w->mm, w->anon_addr);
		file_lock(w);
		(void)thpsim_collapse_file(w->mm, w->file_addr);
		pthread_mutex_unlock(&w->file_lock);
		wl_idle(20000);
	}
}

/* ---- user: split, zap, refault; replace the file --------------------- */

static bool mapped_huge(struct workload *w, uint64_t addr, bool *present)
{
	thpsim_walk_t wk;

	*present = !thpsim_mm_walk(w->mm, addr, &wk);
	return *present && wk.huge;
}

static void user_anon(struct workload *w, unsigned round)
{
	bool present;

	if (!mapped_huge(w, w->anon_addr, &present))
		return;
	if (round & 1) {
		if (thpsim_split_huge_pmd(w->mm, w->anon_addr))
			return wl_fail(w, -THPSIM_EINTERNAL, "split");
		atomic_fetch_add_explicit(&w->c.splits, 1, memory_order_relaxed);
	}
	if (thpsim_mm_madvise_dontneed(w->mm, w->anon_addr, w->hpage))
		return wl_fail(w, -THPSIM_EINTERNAL, "madvise");
	atomic_fetch_add_explicit(&w->c.zaps, 1, memory_order_relaxed);
	if (wl_fill(w, w->anon_addr))
		return wl_fail(w, -THPSIM_EINTERNAL, "refault");
	atomic_fetch_add_explicit(&w->c.refaults, 1, memory_order_relaxed);
}

/* Once retracted (no pmd), unmap and replace the file with walkers out. */
static int file_swap(struct workload *w)
{
	int err;

	atomic_store(&w->file_closed, 1);
	while (atomic_load(&w->file_users))
		wl_sleep(1000);
	file_lock(w);
	err = thpsim_mm_munmap(w->mm, w->file_addr, w->hpage);
	if (!err)
		err = thpsim_file_destroy(w->file);
	w->file = NULL;
	if (!err)
		err = thpsim_file_create(w->m, w->npages, &w->file);
	if (!err)
		err = thpsim_mm_mmap_file(w->mm, w->file, 0, w->file_addr,
					  w->hpage);
	if (!err)
		err = wl_fill(w, w->file_addr);
	pthread_mutex_unlock(&w->file_lock);
	atomic_store(&w->file_closed, 0);
	return err;
}

static void user_file(struct workload *w)
{
	bool present;

	(void)mapped_huge(w, w->file_addr, &present);
	if (present)
		return;
	if (file_swap(w))
		return wl_fail(w, -THPSIM_EINTERNAL, "file swap");
	atomic_fetch_add_explicit(&w->c.file_swaps, 1, memory_order_relaxed);
}

static void user_loop(struct workload *w)
{
	for (unsigned round = 0; !atomic_load(&w->stop); round++) {
		user_anon(w, round);
		if (!atomic_load(&w->stop))
			user_file(w);
		wl_idle(50000);
	}
}

/* ---- thread bodies ----------------------------------------------------- */

static void *wl_thread_main(void *p)
{
	struct wl_thread *t = p;
	struct workload *w = t->w;
	int id, err = thpsim_cpu_register(w->m, &id);

	if (err) {
		wl_fail(w, err, "cpu register");
		return NULL;
	}
	t->cpu = id;
	wl_role = t->role;
	/*
	 * Outside the mm: it sleeps and takes interrupts.  Not marked idle
	 * (lazy TLB, in tlb.c's terms: an idle CPU still holding the mm), so
	 * only its absence from mm_cpumask keeps the mm's flush away.
	 */
	if (t->role == ROLE_IDLE) {
		while (!atomic_load(&w->stop))
			wl_sleep(1000000);
		wl_role = ROLE_NONE;
		thpsim_cpu_unregister();
		return NULL;
	}
	thpsim_mm_switch(w->mm);
	if (t->role == ROLE_WALKER)
		walker_loop(w, t->idx);
	else if (t->role == ROLE_KHUGEPAGED)
		khugepaged_loop(w);
	else
		user_loop(w);
	thpsim_mm_unuse(w->mm);
	wl_role = ROLE_NONE;
	thpsim_cpu_unregister();
	return NULL;
}

int wl_spawn(struct workload *w, pthread_t *th, unsigned *nr)
{
	unsigned n = 0;

	wl_args[n++] = (struct wl_thread){ w, ROLE_KHUGEPAGED, 0, -1 };
	wl_args[n++] = (struct wl_thread){ w, ROLE_USER, 0, -1 };
	for (unsigned i = 0; i < w->cfg.walkers; i++)
		wl_args[n++] = (struct wl_thread){ w, ROLE_WALKER, i, -1 };
	for (unsigned i = 0; i < w->cfg.idle_cpus; i++)
		wl_args[n++] = (struct wl_thread){ w, ROLE_IDLE, i, -1 };
	wl_nr_args = n;
	for (*nr = 0; *nr < n; (*nr)++)
		if (pthread_create(&th[*nr], NULL, wl_thread_main, &wl_args[*nr]))
			return thpsim__err(-THPSIM_EINTERNAL,
					   "stress: cannot create a thread");
	return 0;
}

/* ---- the CPU table ------------------------------------------------------ */

static void cpu_row(struct workload *w, thpsim_stress_cpu_t *o, int cpu,
		    const char *role, unsigned idx, bool in_mm)
{
	*o = (thpsim_stress_cpu_t){ .cpu = cpu, .role = role, .idx = idx,
				    .in_mm = in_mm };
	thpsim_cpu_irq_counts(w->m, cpu, &o->irqs);
}

unsigned wl_cpu_table(struct workload *w, thpsim_stress_cpu_t *out)
{
	static const char *const roles[] = {
		[ROLE_WALKER] = "walker", [ROLE_KHUGEPAGED] = "khugepaged",
		[ROLE_USER] = "user", [ROLE_IDLE] = "idle",
	};
	unsigned n = 0;

	if (w->control_cpu >= 0)
		cpu_row(w, &out[n++], w->control_cpu, "control", 0, false);
	for (unsigned i = 0; i < wl_nr_args; i++)
		if (wl_args[i].cpu >= 0)
			cpu_row(w, &out[n++], wl_args[i].cpu,
				roles[wl_args[i].role], wl_args[i].idx,
				wl_args[i].role != ROLE_IDLE);
	/* By CPU id: registration order is the threads' race. */
	for (unsigned i = 1; i < n; i++)
		for (unsigned k = i; k > 0 && out[k - 1].cpu > out[k].cpu; k--) {
			thpsim_stress_cpu_t t = out[k];

			out[k] = out[k - 1];
			out[k - 1] = t;
		}
	return n;
}
