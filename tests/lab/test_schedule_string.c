/*
 * test_schedule_string.c - schedule strings: a round trip, and every kind
 * of bad string refused with -THPSIM_EINVAL and a message saying why.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "lab/explore.h"

static thpsim_run_config_t rc;

static void s1_2x4(void)
{
	thpsim_run_config_init(&rc);
	rc.scenario = "S1";
	thpsim_geometry_parse("2x4", &rc.geometry);
}

TestSuite(schedule_string, .init = s1_2x4);

/* A well-formed string for rc with these decisions (checksum computed). */
static char *make(const char *decisions)
{
	char head[64], *out;
	size_t n;
	uint32_t h = 2166136261u;

	snprintf(head, sizeof(head), "v1.S1.%08x.", schedule_config_hash(&rc));
	n = strlen(head) + strlen(decisions);
	out = malloc(n + 16);
	sprintf(out, "%s%s", head, decisions);
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)out[i];
		h *= 16777619u;
	}
	sprintf(out + n, ".%08x", h);
	return out;
}

static void refused(const char *s, const char *why)
{
	int err = thpsim_schedule_check(&rc, s);

	cr_assert_eq(err, -THPSIM_EINVAL, "'%.60s' accepted (%d)", s, err);
	cr_assert(strstr(thpsim_errmsg(), why), "'%.60s': message '%s' lacks '%s'",
		  s, thpsim_errmsg(), why);
}

Test(schedule_string, round_trip)
{
	struct schedule sc = { 0 }, back;
	size_t cap = 0;
	char *str;

	for (int i = 0; i < 3; i++)
		schedule_push(&sc, &cap, DET_RUN, 'G');
	schedule_push(&sc, &cap, DET_PREEMPT, 'G');
	schedule_push(&sc, &cap, DET_RUN, 'K');
	schedule_push(&sc, &cap, DET_RUN, 'R');
	str = schedule_encode(&rc, &sc);
	cr_assert(str);
	cr_assert(strstr(str, ".G3gKR."), "%s", str);
	for (const char *p = str; *p; p++)
		cr_assert(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p));
	cr_assert_eq(schedule_decode(&rc, str, &back), 0, "%s", thpsim_errmsg());
	cr_assert_eq(back.nr_tok, 4);
	cr_assert_eq(back.tok[0].count, 3);
	cr_assert_eq(back.tok[1].kind, DET_PREEMPT);
	schedule_fini(&back);
	schedule_fini(&sc);
	free(str);
}

Test(schedule_string, truncated_and_mangled)
{
	char *good = make("G4K57U16G5"), *bad = strdup(good);
	size_t n = strlen(good);

	cr_assert_eq(thpsim_schedule_check(&rc, good), 0, "%s", thpsim_errmsg());
	for (size_t cut = 0; cut < n; cut++) {
		bad[cut] = 0;
		cr_assert_eq(thpsim_schedule_check(&rc, bad), -THPSIM_EINVAL,
			     "truncated to %zu accepted", cut);
		memcpy(bad, good, n + 1);
	}
	for (size_t i = 0; i < n; i++) {	/* every single-character change */
		for (const char *c = "0aZ9._-"; *c; c++) {
			if (good[i] == *c)
				continue;
			bad[i] = *c;
			cr_assert_neq(thpsim_schedule_check(&rc, bad), 0,
				      "'%s' accepted", bad);
			bad[i] = good[i];
		}
	}
	bad[n - 12] ^= 1;
	refused(bad, "checksum mismatch");
	free(bad);
	free(good);
}

Test(schedule_string, every_kind_of_bad_string)
{
	char *big = malloc(THPSIM_SCHEDULE_MAX + 2), *s;

	refused("", "empty");
	refused(NULL, "none given");
	refused("v1.S1.00000000.G.00000000 ", "not allowed");
	refused("v1.S1.0000\xff" "0000.G.00000000", "not allowed");
	refused("v1.S1.00000000.G", "expected 5 fields");
	refused("v1.S1.00000000.G.1.2", "expected 5 fields");
	refused("v2.S1.00000000.G.00000000", "format 'v2'");
	refused("v1.S1.00000000.G.zzzz", "checksum field");
	memset(big, 'G', THPSIM_SCHEDULE_MAX + 1);
	big[THPSIM_SCHEDULE_MAX + 1] = 0;
	refused(big, "longer than");
	free(big);
	s = make("");
	refused(s, "no decisions");
	free(s);
	s = make("G4X2");
	refused(s, "unexpected character");
	free(s);
	s = make("G0");
	refused(s, "bad step count");
	free(s);
	s = make("G007");
	refused(s, "bad step count");
	free(s);
	s = make("G1");
	refused(s, "bad step count");
	free(s);
	s = make("G9999999");
	refused(s, "bad step count");
	free(s);
	s = make("g3");
	refused(s, "bad step count");
	free(s);
	s = make("G100000K100000");
	refused(s, "more than");
	free(s);
}

Test(schedule_string, foreign)
{
	char *s = make("G4K57U16G5");
	thpsim_run_config_t other = rc;

	other.fix = "ipi-sync";
	cr_assert_eq(thpsim_schedule_check(&other, s), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "another configuration"), "%s", thpsim_errmsg());
	other = rc;
	other.knobs.pmd_recheck = false;
	cr_assert_eq(thpsim_schedule_check(&other, s), -THPSIM_EINVAL);
	other = rc;
	thpsim_geometry_parse("4x512", &other.geometry);
	cr_assert_eq(thpsim_schedule_check(&other, s), -THPSIM_EINVAL);
	other = rc;
	other.scenario = "S4";
	cr_assert_eq(thpsim_schedule_check(&other, s), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "recorded for scenario S1, not S4"), "%s",
		  thpsim_errmsg());
	free(s);
}
