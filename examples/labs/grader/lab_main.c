/*
 * lab_main.c - the thpsim command with the exercise files' strategy
 * ("student", exercise 2) and scenario ("EX4", exercise 4) registered:
 *
 *   build-labs/thpsim-lab-submission run EX4 --no-pmd-recheck --timeline
 *   build-labs/thpsim-lab-submission explore S1 --fix student --geometry 2x4
 *   build-labs/thpsim-lab-submission replay S1 --fix student --schedule ...
 */
#include <stdio.h>

#include "lab.h"

int main(int argc, char **argv)
{
	int err;

	if ((err = lab_ex2_register()) || (err = lab_ex4_register())) {
		fprintf(stderr, "thpsim-lab: registering the exercises: %s (%s)\n",
			thpsim_strerror(err), thpsim_errmsg());
		return 2;
	}
	return thpsim_cli_main(argc, argv);
}
