/*
 * mm/abandon.h - give back the host memory of an mm or a file whose run
 * broke a rule of the model (a BUG ended it, machine/detsched.c).
 *
 * No kernel counterpart: the kernel would have stopped.  The simulated
 * state (tables, pages, locks held by the abandoned threads) is left as
 * it stood and goes with the machine's arena; only the host allocations
 * (mm, VMAs, anon_vmas, munmap's spare VMAs, the page cache array) are
 * freed, without taking a lock or touching a page.  What an abandoned
 * thread held only on its own stack is leaked: a VMA that do_mmap() has
 * allocated but not linked, an anon_vma that anon_vma_prepare() has not
 * yet published.
 */
#ifndef THPSIM_MM_ABANDON_H
#define THPSIM_MM_ABANDON_H

#include "thpsim/mm.h"

void thpsim__mm_abandon(thpsim_mm_t *mm);
void thpsim__file_abandon(thpsim_file_t *f);

#endif
