/*
 * explore_json.c - the JSON form of `thpsim explore` (explore_json.h).
 * Members, in order: the configuration (scenario, profile, fix, geometry,
 * knobs, policy and its parameters, iterations), then the results
 * (schedules, exhausted, distinct_states, outcomes: every class with its
 * count, exercised, violations, first_violation: null or {outcome, index,
 * schedule, replay}).  No timings.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli_replay.h"
#include "cmds.h"
#include "explore_json.h"

static json_t *first_violation(const thpsim_explore_config_t *ec,
			       const thpsim_explore_result_t *xr,
			       const struct model_opts *mo)
{
	char *replay = NULL;
	size_t len = 0;
	FILE *f;
	json_t *v;

	if (!xr->found)
		return json_null();
	f = open_memstream(&replay, &len);
	if (f && xr->first_schedule)
		cli_print_replay(f, &ec->run, mo, xr->first_schedule);
	if (f)
		fclose(f);
	if (replay && len && replay[len - 1] == '\n')
		replay[len - 1] = 0;
	v = json_pack("{s:s,s:I,s:s?,s:s?}",
		      "outcome", thpsim_outcome_name(xr->first_outcome),
		      "index", (json_int_t)xr->first_index,
		      "schedule", xr->first_schedule, "replay", replay);
	free(replay);
	return v;
}

int explore_print_json(const thpsim_explore_config_t *ec,
		       const thpsim_explore_result_t *xr,
		       const struct model_opts *mo, const struct shard *sh,
		       uint64_t config)
{
	json_t *root = json_object(), *oc = json_object();
	char knobs[128], hex[24];
	int err = EXIT_CLEAN;

	if (shard_on(sh)) {
		snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)config);
		json_object_set_new(root, "shard", json_pack("{s:s,s:I,s:I,s:I,s:s}",
			"kind", "explore", "k", (json_int_t)sh->k,
			"n", (json_int_t)sh->n,
			"total", (json_int_t)ec->iterations, "config", hex));
	}
	model_knobs_text(&ec->run.knobs, knobs, sizeof(knobs));
	json_object_set_new(root, "scenario", json_string(ec->run.scenario));
	json_object_set_new(root, "profile", json_string(mo->profile));
	json_object_set_new(root, "fix", json_string(mo->fix));
	json_object_set_new(root, "geometry", json_string(mo->geometry));
	json_object_set_new(root, "knobs", json_string(knobs));
	json_object_set_new(root, "policy", json_string(thpsim_policy_name(ec->policy)));
	if (ec->policy == THPSIM_POLICY_RANDOM) {
		json_object_set_new(root, "seed", json_integer((json_int_t)ec->seed));
		json_object_set_new(root, "switch_prob", json_real(ec->switch_prob));
	} else if (ec->policy == THPSIM_POLICY_PCT) {
		json_object_set_new(root, "seed", json_integer((json_int_t)ec->seed));
		json_object_set_new(root, "depth", json_integer(ec->depth));
	} else {
		json_object_set_new(root, "preemptions", json_integer(ec->preemptions));
	}
	json_object_set_new(root, "iterations", json_integer((json_int_t)ec->iterations));
	json_object_set_new(root, "schedules", json_integer((json_int_t)xr->schedules));
	json_object_set_new(root, "exhausted", json_boolean(xr->exhausted));
	json_object_set_new(root, "distinct_states", json_integer((json_int_t)xr->distinct_states));
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++)
		json_object_set_new(oc, thpsim_outcome_name((thpsim_outcome_t)c),
				    json_integer((json_int_t)xr->counts[c]));
	json_object_set_new(root, "outcomes", oc);
	json_object_set_new(root, "exercised", json_integer((json_int_t)xr->exercised));
	json_object_set_new(root, "violations", json_integer((json_int_t)xr->violations));
	json_object_set_new(root, "first_violation", first_violation(ec, xr, mo));
	if (shard_on(sh)) {
		json_t *hs = json_array();

		for (uint64_t i = 0; xr->state_hashes && i < xr->distinct_states; i++) {
			snprintf(hex, sizeof(hex), "%016llx",
				 (unsigned long long)xr->state_hashes[i]);
			json_array_append_new(hs, json_string(hex));
		}
		json_object_set_new(root, "state_hashes", hs);
	}
	if (json_dumpf(root, stdout, EXPLORE_JSON_FLAGS) < 0)
		err = EXIT_INTERNAL;
	else
		putchar('\n');
	json_decref(root);
	return err;
}
