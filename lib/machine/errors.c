/* errors.c - error names, messages and the per-thread detail buffer. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "thpsim/errors.h"
#include "machine/errors.h"

static _Thread_local char thpsim__errbuf[512];

const char *thpsim_err_name(int err)
{
	if (err == INT_MIN)	/* -INT_MIN overflows */
		return "UNKNOWN";
	switch (-err) {
#define X(name, msg) case THPSIM_##name: return #name;
	THPSIM_ERRNO_MAP(X)
#undef X
	case 0: return "OK";
	}
	return "UNKNOWN";
}

const char *thpsim_strerror(int err)
{
	if (err == INT_MIN)
		return "unknown error";
	switch (-err) {
#define X(name, msg) case THPSIM_##name: return msg;
	THPSIM_ERRNO_MAP(X)
#undef X
	case 0: return "success";
	}
	return "unknown error";
}

const char *thpsim_errmsg(void)
{
	return thpsim__errbuf;
}

int thpsim__err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(thpsim__errbuf, sizeof(thpsim__errbuf), fmt, ap);
	va_end(ap);
	return err;
}
