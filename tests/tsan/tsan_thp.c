/*
 * tsan_thp.c - free-running GUP-fast against khugepaged on one address
 * space, for ThreadSanitizer (a plain program: Criterion does not start
 * under TSan).  Exit 0 = pass.
 *
 * Threads: walkers pin and unpin pages with GUP-fast (interrupts
 * soft-masked, real signals for IPIs); a collapser collapses the range
 * and splits or zaps it again; per round the profile and strategy vary
 * (x86 + ipi-sync, arm64 + fresh-table, x86-kvm-pv + pte-free-defer).
 * What it checks: no data race in the lockless walk, the deposit list,
 * the mmu_gather batch and the RCU frees; no deadlock between the IPI
 * waits and the walkers; every byte survives; nothing leaks.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "machine/rcu.h"
#include "tsan_check.h"


#define WALKERS 2
#define ROUNDS 60
#define NPAGES 8		/* geometry 2x8: one pmd maps 8 pages */
#define PAGE 4096ull
#define BASE (NPAGES * PAGE)

static thpsim_machine_t *m;
static thpsim_mm_t *mm;
static _Atomic int stop;

static unsigned char pattern(uint64_t addr, size_t i)
{
	return (unsigned char)(addr / PAGE * 17 + i);
}

static void *walker(void *arg)
{
	uint64_t pfns[NPAGES];
	int id, n;

	(void)arg;
	CHECK_OK(thpsim_cpu_register(m, &id));
	while (!atomic_load(&stop)) {
		n = thpsim_gup_fast(mm, BASE, NPAGES, pfns);
		if (n < 0)
			FAIL("gup: %s", thpsim_errmsg());
		for (int i = 0; i < n; i++)
			CHECK_OK(thpsim_unpin(mm, pfns[i]));
	}
	CHECK_OK(thpsim_cpu_unregister());
	return NULL;
}

static void check_bytes(void)
{
	unsigned char buf[PAGE];

	for (uint64_t p = 0; p < NPAGES; p++) {
		CHECK_OK(thpsim_mm_read(mm, BASE + p * PAGE, buf, PAGE));
		for (size_t i = 0; i < PAGE; i++)
			if (buf[i] != pattern(BASE + p * PAGE, i))
				FAIL("page %llu byte %zu differs",
				     (unsigned long long)p, i);
	}
}

static void write_bytes(void)
{
	unsigned char buf[PAGE];

	for (uint64_t p = 0; p < NPAGES; p++) {
		for (size_t i = 0; i < PAGE; i++)
			buf[i] = pattern(BASE + p * PAGE, i);
		CHECK_OK(thpsim_mm_write(mm, BASE + p * PAGE, buf, PAGE));
	}
}

static void configure(unsigned round)
{
	static const char *const cfg[][2] = {
		{ "x86", "ipi-sync" },
		{ "arm64", "fresh-table" },
		{ "x86-kvm-pv", "pte-free-defer" },
	};
	thpsim_kconfig_t kc;

	thpsim_kconfig_default(&kc);
	kc.profile = thpsim_profile_find(cfg[round % 3][0]);
	kc.strategy = thpsim_strategy_find(cfg[round % 3][1]);
	CHECK_OK(thpsim_mm_set_kconfig(mm, &kc));
}

/* Collapse, check, then split (a PTE-mapped THP) or zap; either way
 * refill with small pages for the next round. */
static void collapse_rounds(void)
{
	for (unsigned r = 0; r < ROUNDS; r++) {
		int res = thpsim_collapse_anon(mm, BASE);

		/*
		 * A walker's pin may make the isolate fail, and frames still
		 * waiting for a grace period may leave no aligned run for the
		 * huge page: both are fine here.
		 */
		if (res != THPSIM_SCAN_SUCCEED && res != THPSIM_SCAN_PAGE_COUNT &&
		    res != THPSIM_SCAN_ALLOC_HUGE_PAGE_FAIL)
			FAIL("collapse: %s", thpsim_scan_result_name(res));
		check_bytes();
		if (res == THPSIM_SCAN_SUCCEED && r % 2) {
			CHECK_OK(thpsim_split_huge_pmd(mm, BASE));
			check_bytes();
		}
		if (res == THPSIM_SCAN_SUCCEED) {
			CHECK_OK(thpsim_mm_madvise_dontneed(mm, BASE,
							    NPAGES * PAGE));
			write_bytes();
		}
	}
}

int main(void)
{
	thpsim_machine_config_t cfg;
	thpsim_geometry_t g;
	thpsim_phys_stats_t st;
	pthread_t th[WALKERS];
	int id;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = WALKERS + 2;
	cfg.nr_frames = 1024;
	CHECK_OK(thpsim_machine_create(&cfg, &m));
	CHECK_OK(thpsim_geometry_parse("2x8", &g));
	CHECK_OK(thpsim_mm_create(m, &g, &mm));
	CHECK_OK(thpsim_cpu_register(m, &id));
	CHECK_OK(thpsim_mm_mmap_anon(mm, BASE, NPAGES * PAGE, NULL));
	write_bytes();
	/* The configuration changes only while no walker runs. */
	for (unsigned c = 0; c < 3; c++) {
		configure(c);
		atomic_store(&stop, 0);
		for (long i = 0; i < WALKERS; i++)
			pthread_create(&th[i], NULL, walker, NULL);
		collapse_rounds();
		atomic_store(&stop, 1);
		for (int i = 0; i < WALKERS; i++)
			pthread_join(th[i], NULL);
	}
	CHECK_OK(thpsim_mm_destroy(mm));
	rcu_barrier();
	CHECK_OK(thpsim_cpu_unregister());
	thpsim_phys_stats(m, &st);
	if (st.nr_free != st.nr_frames)
		FAIL("%llu frames still used after exit",
		     (unsigned long long)(st.nr_frames - st.nr_free));
	thpsim_machine_destroy(m);
	return 0;
}
