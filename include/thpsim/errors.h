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
	X(EINTERNAL, "internal error")

enum thpsim_errno {
	THPSIM_OK = 0,
#define THPSIM__ERR_ENUM(name, msg) THPSIM_##name,
	THPSIM__ERR_FIRST_ = 99,
	THPSIM_ERRNO_MAP(THPSIM__ERR_ENUM)
#undef THPSIM__ERR_ENUM
};

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
