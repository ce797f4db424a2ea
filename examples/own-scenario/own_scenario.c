/*
 * own_scenario.c - a lab program with its own scenario and its own fix,
 * and the whole thpsim command for them (thpsim/scenario_def.h,
 * thpsim/cli.h).  Built against an installed thpsim:
 *
 *   cmake -S examples/own-scenario -B /tmp/own -DCMAKE_PREFIX_PATH=<prefix>
 *   cc own_scenario.c $(pkg-config --cflags --libs --static thpsim)
 *
 *   ./own-scenario list                          OWN1 and lab-sync listed
 *   ./own-scenario run OWN1 --timeline           UAF on arm64 without a fix
 *   ./own-scenario run OWN1 --profile x86 --fix lab-sync
 *   ./own-scenario explore OWN1 --geometry 2x4 --iterations 2000
 *   ./own-scenario replay OWN1 --geometry 2x4 --schedule v1.OWN1...
 *   ./own-scenario verify OWN1 --fix lab-sync --geometry 2x4
 *
 * Built with -DOWN_SCENARIO_MODULE as a shared object (no main, not
 * linked with libthpsim) it is a plug-in for the installed command:
 *
 *   cc -shared -fPIC -DOWN_SCENARIO_MODULE -o own.so own_scenario.c \
 *      $(pkg-config --cflags thpsim)
 *   thpsim --load ./own.so run OWN1
 *
 * OWN1 is S1 written from scratch: G (GUP-fast, interrupts off) reads
 * the pmd of A and its vCPU is preempted; K collapses A, depositing the
 * old PTE table; U unmaps A, which frees the deposited table; G resumes
 * and reads the freed table.  lab-sync is the 2022 fix: after the
 * collapse's flush, an IPI to every CPU of the mm, waited for
 * (tlb_remove_table_sync_one), so no walker is still inside its
 * interrupts-off section when the table is reused.
 */
#include <stdio.h>

#include <thpsim/thpsim.h>

/* ---- the scenario ---------------------------------------------------- */

static int own_setup(thpsim_scenario_ctx_t *ctx)
{
	/* A anonymous, every page written: small pages a collapse can take. */
	return thpsim_lab_populate_anon(ctx, ctx->A);
}

static void own_gup(thpsim_scenario_ctx_t *ctx)
{
	uint64_t pfn;
	int n = thpsim_gup_fast(ctx->mm, ctx->walk_addr, 1, &pfn);

	thpsim_lab_note_pins(ctx, n, &pfn);	/* kept: judged while held */
}

static void own_munmap(thpsim_scenario_ctx_t *ctx)
{
	thpsim_lab_note_err(ctx, thpsim_mm_munmap(ctx->mm, ctx->A, ctx->hpage));
}

static const thpsim_script_step_t own_script[] = {
	THPSIM_RUN_UNTIL('G', GUP_AFTER_PMD_READ),	/* G holds the pmd */
	THPSIM_PREEMPT('G'),				/* its vCPU stops */
	THPSIM_RUN('K'),				/* collapse A */
	THPSIM_RUN('U'),				/* munmap A */
	THPSIM_RUN('G'),				/* G reads the table */
	THPSIM_SCRIPT_END,
};

static const thpsim_scenario_def_t own1 = {
	.id = "OWN1",
	.title = "a lab's S1: collapse, then munmap frees the deposited table under a stalled walker",
	.setup = own_setup,
	.threads = {
		{ 'G', "GUP-fast walker", own_gup, true },
		{ 'K', "khugepaged", thpsim_lab_collapse_A, false },
		{ 'U', "user thread: munmap", own_munmap, true },
	},
	.script = own_script,
};

/* ---- the fix --------------------------------------------------------- */

static void sync_after_flush(thpsim_strategy_ctx_t *ctx)
{
	thpsim_strategy_tlb_remove_table_sync_one(ctx);
}

static const struct thpsim_strategy_ops lab_sync = {
	.name = "lab-sync",
	.description = "a lab's ipi-sync: wait for every walker after the collapse flush",
	.collapse_after_flush = sync_after_flush,
};

static int register_all(void)
{
	int err = thpsim_strategy_register(&lab_sync);

	if (!err)
		err = thpsim_scenario_register(&own1);
	if (err)
		fprintf(stderr, "own-scenario: %s (%s)\n", thpsim_strerror(err),
			thpsim_errmsg());
	return err;
}

#ifdef OWN_SCENARIO_MODULE
int thpsim_lab_init(void)
{
	return register_all();
}
#else
int main(int argc, char **argv)
{
	if (register_all())
		return 3;
	return thpsim_cli_main(argc, argv);
}
#endif
