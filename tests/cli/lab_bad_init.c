/*
 * lab_bad_init.c - a --load plug-in whose thpsim_lab_init() fails: it
 * registers a scenario with a thread letter no CPU has, and returns the
 * error (test_cli_load: exit 2, the file and the reason named).
 */
#include <thpsim/thpsim.h>

static void nothing(thpsim_scenario_ctx_t *ctx)
{
	(void)ctx;
}

static const thpsim_script_step_t script[] = { THPSIM_SCRIPT_END };

static const thpsim_scenario_def_t bad = {
	.id = "BAD1",
	.title = "a thread on no CPU",
	.setup = thpsim_lab_setup_anon_A,
	.threads = { { 'Q', "nobody", nothing, false } },
	.script = script,
};

int thpsim_lab_init(void)
{
	return thpsim_scenario_register(&bad);
}
