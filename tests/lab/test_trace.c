/*
 * test_trace.c - the Perfetto trace parses back (jansson) with one track
 * per CPU of the run, slices for walks and IRQ-off sections, and the
 * oracle's finding; and the atomic file write refuses bad paths first.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thpsim/thpsim.h"

static json_t *s1_trace(void)
{
	thpsim_run_config_t rc;
	thpsim_run_result_t res;
	json_error_t jerr;
	json_t *doc;

	thpsim_run_config_init(&rc);
	thpsim_geometry_parse("2x4", &rc.geometry);
	rc.trace = true;
	cr_assert_eq(thpsim_scenario_run(&rc, &res), 0, "%s", thpsim_errmsg());
	cr_assert_eq(res.verdict.outcome, THPSIM_OUTCOME_UAF);
	cr_assert(res.trace);
	doc = json_loads(res.trace, 0, &jerr);
	cr_assert(doc, "line %d: %s", jerr.line, jerr.text);
	thpsim_run_result_fini(&res);
	return doc;
}

static int count(json_t *evs, const char *ph, const char *field,
		 const char *value, int tid)
{
	size_t i;
	json_t *e;
	int n = 0;

	json_array_foreach(evs, i, e) {
		const char *p = json_string_value(json_object_get(e, "ph"));
		const char *v = json_string_value(json_object_get(e, field));

		if (!p || strcmp(p, ph) || !v || strcmp(v, value))
			continue;
		if (tid >= 0 && json_integer_value(json_object_get(e, "tid")) != tid)
			continue;
		n++;
	}
	return n;
}

static const char *track_name(json_t *evs, int tid)
{
	size_t i;
	json_t *e;

	json_array_foreach(evs, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), "thread_name") &&
		    json_integer_value(json_object_get(e, "tid")) == tid)
			return json_string_value(json_object_get(json_object_get(e, "args"), "name"));
	return NULL;
}

Test(trace, s1_tracks_and_slices)
{
	json_t *doc = s1_trace(), *evs = json_object_get(doc, "traceEvents");
	const char *g;

	cr_assert(json_is_array(evs));
	cr_assert_eq(count(evs, "M", "name", "thread_name", -1), 4,
		     "tracks: K, G, U and R");
	g = track_name(evs, 1);
	cr_assert(g && strstr(g, "GUP-fast"), "%s", g ? g : "(none)");
	cr_assert(track_name(evs, 0) && strstr(track_name(evs, 0), "khugepaged"));
	cr_assert_eq(count(evs, "X", "cat", "WALK_BEGIN", 1), 2, "fast + slow walk");
	cr_assert_eq(count(evs, "X", "cat", "IRQ_OFF", 1), 1);
	cr_assert_eq(count(evs, "X", "cat", "COLLAPSE_BEGIN", 0), 1);
	cr_assert_geq(count(evs, "i", "cat", "FRAME_FREE", -1), 1);
	cr_assert_eq(count(evs, "i", "name", "UAF", -1), 1);
	json_decref(doc);
}

/* Slices are complete events that end where their section ends. */
Test(trace, slices_have_durations)
{
	json_t *doc = s1_trace(), *evs = json_object_get(doc, "traceEvents"), *e;
	size_t i;
	json_int_t last = -1;

	json_array_foreach(evs, i, e) {
		const char *ph = json_string_value(json_object_get(e, "ph"));

		if (!strcmp(ph, "M"))
			continue;
		if (!strcmp(ph, "X"))
			cr_assert_gt(json_integer_value(json_object_get(e, "dur")), 0);
		if (strcmp(json_string_value(json_object_get(e, "cat")), "verdict")) {
			cr_assert_gt(json_integer_value(json_object_get(e, "ts")), last);
			last = json_integer_value(json_object_get(e, "ts"));
		}
	}
	json_decref(doc);
}

Test(trace, atomic_file)
{
	thpsim_trace_file_t *tf;
	char dir[] = "/tmp/thpsim-trace-XXXXXX", path[256], buf[64] = { 0 };
	FILE *f;

	cr_assert(mkdtemp(dir));
	cr_assert_eq(thpsim_trace_open(dir, &tf), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "directory"));
	snprintf(path, sizeof(path), "%s/no/such/dir/t.json", dir);
	cr_assert_eq(thpsim_trace_open(path, &tf), -THPSIM_EINVAL);
	cr_assert(strstr(thpsim_errmsg(), "cannot write"));
	snprintf(path, sizeof(path), "%s/t.json", dir);
	cr_assert_eq(thpsim_trace_open(path, &tf), 0);
	cr_assert_neq(access(path, F_OK), 0, "visible before the commit");
	cr_assert_eq(thpsim_trace_commit(tf, "{}"), 0);
	f = fopen(path, "r");
	cr_assert(f);
	cr_assert(fgets(buf, sizeof(buf), f));
	fclose(f);
	cr_assert_str_eq(buf, "{}\n");
	cr_assert_eq(thpsim_trace_open(path, &tf), 0);
	thpsim_trace_abort(tf);
	unlink(path);
	rmdir(dir);
}
