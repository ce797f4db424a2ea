/* floor.c - the raw pseudo-IPI floor (see floor.h). */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "machine/floor.h"
#include "machine/internal.h"
#include "machine/sched.h"

static _Atomic uint32_t raw_ack;
static _Atomic uint32_t raw_waiting;

static void raw_handler(int sig)
{
	int saved = errno;

	(void)sig;
	atomic_fetch_add(&raw_ack, 1);
	if (atomic_load(&raw_waiting))
		syscall(SYS_futex, (uint32_t *)&raw_ack, FUTEX_WAKE_PRIVATE,
			INT_MAX, NULL, NULL, 0);
	errno = saved;
}

int thpsim__raw_ipi_signal(thpsim_machine_t *m)
{
	int sig = m->cfg.ipi_signal;

	return sig + 1 <= SIGRTMAX ? sig + 1 : sig - 1;
}

void thpsim__raw_ipi_install(int sig, struct sigaction *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = raw_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, old);
}

void thpsim__raw_ipi_restore(int sig, const struct sigaction *old)
{
	sigaction(sig, old, NULL);
}

void thpsim__raw_ipi_round(pthread_t thread, int sig)
{
	uint32_t before = atomic_load(&raw_ack);
	uint64_t end = thpsim__now_ns() + THPSIM_IPI_SPIN_NS;

	pthread_kill(thread, sig);
	while (atomic_load(&raw_ack) == before && thpsim__now_ns() < end)
		cpu_relax();
	if (atomic_load(&raw_ack) != before)
		return;
	atomic_store(&raw_waiting, 1);
	while (atomic_load(&raw_ack) == before)
		syscall(SYS_futex, (uint32_t *)&raw_ack, FUTEX_WAIT_PRIVATE,
			before, NULL, NULL, 0);
	atomic_store(&raw_waiting, 0);
}
