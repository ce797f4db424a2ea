/*
 * lab_main.c - the thpsim command with the exercise files' strategy
 * ("student", exercise 2), scenario ("EX4", exercise 4) and invariant
 * (exercise 5, by its name) registered:
 *
 *   build-labs/thpsim-lab-submission run EX4 --no-pmd-recheck --timeline
 *   build-labs/thpsim-lab-submission explore S1 --fix student --geometry 2x4
 *   build-labs/thpsim-lab-submission replay S1 --fix student --schedule ...
 *   build-labs/thpsim-lab-submission explore S1 --invariant no-leaked-table ...
 */
#include <stdio.h>

#include "lab.h"

int main(int argc, char **argv)
{
	int err;

	if ((err = lab_ex2_register()) || (err = lab_ex4_register()) ||
	    (err = thpsim_invariant_register(lab_ex5_invariant()))) {
		fprintf(stderr, "thpsim-lab: registering the exercises: %s (%s)\n",
			thpsim_strerror(err), thpsim_errmsg());
		return 2;
	}
	return thpsim_cli_main(argc, argv);
}
