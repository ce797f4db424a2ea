/*
 * model_opts.h - the options every model command shares (run, matrix,
 * later explore/replay/stress): profile, fix, geometry and the knobs.
 * One table fragment, one validation, the same messages everywhere.
 */
#ifndef THPSIM_SIM_MODEL_OPTS_H
#define THPSIM_SIM_MODEL_OPTS_H

#include <stdbool.h>

#include "thpsim/thpsim.h"
#include "thpsim/scenario.h"
#include "opts.h"

struct model_opts {
	const char *profile;		/* --profile (or a list for matrix) */
	const char *fix;
	const char *geometry;		/* "LxE" */
	bool no_pmd_recheck;
	bool no_retract_recheck;
	bool radix_garbage_passes;
	bool fail_table_batch;
	int ipi_placement;		/* index into placement_names */
	uint64_t idle_cpus;		/* --idle-cpus */
	const char *invariant;		/* --invariant: a registered one */
};

extern const char *const placement_names[];

/* The knob options, to splice into a command's table (NULL-ended). */
#define MODEL_KNOB_OPTS(mo)                                                  \
	{ "no-pmd-recheck", OPT_FLAG, &(mo)->no_pmd_recheck, NULL,           \
	  "GUP-fast without the pmd recheck (before commit 70cbc3cc78a99)",  \
	  0, 0, NULL, NULL },                                                \
	{ "no-retract-recheck", OPT_FLAG, &(mo)->no_retract_recheck, NULL,   \
	  "6.6 file retract skips its anon_vma recheck under the PTE lock "  \
	  "(pte-free-defer only)", 0, 0, NULL, NULL },                       \
	{ "radix-garbage-passes", OPT_FLAG, &(mo)->radix_garbage_passes, NULL, \
	  "radix deposit words pass the access check (ppc64-radix only)",    \
	  0, 0, NULL, NULL },                                                \
	{ "fail-table-batch", OPT_FLAG, &(mo)->fail_table_batch, NULL,       \
	  "mmu_gather batch page allocation fails (RCU-batch profiles only)", \
	  0, 0, NULL, NULL },                                                \
	{ "ipi-placement", OPT_CHOICE, &(mo)->ipi_placement, "WHERE",        \
	  "where ipi-sync sends its IPI (ipi-sync only)", 0, 0,              \
	  placement_names, "after-flush" },                                 \
	{ "idle-cpus", OPT_UINT, &(mo)->idle_cpus, "N",                      \
	  "idle CPUs outside the mm: they take the sync IPI, not the mm's flush", \
	  0, THPSIM_IDLE_CPUS_MAX, NULL, "0" }

/* --profile, --fix, --geometry and the knobs, to splice into a table. */
#define MODEL_CONFIG_OPTS(mo)                                                \
	{ "profile", OPT_STRING, &(mo)->profile, "P",                        \
	  "architecture profile (see 'thpsim list')", 0, 0, NULL, "arm64" }, \
	{ "fix", OPT_STRING, &(mo)->fix, "F",                                \
	  "fix strategy (see 'thpsim list')", 0, 0, NULL, "none" },          \
	{ "geometry", OPT_STRING, &(mo)->geometry, "LxE",                    \
	  "page-table levels x entries", 0, 0, NULL, "4x512" },              \
	{ "invariant", OPT_STRING, &(mo)->invariant, "NAME",                 \
	  "also judge with a lab's registered invariant (thpsim/observe.h)", \
	  0, 0, NULL, NULL },                                                \
	MODEL_KNOB_OPTS(mo)

void model_opts_init(struct model_opts *mo);
/* Fill rc's geometry and knobs from mo; exit-2 style error printed. */
int model_opts_apply(const struct model_opts *mo, thpsim_run_config_t *rc);
/* Check one profile / fix name; prints the allowed set on error. */
int model_check_profile(const char *name);
/* The same for one item of a --profiles / --fixes list (the message
 * names that option). */
int model_check_profiles_item(const char *name);
int model_check_fixes_item(const char *name);
int model_check_fix(const char *name);
/* "pmd-recheck=off,..." or "default": the knob set as text. */
void model_knobs_text(const thpsim_knobs_t *k, char *buf, size_t len);
/* " --no-pmd-recheck --idle-cpus 2": rc's knobs as the options that give
 * them ("" for the defaults). */
void model_knobs_flags(const thpsim_run_config_t *rc, char *buf, size_t len);

#endif
