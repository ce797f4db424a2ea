/* machine/errors.h - internal helper to fail with a detailed message. */
#ifndef THPSIM_MACHINE_ERRORS_H
#define THPSIM_MACHINE_ERRORS_H

#include "thpsim/errors.h"

/*
 * Record a printf-style detail message for thpsim_errmsg() and return err
 * (pass it negative: return thpsim__err(-THPSIM_EINVAL, "...", ...)).
 */
int thpsim__err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
