/*
 * test_replay.c - a schedule string reproduces its run exactly: the same
 * outcome, timeline text and trace bytes, every time; and a string that
 * checks out but does not fit the run is refused, not followed.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/thpsim.h"

static char *first_violation(thpsim_run_config_t *rc, const char *scenario,
			     const char *fix, bool recheck,
			     thpsim_outcome_t *outcome)
{
	thpsim_explore_config_t ec;
	thpsim_explore_result_t xr;
	char *s;

	thpsim_explore_config_init(&ec);
	ec.run.scenario = scenario;
	ec.run.fix = fix;
	ec.run.knobs.pmd_recheck = recheck;
	thpsim_geometry_parse("2x4", &ec.run.geometry);
	ec.iterations = 2000;
	cr_assert_eq(thpsim_explore(&ec, &xr), 0, "%s", thpsim_errmsg());
	cr_assert(xr.found && xr.first_schedule);
	*rc = ec.run;
	*outcome = xr.first_outcome;
	s = strdup(xr.first_schedule);
	thpsim_explore_result_fini(&xr);
	return s;
}

static void replay_twice(const char *scenario, const char *fix, bool recheck)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t a, b;
	thpsim_outcome_t want;
	char *s = first_violation(&rc, scenario, fix, recheck, &want);

	rc.timeline = true;
	rc.trace = true;
	cr_assert_eq(thpsim_replay(&rc, s, &a), 0, "%s", thpsim_errmsg());
	cr_assert_eq(thpsim_replay(&rc, s, &b), 0, "%s", thpsim_errmsg());
	cr_assert_eq(a.verdict.outcome, want, "%s: replayed %s, explored %s", s,
		     thpsim_outcome_name(a.verdict.outcome),
		     thpsim_outcome_name(want));
	cr_assert_eq(b.verdict.outcome, want);
	cr_assert_eq(a.steps, b.steps);
	cr_assert(a.timeline && a.trace);
	cr_assert_str_eq(a.timeline, b.timeline);
	cr_assert_str_eq(a.trace, b.trace);
	cr_assert_str_eq(a.verdict_text, b.verdict_text);
	thpsim_run_result_fini(&a);
	thpsim_run_result_fini(&b);
	free(s);
}

Test(replay, s1_byte_for_byte)
{
	replay_twice("S1", "none", true);
}

Test(replay, s4_byte_for_byte)
{
	replay_twice("S4", "fresh-table", false);
}

/* A string with the right checksum and configuration, in the decisions
 * field `decisions`, for rc. */
static void forge(const char *s, const char *decisions, char *buf, size_t len)
{
	const char *dot = strchr(strchr(s + 3, '.') + 1, '.');
	uint32_t h = 2166136261u;
	size_t n;

	n = (size_t)snprintf(buf, len, "%.*s%s", (int)(dot - s + 1), s, decisions);
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)buf[i];
		h *= 16777619u;
	}
	snprintf(buf + n, len - n, ".%08x", h);
}

/* Strings that check out but whose decisions do not fit the run. */
Test(replay, does_not_fit)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	thpsim_outcome_t o;
	char *s = first_violation(&rc, "S1", "none", true, &o), buf[128];

	cr_assert_eq(thpsim_replay(&rc, s, &res), 0);
	thpsim_run_result_fini(&res);
	forge(s, "G3", buf, sizeof(buf));	/* ends before the run */
	cr_assert_eq(thpsim_replay(&rc, buf, &res), -THPSIM_EINVAL, "%s", buf);
	cr_assert(strstr(thpsim_errmsg(), "does not fit"), "%s", thpsim_errmsg());
	forge(s, "R", buf, sizeof(buf));	/* R has nothing to do */
	cr_assert_eq(thpsim_replay(&rc, buf, &res), -THPSIM_EINVAL, "%s", buf);
	cr_assert(strstr(thpsim_errmsg(), "runs R, which is blocked then (waits for"),
		  "%s", thpsim_errmsg());
	free(s);
}
