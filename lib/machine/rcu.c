/*
 * rcu.c - selection of the RCU backend behind machine/rcu.h.
 *
 * Free mode uses liburcu's memb flavour (rcu_urcu.c); the deterministic
 * scheduler installs simulated grace periods.  Swap only while no CPU
 * thread is inside a read-side section.
 */
#include "machine/rcu.h"

const struct thpsim_rcu_ops *thpsim__rcu = &thpsim_rcu_urcu_ops;

void thpsim__rcu_set_ops(const struct thpsim_rcu_ops *ops)
{
	thpsim__rcu = ops ? ops : &thpsim_rcu_urcu_ops;
}
