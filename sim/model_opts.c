/* model_opts.c - shared profile / fix / geometry / knob handling. */
#include <stdio.h>
#include <string.h>

#include "model_opts.h"

const char *const placement_names[] = {
	"after-flush", "after-isolate", "after-deposit", NULL,
};

void model_opts_init(struct model_opts *mo)
{
	*mo = (struct model_opts){ .profile = "arm64", .fix = "none",
				   .geometry = "4x512" };
}

static void list_profiles(char *buf, size_t len)
{
	const thpsim_profile_t *const *p = thpsim_profile_list();
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; p[i] && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? ", " : "", p[i]->name);
}

static void list_fixes(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < thpsim_strategy_count() && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? ", " : "", thpsim_strategy_at(i)->name);
}

static int check_profile_as(const char *opt, const char *name)
{
	char allowed[512];

	if (thpsim_profile_find(name))
		return OPTS_OK;
	list_profiles(allowed, sizeof(allowed));
	return opts_error("--%s: unknown value '%s' (allowed: %s)", opt,
			  opts_show(name), allowed);
}

static int check_fix_as(const char *opt, const char *name)
{
	char allowed[512];

	if (thpsim_strategy_find(name))
		return OPTS_OK;
	list_fixes(allowed, sizeof(allowed));
	return opts_error("--%s: unknown value '%s' (allowed: %s)", opt,
			  opts_show(name), allowed);
}

int model_check_profile(const char *name)
{
	return check_profile_as("profile", name);
}

int model_check_fix(const char *name)
{
	return check_fix_as("fix", name);
}

int model_check_profiles_item(const char *name)
{
	return check_profile_as("profiles", name);
}

int model_check_fixes_item(const char *name)
{
	return check_fix_as("fixes", name);
}

int model_opts_apply(const struct model_opts *mo, thpsim_run_config_t *rc)
{
	if (thpsim_geometry_parse(mo->geometry, &rc->geometry))
		return opts_error("--geometry: '%s': %s", opts_show(mo->geometry),
				  thpsim_errmsg());
	rc->knobs.pmd_recheck = !mo->no_pmd_recheck;
	rc->knobs.retract_recheck = !mo->no_retract_recheck;
	rc->knobs.radix_garbage_passes = mo->radix_garbage_passes;
	rc->knobs.fail_table_batch = mo->fail_table_batch;
	rc->knobs.ipi_placement = (thpsim_ipi_placement_t)mo->ipi_placement;
	rc->idle_cpus = (unsigned)mo->idle_cpus;
	if (mo->invariant) {
		rc->invariant = thpsim_invariant_find(mo->invariant);
		if (!rc->invariant)
			return opts_error("--invariant: %s", thpsim_errmsg());
	}
	return OPTS_OK;
}

void model_knobs_text(const thpsim_knobs_t *k, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	if (!k->pmd_recheck)
		off += (size_t)snprintf(buf + off, len - off, "no-pmd-recheck ");
	if (!k->retract_recheck && off < len)
		off += (size_t)snprintf(buf + off, len - off, "no-retract-recheck ");
	if (k->radix_garbage_passes && off < len)
		off += (size_t)snprintf(buf + off, len - off, "radix-garbage-passes ");
	if (k->fail_table_batch && off < len)
		off += (size_t)snprintf(buf + off, len - off, "fail-table-batch ");
	if (k->ipi_placement != THPSIM_IPI_AFTER_FLUSH && off < len)
		off += (size_t)snprintf(buf + off, len - off, "ipi-placement=%s ",
					thpsim_ipi_placement_name(k->ipi_placement));
	if (off == 0)
		snprintf(buf, len, "default");
	else if (off <= len)
		buf[off - 1] = 0;
}

void model_knobs_flags(const thpsim_run_config_t *rc, char *buf, size_t len)
{
	char text[128], *word, *save = NULL;
	size_t off = 0;

	buf[0] = 0;
	model_knobs_text(&rc->knobs, text, sizeof(text));
	if (strcmp(text, "default"))
		for (word = strtok_r(text, " ", &save); word && off < len;
		     word = strtok_r(NULL, " ", &save)) {
			char *eq = strchr(word, '=');

			if (eq)
				*eq = ' ';
			off += (size_t)snprintf(buf + off, len - off, " --%s", word);
		}
	if (rc->idle_cpus && off < len)
		off += (size_t)snprintf(buf + off, len - off, " --idle-cpus %u",
					rc->idle_cpus);
	if (rc->invariant && off < len)
		snprintf(buf + off, len - off, " --invariant %s", rc->invariant->name);
}
