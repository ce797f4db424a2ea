/*
 * arch/pgtable_x86.h - page-table entry encoding, x86-64 bit positions.
 *
 * Models arch/x86/include/asm/pgtable_types.h and pgtable.h (Linux 6.1).
 * Simplified: one encoding for every level above the PTEs (a table entry
 * is present|rw|user|accessed|dirty plus the pfn), no protnone, no devmap,
 * no swap entries, no memory types.  The pfn always sits in bits 12..51
 * whatever the simulated page size: an entry holds a frame number, not a
 * host address, so a poisoned or garbage entry can decode to a pfn outside
 * the arena and every consumer must bounds-check it (pfn_valid()).
 *
 * Entries are plain values here; loads and stores of live entries (with
 * their scheduling points) are in mm/pgtable.h.  Profiles that read some
 * slots differently (ppc64-radix deposit) layer on top of these helpers.
 */
#ifndef THPSIM_ARCH_PGTABLE_X86_H
#define THPSIM_ARCH_PGTABLE_X86_H

#include <stdbool.h>
#include <stdint.h>

typedef struct { uint64_t pte; } pte_t;
typedef struct { uint64_t pmd; } pmd_t;
/* An entry of a level above the pmd (pud, p4d, pgd). */
typedef struct { uint64_t pxd; } pxd_t;
typedef struct { uint64_t pgprot; } pgprot_t;

#define _PAGE_BIT_PRESENT	0
#define _PAGE_BIT_RW		1
#define _PAGE_BIT_USER		2
#define _PAGE_BIT_ACCESSED	5
#define _PAGE_BIT_DIRTY		6
#define _PAGE_BIT_PSE		7	/* huge page at the pmd */
#define _PAGE_BIT_SPECIAL	9	/* software bit 1 */
#define _PAGE_BIT_NX		63

#define _PAGE_PRESENT	(UINT64_C(1) << _PAGE_BIT_PRESENT)
#define _PAGE_RW	(UINT64_C(1) << _PAGE_BIT_RW)
#define _PAGE_USER	(UINT64_C(1) << _PAGE_BIT_USER)
#define _PAGE_ACCESSED	(UINT64_C(1) << _PAGE_BIT_ACCESSED)
#define _PAGE_DIRTY	(UINT64_C(1) << _PAGE_BIT_DIRTY)
#define _PAGE_PSE	(UINT64_C(1) << _PAGE_BIT_PSE)
#define _PAGE_SPECIAL	(UINT64_C(1) << _PAGE_BIT_SPECIAL)
#define _PAGE_NX	(UINT64_C(1) << _PAGE_BIT_NX)

#define PTE_PFN_SHIFT	12
#define PTE_PFN_MASK	(((UINT64_C(1) << 52) - 1) & ~((UINT64_C(1) << 12) - 1))
#define PTE_FLAGS_MASK	(~PTE_PFN_MASK)
/* Largest pfn an entry can hold. */
#define PTE_PFN_MAX	(PTE_PFN_MASK >> PTE_PFN_SHIFT)

/* A user page table's entry in its parent (kernel: _PAGE_TABLE). */
#define _PAGE_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_USER |             \
			 _PAGE_ACCESSED | _PAGE_DIRTY)

#define PAGE_NONE	((pgprot_t){ 0 })
#define PAGE_READONLY	((pgprot_t){ _PAGE_PRESENT | _PAGE_USER |            \
				     _PAGE_ACCESSED | _PAGE_NX })
#define PAGE_SHARED	((pgprot_t){ _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | \
				     _PAGE_ACCESSED | _PAGE_NX })

static inline uint64_t pgprot_val(pgprot_t p) { return p.pgprot; }

/* ---- PTEs ------------------------------------------------------------- */

/* Models arch/x86/include/asm/pgtable.h: pte_none(), pte_present(),
 * pte_pfn(), pte_write(), pte_dirty(), pte_young(), pte_special(),
 * pte_same(), pte_mk*() and pfn_pte() / mk_pte() (Linux 6.1). */

static inline uint64_t pte_val(pte_t pte) { return pte.pte; }
static inline pte_t __pte(uint64_t v) { return (pte_t){ v }; }
static inline bool pte_none(pte_t pte) { return pte.pte == 0; }
static inline bool pte_present(pte_t pte)
{
	return pte.pte & _PAGE_PRESENT;
}
static inline unsigned long pte_pfn(pte_t pte)
{
	return (pte.pte & PTE_PFN_MASK) >> PTE_PFN_SHIFT;
}
static inline bool pte_write(pte_t pte) { return pte.pte & _PAGE_RW; }
static inline bool pte_dirty(pte_t pte) { return pte.pte & _PAGE_DIRTY; }
static inline bool pte_young(pte_t pte) { return pte.pte & _PAGE_ACCESSED; }
static inline bool pte_special(pte_t pte) { return pte.pte & _PAGE_SPECIAL; }
static inline bool pte_same(pte_t a, pte_t b) { return a.pte == b.pte; }
static inline pte_t pte_mkdirty(pte_t pte)
{
	return __pte(pte.pte | _PAGE_DIRTY);
}
static inline pte_t pte_mkyoung(pte_t pte)
{
	return __pte(pte.pte | _PAGE_ACCESSED);
}
static inline pte_t pte_mkwrite(pte_t pte) { return __pte(pte.pte | _PAGE_RW); }
static inline pte_t pte_wrprotect(pte_t pte)
{
	return __pte(pte.pte & ~_PAGE_RW);
}
static inline pte_t pte_mkspecial(pte_t pte)
{
	return __pte(pte.pte | _PAGE_SPECIAL);
}

static inline pte_t pfn_pte(unsigned long pfn, pgprot_t prot)
{
	return __pte(((uint64_t)pfn << PTE_PFN_SHIFT & PTE_PFN_MASK) |
		     (prot.pgprot & PTE_FLAGS_MASK));
}
#define mk_pte(pfn, prot) pfn_pte(pfn, prot)

/* Models arch/x86/include/asm/pgtable.h: pte_access_permitted() (Linux
 * 6.1). Simplified: no protection keys. */
static inline bool pte_access_permitted(pte_t pte, bool write)
{
	uint64_t need = _PAGE_PRESENT | _PAGE_USER | (write ? _PAGE_RW : 0);

	return (pte.pte & need) == need;
}

/* ---- pmds --------------------------------------------------------------- */

/* Models arch/x86/include/asm/pgtable.h: pmd_none(), pmd_present(),
 * pmd_trans_huge(), pmd_pfn(), pmd_bad(), pfn_pmd() and mk_huge_pmd()
 * (Linux 6.1).  pmd_mktable() is the value pmd_populate() stores. */

static inline uint64_t pmd_val(pmd_t pmd) { return pmd.pmd; }
static inline pmd_t __pmd(uint64_t v) { return (pmd_t){ v }; }
static inline bool pmd_none(pmd_t pmd) { return pmd.pmd == 0; }
/* x86 counts a PSE entry as present even while invalidated for a split. */
static inline bool pmd_present(pmd_t pmd)
{
	return pmd.pmd & (_PAGE_PRESENT | _PAGE_PSE);
}
/* PSE alone: a huge pmd invalidated for a split (present bit clear) is
 * still huge, as on x86. */
static inline bool pmd_trans_huge(pmd_t pmd)
{
	return pmd.pmd & _PAGE_PSE;
}
static inline unsigned long pmd_pfn(pmd_t pmd)
{
	return (pmd.pmd & PTE_PFN_MASK) >> PTE_PFN_SHIFT;
}
static inline bool pmd_write(pmd_t pmd) { return pmd.pmd & _PAGE_RW; }
static inline bool pmd_same(pmd_t a, pmd_t b) { return a.pmd == b.pmd; }
/* A non-empty entry that is neither a huge page nor a table pointer. */
static inline bool pmd_bad(pmd_t pmd)
{
	return !pmd_none(pmd) && !pmd_trans_huge(pmd) &&
	       (pmd.pmd & PTE_FLAGS_MASK) != _PAGE_TABLE;
}
static inline bool pmd_access_permitted(pmd_t pmd, bool write)
{
	return pte_access_permitted(__pte(pmd.pmd), write);
}

static inline pmd_t pfn_pmd(unsigned long pfn, pgprot_t prot)
{
	return __pmd(pte_val(pfn_pte(pfn, prot)));
}
static inline pmd_t pmd_mkwrite(pmd_t pmd) { return __pmd(pmd.pmd | _PAGE_RW); }
static inline pmd_t pmd_mkdirty(pmd_t pmd)
{
	return __pmd(pmd.pmd | _PAGE_DIRTY);
}
/* Models arch/x86/include/asm/pgtable.h: pmd_mkinvalid() (Linux 6.1):
 * not present, still PSE (pmd_trans_huge), as pmdp_invalidate() wants. */
static inline pmd_t pmd_mkinvalid(pmd_t pmd)
{
	return __pmd(pmd.pmd & ~_PAGE_PRESENT);
}

/* A huge pmd mapping the compound page at pfn. */
static inline pmd_t mk_huge_pmd(unsigned long pfn, pgprot_t prot)
{
	return __pmd(pmd_val(pfn_pmd(pfn, prot)) | _PAGE_PSE | _PAGE_DIRTY);
}
/* The pmd value pointing at the PTE table in frame pfn (pmd_populate). */
static inline pmd_t pmd_mktable(unsigned long pfn)
{
	return __pmd(((uint64_t)pfn << PTE_PFN_SHIFT & PTE_PFN_MASK) |
		     _PAGE_TABLE);
}

/* ---- levels above the pmd (pud, p4d, pgd) ------------------------------ */

static inline uint64_t pxd_val(pxd_t e) { return e.pxd; }
static inline pxd_t __pxd(uint64_t v) { return (pxd_t){ v }; }
static inline bool pxd_none(pxd_t e) { return e.pxd == 0; }
static inline bool pxd_present(pxd_t e) { return e.pxd & _PAGE_PRESENT; }
static inline unsigned long pxd_pfn(pxd_t e)
{
	return (e.pxd & PTE_PFN_MASK) >> PTE_PFN_SHIFT;
}
static inline bool pxd_bad(pxd_t e)
{
	return !pxd_none(e) && (e.pxd & PTE_FLAGS_MASK) != _PAGE_TABLE;
}
static inline pxd_t pxd_mktable(unsigned long pfn)
{
	return __pxd(pmd_val(pmd_mktable(pfn)));
}

#endif /* THPSIM_ARCH_PGTABLE_X86_H */
