/* mutant.c - test-only mechanism breakers (see mutant.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/mutant.h"

static const char *const mutant_names[] = {
	"ipi-ignores-mask", "gp-ignores-readers", "sync-not-stubbed",
	"flush-no-wait", "copy-flips-byte", NULL,
};

const char *const *thpsim__mutant_names(void)
{
	return mutant_names;
}

bool thpsim__mutant(const char *name)
{
	const char *env = getenv("THPSIM_MUTANT");
	size_t len = strlen(name);

	while (env && *env) {
		const char *comma = strchr(env, ',');
		size_t n = comma ? (size_t)(comma - env) : strlen(env);

		if (n == len && !strncmp(env, name, len))
			return true;
		env = comma ? comma + 1 : NULL;
	}
	return false;
}

static bool known(const char *name, size_t n)
{
	for (int i = 0; mutant_names[i]; i++)
		if (strlen(mutant_names[i]) == n &&
		    !strncmp(mutant_names[i], name, n))
			return true;
	return false;
}

int thpsim__mutant_check(char *bad, size_t len)
{
	const char *env = getenv("THPSIM_MUTANT");

	if (!env || !*env)
		return 0;
	for (const char *p = env; p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (!known(p, n)) {
			snprintf(bad, len, "%.*s", (int)n, p);
			return -1;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 1;
}
