/*
 * test_phys_bytes.c - a frame's bytes kept symbolic while uniform
 * (machine/phys_bytes.c): every read sees what real bytes would hold,
 * one changed byte makes a copy unequal, and frames read as entries have
 * real bytes whatever they were before.
 */
#include <stdlib.h>
#include <string.h>

#include "thpsim/phys.h"
#include "machine/phys.h"
#include "machine_test.h"

static thpsim_machine_t *bytes_machine(struct phys **p)
{
	thpsim_machine_config_t cfg;
	thpsim_machine_t *m = NULL;

	thpsim_machine_config_init(&cfg);
	cfg.nr_cpus = 2;
	cfg.nr_frames = 64;
	check_ok(thpsim_machine_create(&cfg, &m));
	*p = thpsim__machine_phys(m);
	cr_assert(*p, "machine has no phys");
	return m;
}

/* Every byte of frame pfn, read through the public API, is b. */
static bool reads_all(thpsim_machine_t *m, struct phys *p, unsigned long pfn,
		      unsigned char b)
{
	unsigned char *buf = malloc(p->page_size);
	bool ok = buf && !thpsim_phys_read(m, pfn, 0, buf, p->page_size);

	for (size_t i = 0; ok && i < p->page_size; i++)
		ok = buf[i] == b;
	free(buf);
	return ok;
}

static unsigned long alloc(struct phys *p, thpsim_alloc_kind_t kind)
{
	unsigned long pfn;

	check_ok(phys_alloc(p, kind, 0, &pfn));
	return pfn;
}

Test(phys_bytes, copies_compare_and_reads_as_real_bytes, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = bytes_machine(&p);
	unsigned long a = alloc(p, THPSIM_ALLOC_DATA);
	unsigned long b = alloc(p, THPSIM_ALLOC_DATA);
	unsigned char *page = malloc(p->page_size);
	unsigned char x[3];

	cr_assert(page);
	cr_assert(reads_all(m, p, a, 0), "an allocation reads zero");
	memset(page, 0x3c, p->page_size);
	phys_bytes_write(p, a, 0, page, p->page_size);
	if (thpsim__fastpath())
		check_eq(p->uniform[a], 0x3c);	/* kept symbolic */
	cr_assert(reads_all(m, p, a, 0x3c));
	phys_bytes_copy(p, b, a);
	cr_assert(reads_all(m, p, b, 0x3c));
	cr_assert(phys_bytes_equal(p, a, b));

	/* One byte changed through a mapping: real bytes, and unequal. */
	((unsigned char *)phys_bytes_map(p, b))[p->page_size - 1] ^= 1;
	cr_assert(!phys_bytes_equal(p, a, b), "one wrong byte not seen");
	cr_assert(!phys_bytes_equal(p, b, a));
	check_ok(thpsim_phys_read(m, b, p->page_size - 2, x, 2));
	check_eq(x[0], 0x3c);
	check_eq(x[1], 0x3d);

	/* A partial write into a symbolic frame keeps the other bytes. */
	x[0] = 0x11;
	phys_bytes_write(p, a, 5, x, 1);
	check_ok(thpsim_phys_read(m, a, 4, x, 3));
	check_eq(x[0], 0x3c);
	check_eq(x[1], 0x11);
	check_eq(x[2], 0x3c);

	/* Freed: poison, read as poison. */
	check_ok(phys_free(p, b));
	cr_assert(reads_all(m, p, b, THPSIM_POISON_BYTE));
	free(page);
	thpsim_machine_destroy(m);
}

Test(phys_bytes, frames_read_as_entries_hold_real_bytes, .timeout = 60)
{
	struct phys *p;
	thpsim_machine_t *m = bytes_machine(&p);
	unsigned long d = alloc(p, THPSIM_ALLOC_DATA);
	unsigned long t = alloc(p, THPSIM_ALLOC_DATA);
	const uint64_t *w = pfn_to_virt(p, d);
	const uint64_t poison = THPSIM_POISON_BYTE * UINT64_C(0x0101010101010101);

	/* A data frame a (stale) pmd points at: its bytes become real. */
	phys_bytes_expose(p, d);
	for (size_t i = 0; i < p->page_size / 8; i++)
		check_eq(w[i], 0);
	/* ... and stay real through free and reuse, as a walker holding a
	 * pointer into it would read them. */
	check_ok(phys_free(p, d));
	for (size_t i = 0; i < p->page_size / 8; i++)
		check_eq(w[i], poison);
	check_eq(alloc(p, THPSIM_ALLOC_DATA), d);	/* LIFO */
	for (size_t i = 0; i < p->page_size / 8; i++)
		check_eq(w[i], 0);
	check_ok(phys_free(p, d));

	/* A table reusing a symbolically poisoned data frame is zero. */
	check_ok(phys_free(p, t));
	check_eq(alloc(p, THPSIM_ALLOC_TABLE), t);
	w = pfn_to_virt(p, t);
	for (size_t i = 0; i < p->page_size / 8; i++)
		check_eq(w[i], 0);
	check_ok(phys_free(p, t));
	for (size_t i = 0; i < p->page_size / 8; i++)
		check_eq(w[i], poison);
	thpsim_machine_destroy(m);
}
