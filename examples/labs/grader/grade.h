/*
 * grade.h - what every exercise checker of the lab shares.
 *
 * A checker is one program per exercise, linked with the student's file
 * (or reading the student's answer file), run by grade.sh in a child
 * process of its own: a crash or a hang costs that exercise, not the
 * others.  It prints what it checked, one line per item, then one line
 *
 *	score exN GOT/MAX
 *
 * which grade.sh collects.  Every item is computed by running the model
 * through the public API (thpsim/thpsim.h), never looked up.
 */
#ifndef THPSIM_LAB_GRADE_H
#define THPSIM_LAB_GRADE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <thpsim/thpsim.h>

struct grade {
	const char *exercise;	/* "ex2" */
	unsigned got, max;
};

/* First thing in main: line-buffered stdout, so what was checked before
 * a crash of the submission still reaches grade.sh. */
static inline void grade_begin(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* One item: `points` if ok, else 0; says which and why. */
static inline void grade_item(struct grade *g, bool ok, unsigned points,
			      const char *what)
{
	g->max += points;
	if (ok)
		g->got += points;
	printf("  [%s] %s\n", ok ? " ok " : "FAIL", what);
}

/* The score line grade.sh reads; exit 0 always (the score is the
 * result, not the status). */
static inline int grade_done(const struct grade *g)
{
	printf("score %s %u/%u\n", g->exercise, g->got, g->max);
	fflush(stdout);
	return 0;
}

/*
 * Run scenario on profile with fix (geometry 2x4 unless geometry is set;
 * knobs from thpsim_run_config_init()).  Returns the outcome, or -1 when
 * the run could not be made (message on stdout: a strategy that broke a
 * model rule ends here, -THPSIM_EMODEL, with the rule named).
 */
static inline int grade_run(const char *scenario, const char *profile,
			    const char *fix, const char *geometry,
			    const thpsim_knobs_t *knobs)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	int err, outcome;

	thpsim_run_config_init(&rc);
	rc.scenario = scenario;
	rc.profile = profile;
	rc.fix = fix;
	if (knobs)
		rc.knobs = *knobs;
	if (!geometry)
		geometry = "2x4";
	if (thpsim_geometry_parse(geometry, &rc.geometry)) {
		printf("  bad geometry '%s': %s\n", geometry, thpsim_errmsg());
		return -1;
	}
	err = thpsim_scenario_run(&rc, &res);
	if (err) {
		printf("  %s on %s with %s: the run failed: %s (%s)\n", scenario,
		       profile, fix, thpsim_strerror(err), thpsim_errmsg());
		return -1;
	}
	outcome = (int)res.verdict.outcome;
	thpsim_run_result_fini(&res);
	return outcome;
}

#endif
