/*
 * lab/oracle_map.h - a small open-addressing hash map keyed by a pair of
 * 64-bit words, for the oracle and the timeline.
 *
 * Used for the pmd entries (key: pmd index) and for each walk's set of
 * (address, pfn) pairs seen mapped.  No deletion: an entry is reset by its
 * owner instead, and the whole map is emptied with thpsim__pmap_clear().
 * The map refuses to grow past its max entries (put returns NULL), so a
 * flood of odd events cannot exhaust host memory.
 */
#ifndef THPSIM_LAB_ORACLE_MAP_H
#define THPSIM_LAB_ORACLE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pmap_entry {
	uint64_t k1, k2;
	uint64_t v[4];		/* owner's payload, zero on insertion */
	int i;			/* owner's payload, zero on insertion */
	bool used;
};

struct pmap {
	struct pmap_entry *e;
	size_t cap;		/* slots, a power of two (0: none yet) */
	size_t nr;		/* slots used */
	size_t max;		/* most entries ever held */
};

void thpsim__pmap_init(struct pmap *m, size_t max);
void thpsim__pmap_free(struct pmap *m);
/* Forget every entry, keep the slots. */
void thpsim__pmap_clear(struct pmap *m);
struct pmap_entry *thpsim__pmap_get(const struct pmap *m, uint64_t k1,
				    uint64_t k2);
/* Find or insert (payload zeroed, *fresh set); NULL when full or out of
 * host memory.  Pointers stay valid until the next put. */
struct pmap_entry *thpsim__pmap_put(struct pmap *m, uint64_t k1, uint64_t k2,
				    bool *fresh);

#endif /* THPSIM_LAB_ORACLE_MAP_H */
