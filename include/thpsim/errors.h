/*
 * thpsim/errors.h - error codes shared by every public function.
 *
 * Rule (see docs/errors.md): a public function returns int; 0 is success and
 * a negative -THPSIM_E<NAME> is a failure.  When a call fails it also leaves
 * a human-readable message naming the bad value in a per-thread buffer that
 * thpsim_errmsg() returns; the message stays valid until the next failing
 * call on the same thread.
 */
#ifndef THPSIM_ERRORS_H
#define THPSIM_ERRORS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, message): one list generates the enum and both lookup functions. */
#define THPSIM_ERRNO_MAP(X)                                                  \
	X(EINVAL, "invalid argument")                                        \
	X(ENOMEM, "out of host memory")                                      \
	X(ENOFRAME, "physical frame pool exhausted or allocation injected to fail") \
	X(ENOCPU, "no free simulated CPU slot")                              \
	X(ENOTCPU, "calling thread is not a registered simulated CPU")       \
	X(EBUSY, "resource busy")                                            \
	X(ETIMEDOUT, "watchdog bound exceeded")                              \
	X(EDEADLK, "operation would deadlock")                               \
	X(ENOSYS, "facility not available on this host")                     \
	X(EFAULT, "address not mapped")                                      \
	X(ENOENT, "no such object")                                          \
	X(EEXIST, "object already exists")                                   \
	X(EPROFILE, "unknown arch profile")                                  \
	X(ESTRATEGY, "unknown fix strategy")                                 \
	X(EINTERNAL, "internal error")                                      \
	X(EMODEL, "a rule of the model was broken; that run was ended")      \
	X(ENOSPC, "a fixed-size table is full")

enum thpsim_errno {
	THPSIM_OK = 0,
#define THPSIM__ERR_ENUM(name, msg) THPSIM_##name,
	THPSIM__ERR_FIRST_ = 99,
	THPSIM_ERRNO_MAP(THPSIM__ERR_ENUM)
#undef THPSIM__ERR_ENUM
};

/*
 * A broken rule of the model (a page freed twice, a refcount below zero, a
 * strategy hook returning NULL where a table is due, a lock released that
 * was not held): a BUG.  Inside a deterministic run (thpsim_scenario_run,
 * thpsim_explore) it ends that run only: the call returns -THPSIM_EMODEL
 * and thpsim_errmsg() names the strategy hook that was running, if any,
 * and the rule ("BUG at lib/machine/phys.c:...: put_page on pfn 1 with
 * refcount 0"); the process stays usable for the next run.  Anywhere
 * else (free-running threads, stress) a BUG prints and aborts.
 *
 * thpsim_set_bug_handler(fn) calls fn(message, file, line) on every BUG
 * first; if fn returns, the handling above follows.  Pass
 * thpsim_bug_abort for the old behaviour (print and abort, also inside
 * deterministic runs); NULL removes the handler.
 */
typedef void (*thpsim_bug_fn)(const char *msg, const char *file, int line);
void thpsim_set_bug_handler(thpsim_bug_fn fn);
/* Print "thpsim: BUG at file:line: msg" to stderr and abort(). */
void thpsim_bug_abort(const char *msg, const char *file, int line)
	__attribute__((noreturn));

/* "EINVAL" for -THPSIM_EINVAL; "UNKNOWN" for a value not in the map. */
const char *thpsim_err_name(int err);
/* The fixed message of the code ("invalid argument"). */
const char *thpsim_strerror(int err);
/* The detailed message of the last failing call on this thread ("" if none). */
const char *thpsim_errmsg(void);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_ERRORS_H */
