/*
 * sched.c - scheduling-point hook and the futex-backed blocking pair.
 *
 * Free mode blocks on a 32-bit word with the futex system call, the same
 * primitive glibc builds its mutexes on.  Everything in the machine layer
 * that waits (locks, IPI acks, membarrier sync) goes through sched_wait()
 * so that the deterministic scheduler can swap the pair for one that parks
 * fibers (struct sched_backend).
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <linux/futex.h>
#include <stddef.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "machine/errors.h"
#include "machine/internal.h"
#include "machine/sched.h"

thpsim_sched_hook_fn thpsim__sched_hook;
void *thpsim__sched_hook_arg;
thpsim_sched_access_fn thpsim__sched_access_hook;
bool thpsim__serial;		/* set by detsched_run() */

uint64_t thpsim__sched_name_key(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; name && *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ull;
	return (UINT64_C(12) << 60) | (h & ((UINT64_C(1) << 60) - 1));
}

static const char *const point_names[] = {
#define THPSIM__SP_NAME(name) #name,
	THPSIM_SCHED_POINTS(THPSIM__SP_NAME)
#undef THPSIM__SP_NAME
};

void thpsim_sched_set_hook(thpsim_sched_hook_fn fn, void *arg)
{
	/*
	 * The argument goes first so a point that sees the new hook also
	 * sees its argument; installing a hook while threads run is a test
	 * set-up action, not a hot path.
	 */
	__atomic_store_n(&thpsim__sched_hook_arg, arg, __ATOMIC_RELEASE);
	__atomic_store_n(&thpsim__sched_hook, fn, __ATOMIC_RELEASE);
}

const char *thpsim_sched_point_name(int point)
{
	if (point < 0 || point >= THPSIM_SP__NR)
		return "?";
	return point_names[point];
}

int thpsim_sched_point_parse(const char *name)
{
	if (name && !strncasecmp(name, "THPSIM_SP_", 10))
		name += 10;
	for (int i = 0; name && i < THPSIM_SP__NR; i++)
		if (!strcasecmp(name, point_names[i]))
			return i;
	thpsim__err(-THPSIM_EINVAL,
		    "scheduling point: unknown name '%s' (allowed: the THPSIM_SCHED_POINTS of thpsim/sched_points.h, e.g. GUP_AFTER_PMD_READ, COLLAPSE_AFTER_ISOLATE)",
		    name ? name : "(null)");
	return -1;
}

uint64_t thpsim__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)word, op, val, ts, NULL, 0);
}

#ifdef THPSIM_TSAN
/*
 * ThreadSanitizer runs an asynchronous signal handler at the thread's next
 * intercepted libc call, and a raw futex system call is not one: a CPU
 * asleep here would never take its IPI.  Under TSan, sleep in short slices
 * and pass an intercepted call (clock_gettime) after each one.
 */
#define WAIT_SLICE_NS 1000000u

static uint64_t wait_slice(uint64_t timeout_ns)
{
	return !timeout_ns || timeout_ns > WAIT_SLICE_NS ? WAIT_SLICE_NS
							  : timeout_ns;
}

static void after_wait(void)
{
	(void)thpsim__now_ns();
}
#else
static uint64_t wait_slice(uint64_t timeout_ns)
{
	return timeout_ns;
}

static void after_wait(void)
{
}
#endif

static int futex_wait(_Atomic uint32_t *word, uint32_t val,
		      uint64_t timeout_ns, const struct sched_wait_info *info)
{
	uint64_t slice = wait_slice(timeout_ns);
	struct timespec ts, *tsp = NULL;
	int saved = errno;
	int ret = 0;

	(void)info;
	if (slice) {
		ts.tv_sec = (time_t)(slice / 1000000000u);
		ts.tv_nsec = (long)(slice % 1000000000u);
		tsp = &ts;
	}
	/*
	 * FUTEX_WAIT takes a relative timeout.  EAGAIN (value differed) and
	 * EINTR (an IPI signal ran meanwhile) are ordinary returns: the
	 * caller re-checks its condition in a loop either way; so is the end
	 * of a slice shorter than the caller's timeout.
	 */
	if (futex(word, FUTEX_WAIT_PRIVATE, val, tsp) < 0 &&
	    errno == ETIMEDOUT && slice == timeout_ns)
		ret = -THPSIM_ETIMEDOUT;
	after_wait();
	errno = saved;
	return ret;
}

/* Async-signal-safe: a bare system call, errno preserved. */
static void futex_wake(_Atomic uint32_t *word, int n)
{
	int saved = errno;

	futex(word, FUTEX_WAKE_PRIVATE, (uint32_t)(n < 0 ? INT_MAX : n), NULL);
	errno = saved;
}

const struct sched_backend thpsim__sched_free_backend = {
	.name = "free",
	.wait = futex_wait,
	.wake = futex_wake,
	.kick = thpsim__ipi_kick_signal,
};

const struct sched_backend *thpsim__sched_backend = &thpsim__sched_free_backend;

int sched_wait_for(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns,
		   const struct sched_wait_info *info)
{
	return thpsim__sched_backend->wait(word, val, timeout_ns, info);
}

int sched_wait(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns)
{
	return thpsim__sched_backend->wait(word, val, timeout_ns, NULL);
}

void sched_wake(_Atomic uint32_t *word, int n)
{
	thpsim__sched_backend->wake(word, n);
}
