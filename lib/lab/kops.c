/*
 * kops.c - the building blocks scenario files use (thpsim/scenario_def.h):
 * set-up helpers and thread bodies, on top of the public mm API.  Nothing here reads the
 * profile, the fix or the knobs (they reach the mm code only).
 */
#include <stdlib.h>
#include <string.h>

#include "lab/scenario.h"
#include "machine/errors.h"
#include "machine/event.h"
#include "machine/phys.h"

/*
 * A building block called outside a scenario's set-up or thread (no ctx,
 * no machine or mm) does nothing and says so: -THPSIM_EINVAL.
 */
static int no_ctx(const thpsim_scenario_ctx_t *ctx, const char *fn)
{
	if (ctx && ctx->mm && ctx->m)
		return 0;
	return thpsim__err(-THPSIM_EINVAL,
			   "%s: %s (call it from a scenario's set-up or thread, thpsim/scenario_def.h)",
			   fn, !ctx ? "ctx is NULL" : "ctx has no machine or mm");
}

void thpsim_lab_note_err(thpsim_scenario_ctx_t *ctx, int err)
{
	if (ctx && err && !ctx->err)
		ctx->err = err;
}

void thpsim_lab_note_pins(thpsim_scenario_ctx_t *ctx, int n,
			  const uint64_t *pfns)
{
	if (!ctx)
		return;
	if (n < 0) {
		thpsim_lab_note_err(ctx, n);
		return;
	}
	for (int i = 0; pfns && i < n && ctx->nr_pinned < THPSIM_SCENARIO_PINS_MAX; i++)
		ctx->pinned[ctx->nr_pinned++] = pfns[i];
}

/* Every page of [addr, +hpage) gets bytes that name its page. */
static int fill_pattern(thpsim_scenario_ctx_t *ctx, uint64_t addr)
{
	unsigned char *buf = malloc(ctx->page);
	int err = buf ? 0 : -THPSIM_ENOMEM;

	for (uint64_t off = 0; !err && off < ctx->hpage; off += ctx->page) {
		memset(buf, (int)(((addr + off) / ctx->page) % 251 + 1), ctx->page);
		err = thpsim_mm_write(ctx->mm, addr + off, buf, ctx->page);
	}
	free(buf);
	return err;
}

int thpsim_lab_populate_anon(thpsim_scenario_ctx_t *ctx, uint64_t addr)
{
	int err = no_ctx(ctx, __func__);

	if (!err)
		err = thpsim_mm_mmap_anon(ctx->mm, addr, ctx->hpage, NULL);
	return err ? err : fill_pattern(ctx, addr);
}

int thpsim_lab_populate_file(thpsim_scenario_ctx_t *ctx, uint64_t addr)
{
	int err = no_ctx(ctx, __func__);

	if (!err && !ctx->file)
		err = thpsim_file_create(ctx->m, ctx->hpage / ctx->page,
					 &ctx->file);
	if (!err)
		err = thpsim_mm_mmap_file(ctx->mm, ctx->file, 0, addr,
					  ctx->hpage);
	return err ? err : fill_pattern(ctx, addr);
}

int thpsim_lab_populate_file_private(thpsim_scenario_ctx_t *ctx, uint64_t addr)
{
	int err = no_ctx(ctx, __func__);

	if (!err)
		err = thpsim_lab_populate_file(ctx, ctx->B);

	if (!err)
		err = thpsim_mm_munmap(ctx->mm, ctx->B, ctx->hpage);
	if (!err)
		err = thpsim_mm_mmap_file_private(ctx->mm, ctx->file, 0, addr,
						  ctx->hpage);
	for (uint64_t off = 0; !err && off < ctx->hpage; off += ctx->page)
		err = thpsim_mm_fault(ctx->mm, addr + off, false);
	return err;
}

int thpsim_lab_collapse_now(thpsim_scenario_ctx_t *ctx, uint64_t addr)
{
	int res;

	if (no_ctx(ctx, __func__))
		return -THPSIM_EINVAL;
	res = thpsim_collapse_anon(ctx->mm, addr);
	if (res != THPSIM_SCAN_SUCCEED)
		return thpsim__err(-THPSIM_EINTERNAL,
					  "setup collapse at %#llx: %s",
					  (unsigned long long)addr,
					  thpsim_scan_result_name(res));
	return 0;
}

void thpsim_lab_fail_batch_alloc(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return;
	thpsim_phys_inject_failure(ctx->m, THPSIM_ALLOC_BATCH, 0, 1u << 30);
}

const thpsim_script_step_t thpsim_lab_script_stall_collapse_zap[] = {
	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),
	THPSIM_PREEMPT('G'),
	THPSIM_RUN('K'),
	THPSIM_RUN('U'),
	THPSIM_RUN('G'),
	THPSIM_SCRIPT_END,
};

int thpsim_lab_setup_anon_A(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return -THPSIM_EINVAL;
	return thpsim_lab_populate_anon(ctx, ctx->A);
}

int thpsim_lab_setup_file_A(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return -THPSIM_EINVAL;
	return thpsim_lab_populate_file(ctx, ctx->A);
}

int thpsim_lab_setup_file_private_A(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return -THPSIM_EINVAL;
	return thpsim_lab_populate_file_private(ctx, ctx->A);
}

/* ---- thread bodies ---------------------------------------------------- */

void thpsim_lab_gup(thpsim_scenario_ctx_t *ctx)
{
	uint64_t pfn;
	int n;

	if (no_ctx(ctx, __func__))
		return;
	n = thpsim_gup_fast(ctx->mm, ctx->walk_addr, 1, &pfn);

	/*
	 * Keep the pin, as a driver doing DMA into the page would: a pin is
	 * judged for as long as it is held (a collapse that copies the page
	 * away meanwhile makes it stale).  The teardown drops it at the end
	 * of the run (scenario_unpin_all).
	 */
	thpsim_lab_note_pins(ctx, n, &pfn);
}

void scenario_unpin_all(thpsim_scenario_ctx_t *ctx)
{
	for (int i = 0; i < ctx->nr_pinned; i++)
		thpsim_unpin(ctx->mm, ctx->pinned[i]);
	ctx->nr_pinned = 0;
}

void thpsim_lab_rcu_walk(thpsim_scenario_ctx_t *ctx)
{
	uint64_t pte;

	if (no_ctx(ctx, __func__))
		return;
	thpsim_lab_note_err(ctx, thpsim_rcu_walk(ctx->mm, ctx->walk_addr, &pte));
}

void thpsim_lab_uffd_copy(thpsim_scenario_ctx_t *ctx)
{
	unsigned char *buf;
	int err;

	if (no_ctx(ctx, __func__))
		return;
	buf = malloc(ctx->page);
	err = buf ? -THPSIM_EBUSY : -THPSIM_ENOMEM;
	if (buf)
		memset(buf, 0xa5, ctx->page);
	/* -EBUSY is the kernel's -EAGAIN: the table went away; retry. */
	for (int tries = 0; err == -THPSIM_EBUSY && tries < 3; tries++)
		err = thpsim_mm_uffd_copy(ctx->mm, ctx->walk_addr, buf, ctx->page);
	free(buf);
	thpsim_lab_note_err(ctx, err);
}

void thpsim_lab_collapse_A(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return;
	(void)thpsim_collapse_anon(ctx->mm, ctx->A);	/* result: an event */
}

void thpsim_lab_collapse_file_A(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return;
	(void)thpsim_collapse_file(ctx->mm, ctx->A);
}

void thpsim_lab_munmap_A(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return;
	thpsim_lab_note_err(ctx, thpsim_mm_munmap(ctx->mm, ctx->A, ctx->hpage));
}

void thpsim_lab_dontneed_A(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return;
	thpsim_lab_note_err(ctx, thpsim_mm_madvise_dontneed(ctx->mm, ctx->A, ctx->hpage));
}

void thpsim_lab_split_A(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return;
	thpsim_lab_note_err(ctx, thpsim_split_huge_pmd(ctx->mm, ctx->A));
}

void thpsim_lab_split_B(thpsim_scenario_ctx_t *ctx)
{
	if (no_ctx(ctx, __func__))
		return;
	thpsim_lab_note_err(ctx, thpsim_split_huge_pmd(ctx->mm, ctx->B));
}

/*
 * L: lock A's first page as reclaim or migration would (trylock_page, no
 * mmap_lock needed in the kernel; the walk here takes it for read), and
 * keep it locked to the end of the run.  Where no small page maps A any
 * more (the collapse unhooked the table or finished first), or the page
 * is locked already (the isolate holds it), nothing happens.
 */
void thpsim_lab_lock_page_A(thpsim_scenario_ctx_t *ctx)
{
	thpsim_walk_t w;
	struct page *page;

	if (no_ctx(ctx, __func__))
		return;
	if (thpsim_mm_walk(ctx->mm, ctx->A, &w) || w.huge) {
		emit(.kind = THPSIM_EV_NOTE, .addr = ctx->A,
		     .what = "no small page maps A: nothing to lock");
		return;
	}
	page = pfn_to_page(thpsim__machine_phys(ctx->m), (unsigned long)w.pfn);
	if (page && trylock_page(page))
		emit(.kind = THPSIM_EV_NOTE, .addr = ctx->A, .pfn = w.pfn,
		     .what = "locks A's first page (trylock_page)");
	else
		emit(.kind = THPSIM_EV_NOTE, .addr = ctx->A, .pfn = w.pfn,
		     .what = "A's first page is locked already");
}
