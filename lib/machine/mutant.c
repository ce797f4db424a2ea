/* mutant.c - test-only mechanism breakers (see mutant.h). */
#include <stdlib.h>
#include <string.h>

#include "machine/mutant.h"

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
