/*
 * fuzz_schedule.c - libFuzzer harness for the schedule-string decoder.
 *
 * Input byte 0 picks the mode: even, the rest is the string as given (the
 * checks on characters, fields, version, checksum); odd, the rest becomes
 * the decisions of a string whose config hash and checksum are made
 * right, so the decision parser and the replay policy see it too.  A
 * string that decodes is re-encoded, which must decode again, and
 * replayed (refused or run, never a crash).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "lab/explore.h"

#define INPUT_MAX 4096

static char *wrap(const thpsim_run_config_t *rc, const uint8_t *d, size_t n)
{
	char *s = malloc(n + 64);
	size_t off;

	off = (size_t)sprintf(s, "v1.%s.%08x.", rc->scenario,
			      schedule_config_hash(rc));
	memcpy(s + off, d, n);
	off += n;
	s[off] = 0;
	off = strlen(s);	/* an embedded NUL ends it */
	sprintf(s + off, ".%08x", schedule_fnv1a(s, off));
	return s;
}

static void check(const thpsim_run_config_t *rc, const char *s)
{
	struct schedule sc, again;
	thpsim_run_result_t res;
	char *enc;

	if (schedule_decode(rc, s, &sc))
		return;
	enc = schedule_encode(rc, &sc);
	if (!enc || schedule_decode(rc, enc, &again))
		abort();	/* what we print must read back */
	schedule_fini(&again);
	free(enc);
	schedule_fini(&sc);
	if (!thpsim_replay(rc, s, &res))
		thpsim_run_result_fini(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	thpsim_run_config_t rc;
	char *s;

	if (size < 1 || size > INPUT_MAX)
		return 0;
	thpsim_run_config_init(&rc);
	thpsim_geometry_parse("2x4", &rc.geometry);
	rc.scenario = data[0] & 2 ? "S4" : "S1";
	if (data[0] & 1) {
		s = wrap(&rc, data + 1, size - 1);
	} else {
		s = malloc(size);
		memcpy(s, data + 1, size - 1);
		s[size - 1] = 0;
	}
	check(&rc, s);
	free(s);
	return 0;
}
