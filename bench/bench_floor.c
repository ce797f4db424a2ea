/*
 * bench_floor.c - hardware floors measured in the same binary:
 *
 *   floor/chase      a raw 4-level pointer chase over the default geometry
 *                    (4 levels x 512 entries, 4 KiB pages), tables hot: the
 *                    floor of a GUP-fast walk per page
 *   floor/pingpong   one cache line bounced between two threads: the floor
 *                    of any cross-CPU handshake (round trip)
 *
 * The IPI floors (raw pthread_kill + ack, raw membarrier) are in
 * bench_ipi.c beside the pseudo-IPIs they are the floor of.
 */
#include <stdlib.h>

#include "bench.h"

#define LEVEL_BITS 9
#define ENTRIES (1u << LEVEL_BITS)
#define PRESENT 1u

/* Each table is 512 entries; level 4 is the root.  Entries hold the next
 * table's address | PRESENT, as a PTE holds pfn | flags. */
static uint64_t *chase_root;

static uint64_t *new_table(void)
{
	uint64_t *t = aligned_alloc(4096, ENTRIES * sizeof(uint64_t));

	if (!t)
		abort();
	for (unsigned i = 0; i < ENTRIES; i++)
		t[i] = 0;
	return t;
}

static void chase_init(void)
{
	uint64_t *l3, *l2, *l1;

	chase_root = new_table();
	l3 = new_table();
	l2 = new_table();
	l1 = new_table();
	chase_root[0] = (uintptr_t)l3 | PRESENT;
	l3[0] = (uintptr_t)l2 | PRESENT;
	l2[0] = (uintptr_t)l1 | PRESENT;
	for (unsigned i = 0; i < CHASE_PAGES; i++)
		l1[i] = ((uint64_t)(i + 4096) << 12) | PRESENT;
}

uint64_t bench_chase_addr(unsigned i)
{
	return (uint64_t)i << 12;
}

uint64_t bench_chase(uint64_t addr)
{
	const uint64_t *t = chase_root;
	uint64_t e = 0;

	for (int level = 4; level >= 1; level--) {
		unsigned shift = 12 + LEVEL_BITS * (unsigned)(level - 1);

		e = __atomic_load_n(&t[(addr >> shift) & (ENTRIES - 1)],
				    __ATOMIC_RELAXED);
		if (!(e & PRESENT))
			return 0;
		if (level > 1)
			t = (const uint64_t *)(uintptr_t)(e & ~(uint64_t)0xfff);
	}
	return e >> 12;
}

static volatile uint64_t sink;

static void bm_chase(gbench_state_t *st, void *arg)
{
	uint64_t acc = 0;

	(void)arg;
	while (gbench_keep_running_batch(st, CHASE_PAGES))
		for (unsigned i = 0; i < CHASE_PAGES; i++)
			acc += bench_chase(bench_chase_addr(i));
	sink = acc;
	gbench_label(st, "per page, 4x512");
}

/* ---- ping-pong -------------------------------------------------------- */

static _Alignas(64) _Atomic uint64_t ball;

static void pong(struct bench_crew *c, int idx)
{
	uint64_t seen = 0;

	(void)idx;
	while (!bench_crew_stopping(c)) {
		uint64_t v = atomic_load_explicit(&ball, memory_order_acquire);

		if (v != seen && (v & 1)) {
			atomic_store_explicit(&ball, v + 1,
					      memory_order_release);
			seen = v + 1;
		} else {
			bench_relax();
		}
	}
}

static void bm_pingpong(gbench_state_t *st, void *arg)
{
	struct bench_crew c;
	thpsim_hist_t *h = thpsim_hist_create();
	uint64_t v;

	(void)arg;
	if (!h || !bench_crew_start(st, &c, 1, pong, NULL, false)) {
		thpsim_hist_destroy(h);
		return;
	}
	v = atomic_load(&ball);
	if (v & 1)
		v++;
	while (gbench_keep_running_batch(st, 1)) {
		uint64_t t0 = bench_now_ns();

		atomic_store_explicit(&ball, v + 1, memory_order_release);
		while (atomic_load_explicit(&ball, memory_order_acquire) !=
		       v + 2)
			bench_relax();
		v += 2;
		thpsim_hist_record(h, bench_now_ns() - t0);
	}
	bench_crew_stop(&c);
	bench_hist_counters(st, NULL, h);
	thpsim_hist_destroy(h);
}

void bench_register_floor(void)
{
	/* Built here: walk/ benchmarks chase it too, in any order. */
	chase_init();
	gbench_register("floor/chase", bm_chase, NULL);
	gbench_real_time(gbench_register("floor/pingpong", bm_pingpong, NULL));
}
