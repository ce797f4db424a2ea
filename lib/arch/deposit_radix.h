/*
 * arch/deposit_radix.h - what powerpc book3s64 radix leaves inside a
 * deposited page table (docs/KERNEL-NOTES.md section 3.3).
 *
 * Models arch/powerpc/mm/book3s64/radix_pgtable.c:
 * radix__pgtable_trans_huge_deposit() (Linux 6.1), which treats the table
 * memory itself as a struct list_head: slots 0 and 1 (PTE index 0 and 1)
 * hold the ring's next and prev pointers while the table is deposited,
 * and withdraw zeroes them.  Those are kernel linear-map addresses
 * (0xc000...) of other deposited tables (or of the table itself), so read
 * as a PTE they are non-PTE data: in practice they fail the access check
 * (no present/read bit in the low bits).
 *
 * The simulator writes such pointer-like words: a linear-map base plus
 * the target table's frame number shifted into the address bits, chosen
 * so the word decodes to a pfn far outside any arena.  With the knob
 * "radix garbage passes" the low bits look like present|user|rw, so an
 * adversarial walker goes on to take a reference: the never-dereferenced
 * pfn outside memory then shows up as garbage.
 */
#ifndef THPSIM_ARCH_DEPOSIT_RADIX_H
#define THPSIM_ARCH_DEPOSIT_RADIX_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/pgtable_x86.h"

/* Linear-map base; bit 51 makes the decoded pfn at least 2^39. */
#define RADIX_LINEAR_MAP	UINT64_C(0xc008000000000000)

/* The list pointer to the table in frame pfn, as a PTE-sized word. */
static inline uint64_t radix_list_word(unsigned long pfn, bool passes)
{
	uint64_t w = RADIX_LINEAR_MAP + ((uint64_t)pfn << PTE_PFN_SHIFT);

	if (passes)
		w |= _PAGE_PRESENT | _PAGE_USER | _PAGE_RW | _PAGE_ACCESSED;
	return w;
}

#endif /* THPSIM_ARCH_DEPOSIT_RADIX_H */
