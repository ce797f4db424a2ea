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
#include "lab/scenario.h"

static int s13_setup(struct scenario_ctx *ctx)
{
	return ks_populate_file_private(ctx, ctx->A);
}

static const struct script_step s13_script[] = {
	RUN_UNTIL('K', RETRACT_BEFORE_LOCK),
	RUN('U'),
	RUN('K'),
	SCRIPT_DONE,
};

const struct scenario S13_scenario = {
	.id = "S13",
	.setup = s13_setup,
	.threads = {
		{ 'K', "khugepaged (file)", ks_collapse_file_A, false },
		{ 'U', "user: UFFDIO_COPY", ks_uffd_copy, true },
	},
	.script = s13_script,
};
