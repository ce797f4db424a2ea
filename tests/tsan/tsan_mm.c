/*
 * tsan_mm.c - concurrent faults, writes, walks, MADV_DONTNEED and
 * munmap/mmap on one address space, for ThreadSanitizer (a plain program:
 * Criterion does not start under TSan).  Exit 0 = pass.
 *
 * What it checks: the fault path's table population (pmd_install and the
 * upper-level __pxd_alloc race), the PTL around PTE updates and copies,
 * mmap_lock between munmap and faults, and the allocator's lock and page
 * references, all without a data race; and that exit leaves no frame in
 * use.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "thpsim/mm.h"
#include "thpsim/phys.h"
#include "tsan_check.h"


#define WORKERS 4
#define ITERS 3000
#define PAGE 4096ull
#define NPAGES 64ull
#define BASE (1ull << 30)	/* second pud span: upper tables race too */

static thpsim_machine_t *m;
static thpsim_mm_t *mm;

/* Faults and writes; now and then a zap of the whole range. */
static void *writer(void *arg)
{
	int id, me = (int)(long)arg;

	CHECK_OK(thpsim_cpu_register(m, &id));
	for (unsigned it = 0; it < ITERS; it++) {
		uint64_t pg = (it * 13 + (unsigned)me) % NPAGES;
		uint64_t v = ((uint64_t)me << 32) | it;
		int err = thpsim_mm_write(mm, BASE + pg * PAGE + me * 8, &v, 8);

		/* The remapper may have the page unmapped right now. */
		if (err && err != -THPSIM_EFAULT)
			FAIL("write: %s: %s", thpsim_err_name(err), thpsim_errmsg());
		if (it % 97 == 0) {
			err = thpsim_mm_madvise_dontneed(mm, BASE, NPAGES * PAGE);
			if (err && err != -THPSIM_EFAULT)
				FAIL("madvise: %s", thpsim_errmsg());
		}
	}
	CHECK_OK(thpsim_cpu_unregister());
	return NULL;
}

/* Unmaps and remaps the last quarter: free_pgtables vs faults. */
static void *remapper(void *arg)
{
	const uint64_t q = BASE + 3 * NPAGES / 4 * PAGE;
	int id;

	(void)arg;
	CHECK_OK(thpsim_cpu_register(m, &id));
	for (unsigned it = 0; it < ITERS / 10; it++) {
		CHECK_OK(thpsim_mm_munmap(mm, q, NPAGES / 4 * PAGE));
		CHECK_OK(thpsim_mm_mmap_anon(mm, q, NPAGES / 4 * PAGE, NULL));
	}
	CHECK_OK(thpsim_cpu_unregister());
	return NULL;
}

/* Walks and reads; absent pages are fine. */
static void *reader(void *arg)
{
	int id;

	(void)arg;
	CHECK_OK(thpsim_cpu_register(m, &id));
	for (unsigned it = 0; it < ITERS; it++) {
		thpsim_walk_t w;
		uint64_t v;
		uint64_t a = BASE + (it % NPAGES) * PAGE;

		if (thpsim_mm_walk(mm, a, &w) == 0 && w.pfn >= 4096)
			FAIL("walk gave pfn %llu", (unsigned long long)w.pfn);
		(void)thpsim_mm_read(mm, a, &v, sizeof(v));
	}
	CHECK_OK(thpsim_cpu_unregister());
	return NULL;
}

int main(void)
{
	thpsim_machine_config_t cfg;
	thpsim_phys_stats_t st;
	pthread_t th[WORKERS + 2];
	int id;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = WORKERS + 3;
	cfg.nr_frames = 4096;
	CHECK_OK(thpsim_machine_create(&cfg, &m));
	CHECK_OK(thpsim_mm_create(m, NULL, &mm));
	CHECK_OK(thpsim_cpu_register(m, &id));
	CHECK_OK(thpsim_mm_mmap_anon(mm, BASE, NPAGES * PAGE, NULL));
	CHECK_OK(thpsim_cpu_unregister());
	for (long i = 0; i < WORKERS; i++)
		pthread_create(&th[i], NULL, writer, (void *)i);
	pthread_create(&th[WORKERS], NULL, remapper, NULL);
	pthread_create(&th[WORKERS + 1], NULL, reader, NULL);
	for (int i = 0; i < WORKERS + 2; i++)
		pthread_join(th[i], NULL);
	CHECK_OK(thpsim_cpu_register(m, &id));
	CHECK_OK(thpsim_mm_destroy(mm));
	thpsim_phys_stats(m, &st);
	if (st.nr_free != st.nr_frames)
		FAIL("%llu frames still used after exit",
		     (unsigned long long)(st.nr_frames - st.nr_free));
	thpsim_machine_destroy(m);
	printf("tsan_mm: ok\n");
	return 0;
}
