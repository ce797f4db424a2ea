/*
 * machine/tsan.h - happens-before annotations for ThreadSanitizer.
 *
 * TSan cannot see the ordering that signal handlers, membarrier() or an
 * uninstrumented library (liburcu) provide.  Where the protocol gives it,
 * the code says so with tsan_release() on the publishing side and
 * tsan_acquire() on the consuming side.  Without -fsanitize=thread
 * (THPSIM_TSAN, set by cmake/Sanitizers.cmake) both compile to nothing.
 */
#ifndef THPSIM_MACHINE_TSAN_H
#define THPSIM_MACHINE_TSAN_H

#ifdef THPSIM_TSAN
#include <sanitizer/tsan_interface.h>
#define tsan_release(addr) __tsan_release(addr)
#define tsan_acquire(addr) __tsan_acquire(addr)
#else
#define tsan_release(addr) ((void)(addr))
#define tsan_acquire(addr) ((void)(addr))
#endif

#endif
