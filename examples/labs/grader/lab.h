/*
 * lab.h - what each exercise file defines for its checker
 * (docs/labs/README.md).  Include it from your exercise files.
 */
#ifndef THPSIM_LAB_EXERCISES_H
#define THPSIM_LAB_EXERCISES_H

#include <thpsim/thpsim.h>

/* Exercise 2: register a strategy named "student"; 0 or -THPSIM_E*. */
int lab_ex2_register(void);
/* Exercise 4: register a scenario with id "EX4"; 0 or -THPSIM_E*. */
int lab_ex4_register(void);
/* Exercise 5: the invariant (static storage; thpsim/observe.h). */
const thpsim_invariant_t *lab_ex5_invariant(void);

#endif
