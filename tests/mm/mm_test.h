/*
 * mm_test.h - helpers shared by the mm-layer Criterion suites: a machine
 * with one registered CPU (the test's thread) and an address space.
 */
#ifndef THPSIM_TESTS_MM_TEST_H
#define THPSIM_TESTS_MM_TEST_H

#include "thpsim/mm.h"
#include "thpsim/phys.h"
#include "../machine/machine_test.h"

struct mm_env {
	thpsim_machine_t *m;
	thpsim_mm_t *mm;
	thpsim_geometry_t geo;
	uint64_t page;		/* page size */
	uint64_t hpage;		/* bytes one pmd maps */
	int cpu;
};

/* A machine of nr_frames frames of 1 << page_shift bytes, the calling
 * thread registered as its CPU, and an mm of geometry geo ("LxE"). */
static inline void mm_env_setup(struct mm_env *e, const char *geo,
				unsigned page_shift, size_t nr_frames)
{
	thpsim_machine_config_t cfg;

	memset(e, 0, sizeof(*e));
	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 8;	/* the test thread + helper CPU threads */
	cfg.nr_frames = nr_frames;
	cfg.page_shift = page_shift;
	check_ok(thpsim_machine_create(&cfg, &e->m));
	check_ok(thpsim_cpu_register(e->m, &e->cpu));
	check_ok(thpsim_geometry_parse(geo, &e->geo));
	e->geo.page_shift = page_shift;
	check_ok(thpsim_mm_create(e->m, &e->geo, &e->mm));
	e->page = UINT64_C(1) << page_shift;
	e->hpage = thpsim_geometry_hpage_size(&e->geo);
}

static inline uint64_t used_frames(thpsim_machine_t *m)
{
	thpsim_phys_stats_t st;

	thpsim_phys_stats(m, &st);
	return st.nr_frames - st.nr_free;
}

static inline thpsim_page_info_t page_info(thpsim_machine_t *m, uint64_t pfn)
{
	thpsim_page_info_t info;

	check_ok(thpsim_page_info(m, pfn, &info));
	return info;
}

static inline bool page_flag(thpsim_page_info_t info, thpsim_page_flag_t f)
{
	return (info.flags >> f) & 1;
}

/* Destroy the mm (if still there): no frame may stay in use. */
static inline void mm_env_teardown(struct mm_env *e)
{
	if (e->mm)
		check_ok(thpsim_mm_destroy(e->mm));
	e->mm = NULL;
	check_eq(used_frames(e->m), 0);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(e->m);
}

#endif
