/*
 * mm/geometry.c - page-table geometry: levels, entries per table, page
 * size, and the per-level shifts derived from them.
 *
 * Small geometries (2 levels x 4 entries) make a lab's whole address space
 * fit on a screen and keep exploration fast; the default is x86-64.  The
 * level directly above the PTE tables is always "the pmd", so a THP (a
 * huge pmd) maps entries pages whatever the geometry.
 */
#include <string.h>

#include "mm/internal.h"

#define PAGE_SHIFT_MIN 6
#define PAGE_SHIFT_MAX 16

void thpsim_geometry_default(thpsim_geometry_t *g)
{
	if (!g)
		return;
	g->levels = 4;
	g->entries = 512;
	g->page_shift = 12;
}

/* Parse a decimal number without sign or leading zero; end is set past it.
 * Returns false on no digits, a leading zero or a value above 999999. */
static bool parse_uint(const char *s, const char **end, unsigned *out)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 999999)
			return false;
		p++;
	}
	*end = p;
	*out = (unsigned)v;
	return true;
}

int thpsim_geometry_parse(const char *s, thpsim_geometry_t *g)
{
	thpsim_geometry_t tmp;
	const char *p;

	if (!s || !g)
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry: string or output is NULL");
	if (!parse_uint(s, &p, &tmp.levels))
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry '%s': expected LxE (levels x entries, e.g. 4x512): bad or too large levels",
				   s);
	if (*p != 'x')
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry '%s': expected 'x' after the levels (LxE, e.g. 4x512)",
				   s);
	if (!parse_uint(p + 1, &p, &tmp.entries))
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry '%s': expected LxE (e.g. 4x512): bad or too large entries",
				   s);
	if (*p != '\0')
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry '%s': unexpected '%s' after LxE",
				   s, p);
	tmp.page_shift = 12;
	if (thpsim_geometry_validate(&tmp))
		return -THPSIM_EINVAL;
	*g = tmp;
	return 0;
}

int thpsim_geometry_validate(const thpsim_geometry_t *g)
{
	if (!g)
		return thpsim__err(-THPSIM_EINVAL, "geometry is NULL");
	if (g->levels < THPSIM_LEVELS_MIN || g->levels > THPSIM_LEVELS_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry: levels %u outside %d..%d",
				   g->levels, THPSIM_LEVELS_MIN,
				   THPSIM_LEVELS_MAX);
	if (g->entries < THPSIM_ENTRIES_MIN ||
	    g->entries > THPSIM_ENTRIES_MAX ||
	    (g->entries & (g->entries - 1)))
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry: entries %u is not a power of two in %d..%d",
				   g->entries, THPSIM_ENTRIES_MIN,
				   THPSIM_ENTRIES_MAX);
	if (g->page_shift < PAGE_SHIFT_MIN || g->page_shift > PAGE_SHIFT_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry: page_shift %u outside %d..%d",
				   g->page_shift, PAGE_SHIFT_MIN,
				   PAGE_SHIFT_MAX);
	if ((1UL << g->page_shift) < (unsigned long)g->entries * 8)
		return thpsim__err(-THPSIM_EINVAL,
				   "geometry: page size %lu (page_shift %u) cannot hold %u entries of 8 bytes",
				   1UL << g->page_shift, g->page_shift,
				   g->entries);
	return 0;
}

void thpsim__geometry_derive(const thpsim_geometry_t *g, unsigned *entry_bits,
			     unsigned shift[THPSIM_LEVELS_MAX + 2])
{
	unsigned bits = (unsigned)__builtin_ctz(g->entries);

	*entry_bits = bits;
	memset(shift, 0, sizeof(unsigned) * (THPSIM_LEVELS_MAX + 2));
	for (unsigned level = 1; level <= g->levels + 1; level++)
		shift[level] = g->page_shift + (level - 1) * bits;
}

unsigned thpsim_geometry_level_shift(const thpsim_geometry_t *g,
				     unsigned level)
{
	unsigned shift[THPSIM_LEVELS_MAX + 2], bits;

	if (!g || thpsim_geometry_validate(g) || level < 1 ||
	    level > g->levels + 1)
		return 0;
	thpsim__geometry_derive(g, &bits, shift);
	return shift[level];
}

uint64_t thpsim_geometry_hpage_size(const thpsim_geometry_t *g)
{
	unsigned shift = thpsim_geometry_level_shift(g, 2);

	return shift ? UINT64_C(1) << shift : 0;
}

uint64_t thpsim_geometry_va_size(const thpsim_geometry_t *g)
{
	unsigned shift = g ? thpsim_geometry_level_shift(g, g->levels + 1) : 0;

	return shift ? UINT64_C(1) << shift : 0;
}
