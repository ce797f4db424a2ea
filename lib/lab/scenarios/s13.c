/*
 * S13 - the hazard of a file retract that holds no mmap lock (the 6.6
 * design).  A shmem file is mapped MAP_PRIVATE at A, its pages read-faulted
 * in (table T).  K collapses the file range; its retract checks the VMA
 * for an anon_vma without the mmap lock and stops before the pmd lock.
 * U then does a UFFDIO_COPY into A: the VMA gets an anon_vma and T an
 * anonymous PTE holding U's private bytes (no page-cache lookup, so the
 * locked huge page does not stop it).  K goes on: unless it checks again
 * under the pmd lock and the PTE lock (or, under the mmap write lock, as
 * 6.1 does), it unhooks and frees T with U's page still mapped in it.
 */
#include "thpsim/thpsim.h"

static const thpsim_script_step_t s13_script[] = {
	THPSIM_RUN_UNTIL('K', RETRACT_BEFORE_LOCK),
	THPSIM_RUN('U'),
	THPSIM_RUN('K'),
	THPSIM_SCRIPT_END,
};

const thpsim_scenario_def_t S13_scenario = {
	.id = "S13",
	.title = "6.6 file retract without the mmap lock vs a UFFDIO_COPY into a private mapping",
	.setup = thpsim_lab_setup_file_private_A,
	.threads = {
		{ 'K', "khugepaged (file)", thpsim_lab_collapse_file_A, false },
		{ 'U', "user: UFFDIO_COPY", thpsim_lab_uffd_copy, true },
	},
	.script = s13_script,
};
