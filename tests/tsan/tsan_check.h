/*
 * tsan_check.h - assertions for the plain TSan programs (Criterion does not
 * start under ThreadSanitizer): print where and why, exit 1.
 */
#ifndef THPSIM_TESTS_TSAN_CHECK_H
#define THPSIM_TESTS_TSAN_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "thpsim/errors.h"

#define FAIL(...)                                                            \
	do {                                                                 \
		fprintf(stderr, "%s: %s:%d: ", program_invocation_short_name, \
			__FILE__, __LINE__);                                 \
		fprintf(stderr, __VA_ARGS__);                                \
		fputc('\n', stderr);                                         \
		exit(1);                                                     \
	} while (0)
#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		if (a_ != b_)                                                \
			FAIL("%s == %s failed: %lld vs %lld", #a, #b, a_, b_); \
	} while (0)
#define CHECK_OK(expr)                                                       \
	do {                                                                 \
		int r_ = (expr);                                             \
		if (r_)                                                      \
			FAIL("%s = %d (%s): %s", #expr, r_,                  \
			     thpsim_err_name(r_), thpsim_errmsg());          \
	} while (0)

#endif
