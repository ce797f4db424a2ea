/*
 * detsched_access.c - footprints for partial-order reduction: the
 * sched_access() hook of a deterministic run names each object a step
 * touches by a key that is the same in every run of one configuration
 * (see detsched.h, struct det_footprint; docs/VERIFY.md "Footprints").
 */
#include <stddef.h>

#include "machine/cpu.h"
#include "machine/detsched.h"
#include "machine/internal.h"
#include "machine/phys.h"
#include "machine/sched.h"

static _Thread_local struct det_footprint *fp_sink;

void detsched_set_footprint(struct det_footprint *fp)
{
	fp_sink = fp;
}

void det_fp_add(struct det_footprint *fp, uint64_t key, bool write)
{
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->key[i] == key) {
			fp->write[i] |= write;
			return;
		}
	if (fp->n == DET_FP_MAX) {
		fp->all = true;
		return;
	}
	fp->key[fp->n] = key;
	fp->write[fp->n++] = write;
}

bool det_fp_conflict(const struct det_footprint *a,
		     const struct det_footprint *b)
{
	if (a->all || b->all)
		return true;
	for (unsigned i = 0; i < a->n; i++)
		for (unsigned j = 0; j < b->n; j++)
			if (a->key[i] == b->key[j] && (a->write[i] || b->write[j]))
				return true;
	return false;
}

/* Keys (the top four bits say what kind, machine/sched.h has the others;
 * the rest must be the same in every run of one configuration, since
 * sleep sets compare footprints recorded in different runs). */
#define KEY_PTL (UINT64_C(6) << 60)
#define KEY_CPU (UINT64_C(9) << 60)
#define KEY_CSD (UINT64_C(10) << 60)
#define KEY_PHYS (UINT64_C(11) << 60)
#define KEY_OTHER (UINT64_C(13) << 60)
#define KEY_STATIC (UINT64_C(14) << 60)

/* The program's static data (glibc / ld symbols): same address in every
 * run of this process. */
extern char etext, end;

static bool within(const void *a, const void *base, size_t bytes)
{
	return (const char *)a >= (const char *)base &&
	       (const char *)a < (const char *)base + bytes;
}

/*
 * The sched_access() hook.  A pointer names: its frame (into the frames
 * or the struct page array), its CPU (into the CPU array), its IPI slot,
 * the allocator, a static object (RCU state); else the caller's key (a
 * lock's name); else one common "other" object, dependent with every
 * other unknown access (sound, coarse).
 */
static _Thread_local struct {
	thpsim_machine_t *m;
	struct phys *p;
} run_m;	/* this run's, from det_access_install() */

static void det_access(const void *obj, uint64_t key, bool write)
{
	thpsim_machine_t *m = run_m.m;
	struct phys *p = run_m.p;

	if (!fp_sink || !m)
		return;
	if (!obj)
		goto add;
	if (p && within(obj, p->pages, p->nr_frames * sizeof(struct page))) {
		uint64_t off = (uint64_t)((const char *)obj -
					  (const char *)p->pages);
		uint64_t pfn = off / sizeof(struct page);

		off %= sizeof(struct page);
		key = SCHED_KEY_FRAME | pfn;
		if (off >= offsetof(struct page, ptl) &&
		    off < offsetof(struct page, ptl) + sizeof(spinlock_t)) {
			/* The split page-table lock (or its futex word): its
			 * own object, so a lockless walker's entry reads do not
			 * conflict with the holder's lock and unlock.  It reads
			 * the frame's key: what makes or unmakes the table (its
			 * constructor initializes the lock) writes it. */
			det_fp_add(fp_sink, key, false);
			key = KEY_PTL | pfn;
		}
	} else if (p && within(obj, p->mem, p->nr_frames << p->page_shift)) {
		uint64_t off = (uint64_t)((const unsigned char *)obj - p->mem);
		uint64_t pfn = off >> p->page_shift;

		if (key == SCHED_KEY_ENTRY) {
			/* One slot of a table; the frame itself is read. */
			det_fp_add(fp_sink, SCHED_KEY_FRAME | pfn, false);
			key = sched_entry_key(pfn, (off & ((UINT64_C(1) <<
				p->page_shift) - 1)) / sizeof(uint64_t));
		} else {
			key = SCHED_KEY_FRAME | pfn;
			write = true;
		}
	} else if (key == SCHED_KEY_ENTRY) {
		key = KEY_OTHER;	/* not in a frame: unknown, coarse */
	} else if (obj == p)
		key = KEY_PHYS;
	else if (within(obj, m->cpus, m->cfg.nr_cpus * sizeof(struct cpu)))
		key = KEY_CPU | (uint64_t)((const char *)obj -
			(const char *)m->cpus) / sizeof(struct cpu);
	else if (within(obj, m->csd_pool, (size_t)m->cfg.nr_cpus *
			m->cfg.nr_cpus * sizeof(*m->csd_pool)))
		key = KEY_CSD | (uint64_t)((const char *)obj -
			(const char *)m->csd_pool) / sizeof(*m->csd_pool);
	else if ((const char *)obj >= &etext && (const char *)obj < &end)
		key = KEY_STATIC | (uint64_t)((const char *)obj - &etext);
	else if (!key)
		key = KEY_OTHER;
add:
	det_fp_add(fp_sink, key, write);
}

/* Run start: log accesses when a footprint is asked for (DPOR only; else
 * the hook stays NULL and sched_access() costs one branch). */
void det_access_install(void)
{
	run_m.m = detsched_running_machine();
	run_m.p = run_m.m ? thpsim__machine_phys(run_m.m) : NULL;
	if (fp_sink)
		thpsim__sched_access_hook = det_access;
}
