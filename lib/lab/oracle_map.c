/*
 * lab/oracle_map.c - open-addressing hash map keyed by two 64-bit words
 * (see oracle_map.h).  Linear probing, load factor at most 1/2.
 */
#include <stdlib.h>
#include <string.h>

#include "lab/oracle_map.h"
#include "machine/snapshot.h"

#define PMAP_MIN_CAP 16

static uint64_t pmap_hash(uint64_t k1, uint64_t k2)
{
	uint64_t h = k1 * UINT64_C(0x9e3779b97f4a7c15);

	h ^= (k2 + UINT64_C(0x632be59bd9b4e019)) * UINT64_C(0xbf58476d1ce4e5b9);
	h ^= h >> 31;
	return h * UINT64_C(0x94d049bb133111eb);
}

void thpsim__pmap_init(struct pmap *m, size_t max)
{
	memset(m, 0, sizeof(*m));
	m->max = max;
}

void thpsim__pmap_free(struct pmap *m)
{
	snap_free(m->e);
	m->e = NULL;
	m->cap = 0;
	m->nr = 0;
}

void thpsim__pmap_clear(struct pmap *m)
{
	if (m->e && m->nr)
		memset(m->e, 0, m->cap * sizeof(*m->e));
	m->nr = 0;
}

/* The slot holding (k1, k2), or the empty slot where it would go. */
static struct pmap_entry *pmap_slot(const struct pmap *m, uint64_t k1,
				    uint64_t k2)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)pmap_hash(k1, k2) & mask;

	while (m->e[i].used && (m->e[i].k1 != k1 || m->e[i].k2 != k2))
		i = (i + 1) & mask;
	return &m->e[i];
}

struct pmap_entry *thpsim__pmap_get(const struct pmap *m, uint64_t k1,
				    uint64_t k2)
{
	struct pmap_entry *e;

	if (!m->cap)
		return NULL;
	e = pmap_slot(m, k1, k2);
	return e->used ? e : NULL;
}

/* Double the slots and re-insert; false when out of host memory. */
static bool pmap_grow(struct pmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : PMAP_MIN_CAP;
	struct pmap old = *m;

	m->e = snap_calloc(cap, sizeof(*m->e));
	if (!m->e) {
		*m = old;
		return false;
	}
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.e[i].used)
			*pmap_slot(m, old.e[i].k1, old.e[i].k2) = old.e[i];
	snap_free(old.e);
	return true;
}

struct pmap_entry *thpsim__pmap_put(struct pmap *m, uint64_t k1, uint64_t k2,
				    bool *fresh)
{
	struct pmap_entry *e = thpsim__pmap_get(m, k1, k2);

	if (fresh)
		*fresh = false;
	if (e)
		return e;
	if (m->nr >= m->max)
		return NULL;
	if ((m->nr + 1) * 2 > m->cap && !pmap_grow(m))
		return NULL;
	e = pmap_slot(m, k1, k2);
	memset(e, 0, sizeof(*e));
	e->k1 = k1;
	e->k2 = k2;
	e->used = true;
	m->nr++;
	if (fresh)
		*fresh = true;
	return e;
}
