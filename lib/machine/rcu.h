/*
 * machine/rcu.h - the RCU interface of the machine layer.
 *
 * Nothing above the machine layer may call liburcu directly: the mm layer
 * uses these names, and the backend is chosen below.  Free mode backs them
 * with liburcu's memb flavour (thpsim/rcu_urcu.c); the deterministic
 * backend (simulated grace periods) comes with the deterministic scheduler.
 *
 * In free mode an IRQ-masked section is also an RCU read-side section, as
 * in the kernel where IRQs off hold off the grace period: local_irq_save()
 * on a registered CPU enters a read-side section at depth 0 -> 1.
 */
#ifndef THPSIM_MACHINE_RCU_H
#define THPSIM_MACHINE_RCU_H

struct rcu_head {
	void *opaque[2];	/* backend's queue linkage */
	void (*func)(struct rcu_head *head);
};

typedef void (*rcu_callback_t)(struct rcu_head *head);

struct thpsim_rcu_ops {
	const char *name;
	void (*register_thread)(void);
	void (*unregister_thread)(void);
	void (*read_lock)(void);
	void (*read_unlock)(void);
	void (*synchronize)(void);
	void (*call)(struct rcu_head *head, rcu_callback_t func);
	void (*barrier)(void);	/* wait for all queued callbacks to run */
};

/* The free-mode backend on liburcu memb. */
extern const struct thpsim_rcu_ops thpsim_rcu_urcu_ops;
/* Select the backend (NULL restores urcu). */
void thpsim__rcu_set_ops(const struct thpsim_rcu_ops *ops);
extern const struct thpsim_rcu_ops *thpsim__rcu;

static inline void rcu_read_lock(void) { thpsim__rcu->read_lock(); }
static inline void rcu_read_unlock(void) { thpsim__rcu->read_unlock(); }
static inline void synchronize_rcu(void) { thpsim__rcu->synchronize(); }
static inline void call_rcu(struct rcu_head *h, rcu_callback_t f)
{
	thpsim__rcu->call(h, f);
}
static inline void rcu_barrier(void) { thpsim__rcu->barrier(); }

#endif /* THPSIM_MACHINE_RCU_H */
