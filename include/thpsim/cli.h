/*
 * thpsim/cli.h - the thpsim command as a library call.
 *
 * A lab program registers its strategies (thpsim_strategy_register) and
 * scenarios (thpsim_scenario_register), then hands its command line over:
 *
 *	int main(int argc, char **argv)
 *	{
 *		thpsim_strategy_register(&my_fix);
 *		thpsim_scenario_register(&my_scenario);
 *		return thpsim_cli_main(argc, argv);
 *	}
 *
 * and `./lab run LAB1 --fix my-fix`, `./lab explore LAB1 ...`, `./lab
 * replay v1.LAB1...`, `./lab verify LAB1`, `./lab matrix --scenarios
 * LAB1`, `./lab list` work as the thpsim command does for the catalogue.
 *
 * The other way in: `thpsim --load ./lab.so COMMAND ...` (before the
 * command; may be given more than once) dlopen()s the shared object; its
 * constructors run, then its `int thpsim_lab_init(void)` if it defines
 * one (non-zero: an error).  A lab .so is built without linking libthpsim
 * (its thpsim_* calls bind to the command's copy).  A file that cannot be
 * loaded, or an init that fails, is exit status 2 with a message naming
 * the file.
 *
 * Exit status: 0 clean, 1 a violation found, 2 bad usage, 3 internal
 * error (see `thpsim --help`).  Standard output is flushed and closed at
 * the end (a write error is status 3), so call it once, last.
 */
#ifndef THPSIM_CLI_H
#define THPSIM_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

int thpsim_cli_main(int argc, char **argv);

/* What a --load'ed .so may define (optional): 0 on success, else a
 * negative THPSIM_E* (thpsim_errmsg() is shown) or another non-zero. */
int thpsim_lab_init(void);
typedef int (*thpsim_lab_init_fn)(void);
#define THPSIM_LAB_INIT_SYMBOL "thpsim_lab_init"

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_CLI_H */
