/*
 * machine/floor.h - the raw pseudo-IPI floor: a bare pthread_kill of a
 * real-time signal whose handler only bumps an ack word, the sender
 * waiting for it as a thpsim sender waits (spin THPSIM_IPI_SPIN_NS, then
 * futex).  Shared by the self-check (selftest.c) and the benchmarks, so
 * both compare against the same floor.
 */
#ifndef THPSIM_MACHINE_FLOOR_H
#define THPSIM_MACHINE_FLOOR_H

#include <pthread.h>
#include <signal.h>

#include "thpsim/machine.h"

/* A real-time signal next to m's IPI signal, free for the raw floor. */
int thpsim__raw_ipi_signal(thpsim_machine_t *m);
/* Install the ack handler for sig; *old receives the disposition. */
void thpsim__raw_ipi_install(int sig, struct sigaction *old);
void thpsim__raw_ipi_restore(int sig, const struct sigaction *old);
/* One round trip: signal thread, wait for its handler's ack. */
void thpsim__raw_ipi_round(pthread_t thread, int sig);

#endif /* THPSIM_MACHINE_FLOOR_H */
