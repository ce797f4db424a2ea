/*
 * cpu.c - simulated CPUs: slots, registration, this_cpu(), idle and
 * preempted states, and the kernel-named IPI wrappers.
 *
 * A CPU is a slot in its machine's cpus[] array; a pthread claims a slot by
 * registering and gives it back by unregistering.  this_cpu() is the one
 * thread-local variable of the machine layer: the deterministic scheduler
 * repoints it when it switches fibers, so per-CPU state never needs a
 * __thread of its own.
 */
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "machine/errors.h"
#include "machine/internal.h"
#include "machine/rcu.h"
#include "machine/sched.h"

/*
 * initial-exec: the IPI signal handler reads it, and only static TLS is
 * async-signal-safe to reach (a dynamic TLS block may be allocated lazily).
 */
static __thread struct cpu *current_cpu __attribute__((tls_model("initial-exec")));

struct cpu *this_cpu(void)
{
	return current_cpu;
}

void thpsim__set_this_cpu(struct cpu *c)
{
	/* The signal handler on this thread must see the switch in order. */
	atomic_signal_fence(memory_order_seq_cst);
	current_cpu = c;
	atomic_signal_fence(memory_order_seq_cst);
}

struct cpu *per_cpu(thpsim_machine_t *m, int id)
{
	if (!m || id < 0 || (unsigned)id >= m->cfg.nr_cpus)
		return NULL;
	return &m->cpus[id];
}

unsigned thpsim__nr_cpu_slots(thpsim_machine_t *m)
{
	return m->cfg.nr_cpus;
}

/* ---- slots ---------------------------------------------------------- */

static void cpu_reset(struct cpu *c)
{
	irq_depth_set(c, 0);
	__atomic_store_n(&c->irq_site, NULL, __ATOMIC_RELAXED);
	atomic_store(&c->ipi_pending, false);
	atomic_store(&c->idle, false);
	atomic_store(&c->preempted, false);
	atomic_store(&c->active_mm, NULL);
	c->nr_held = 0;
	/* irq_seq keeps counting: a membarrier sender may hold a snapshot. */
}

/* Claim slot want (or the first free one when want < 0). */
static int cpu_claim(thpsim_machine_t *m, int want, struct cpu **out)
{
	unsigned n = m->cfg.nr_cpus, i;
	struct cpu *c = NULL;

	if (want >= 0 && (unsigned)want >= n)
		return thpsim__err(-THPSIM_EINVAL, "cpu: %d out of range 0..%u",
				   want, n - 1);
	pthread_mutex_lock(&m->lock);
	for (i = want >= 0 ? (unsigned)want : 0; i < n; i++) {
		if (!m->cpus[i].claimed) {
			c = &m->cpus[i];
			c->claimed = true;
			break;
		}
		if (want >= 0)
			break;
	}
	pthread_mutex_unlock(&m->lock);
	if (!c && want >= 0)
		return thpsim__err(-THPSIM_EBUSY, "cpu: slot %d is already taken",
				   want);
	if (!c)
		return thpsim__err(-THPSIM_ENOCPU,
				   "all %u CPU slots are taken (nr_cpus)", n);
	cpu_reset(c);
	*out = c;
	return 0;
}

static void cpu_release_slot(struct cpu *c)
{
	pthread_mutex_lock(&c->machine->lock);
	c->claimed = false;
	pthread_mutex_unlock(&c->machine->lock);
}

/*
 * Take c offline so that no call can be stranded in its queue.  Senders
 * hold ipi_refs from their "online?" check to their kick (see ipi.c:
 * cpu_get_online()); both sides use sequentially consistent accesses, so
 * either the sender sees us offline or we see its reference and wait for
 * it.  Then one last drain, masked so that a late signal only pends.
 */
static void cpu_offline(struct cpu *c)
{
	struct cpu *prev = this_cpu();

	atomic_store(&c->online, false);
	while (atomic_load(&c->ipi_refs))
		sched_yield();
	thpsim__set_this_cpu(c);
	irq_depth_set(c, 1);
	thpsim__ipi_run_queue(c);
	atomic_store(&c->ipi_pending, false);
	irq_depth_set(c, 0);
	thpsim__set_this_cpu(prev);
}

/* ---- registration ------------------------------------------------------ */

/*
 * A thread that exits still registered gives its slot back: the key's
 * destructor runs at pthread_exit (or return from the start routine) and
 * does what thpsim_cpu_unregister() would, ignoring what that refuses
 * (interrupts still masked or locks still held: the thread is gone, so
 * nothing can restore them).  Without it the slot stayed claimed and
 * online forever, and thpsim_machine_destroy() reported a registered CPU.
 * The main thread's destructor does not run at exit(); that is fine, the
 * process is gone.
 */
static pthread_key_t cpu_exit_key;
static pthread_once_t cpu_exit_once = PTHREAD_ONCE_INIT;
static int cpu_exit_key_err;

static void cpu_release(struct cpu *c);

static void cpu_thread_exit(void *arg)
{
	struct cpu *c = arg;

	if (!c || this_cpu() != c)
		return;	/* unregistered already, or repointed: not ours */
	irq_depth_set(c, 0);
	c->nr_held = 0;
	cpu_release(c);
}

static void cpu_exit_key_init(void)
{
	cpu_exit_key_err = pthread_key_create(&cpu_exit_key, cpu_thread_exit);
}

int thpsim_cpu_register(thpsim_machine_t *m, int *id)
{
	struct cpu *c = this_cpu();
	sigset_t set;
	int err;

	if (!m)
		return thpsim__err(-THPSIM_EINVAL, "machine: NULL");
	if (c)
		return thpsim__err(-THPSIM_EBUSY,
				   "this thread is already CPU %d", c->id);
	pthread_once(&cpu_exit_once, cpu_exit_key_init);
	if (cpu_exit_key_err)
		return thpsim__err(-THPSIM_EINTERNAL,
				   "cpu: cannot create the thread-exit key (error %d)",
				   cpu_exit_key_err);
	err = cpu_claim(m, -1, &c);
	if (err)
		return err;
	if (pthread_setspecific(cpu_exit_key, c)) {
		cpu_release_slot(c);
		return thpsim__err(-THPSIM_ENOMEM,
				   "cpu: cannot set the thread-exit key");
	}
	c->thread = pthread_self();
	/* A CPU must be able to take the IPI signal whatever it inherited. */
	sigemptyset(&set);
	sigaddset(&set, m->cfg.ipi_signal);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	thpsim__rcu->register_thread();
	thpsim__set_this_cpu(c);
	atomic_store(&c->online, true);
	if (id)
		*id = c->id;
	return 0;
}

int thpsim_cpu_unregister(void)
{
	struct cpu *c = this_cpu();
	const thpsim_site_t *site;

	if (!c)
		return thpsim__err(-THPSIM_ENOTCPU,
				   "thpsim_cpu_unregister: this thread is not a registered CPU");
	if (irq_depth_read(c)) {
		site = __atomic_load_n(&c->irq_site, __ATOMIC_RELAXED);
		return thpsim__err(-THPSIM_EBUSY,
				   "CPU %d: interrupts masked (depth %u) at %s; restore them before unregistering",
				   c->id, irq_depth_read(c),
				   site ? site->func : "?");
	}
	if (c->nr_held)
		return thpsim__err(-THPSIM_EBUSY,
				   "CPU %d still holds %u lock(s)", c->id,
				   c->nr_held);
	pthread_setspecific(cpu_exit_key, NULL);
	cpu_release(c);
	return 0;
}

/* The calling thread's CPU c goes offline and its slot is freed. */
static void cpu_release(struct cpu *c)
{
	cpu_offline(c);
	thpsim__set_this_cpu(NULL);
	thpsim__rcu->unregister_thread();
	cpu_release_slot(c);
}

int thpsim__cpu_attach(thpsim_machine_t *m, int cpu_id, struct cpu **out)
{
	struct cpu *c;
	int err;

	if (cpu_id < 0)
		return thpsim__err(-THPSIM_EINVAL, "cpu: %d is negative", cpu_id);
	err = cpu_claim(m, cpu_id, &c);
	if (err)
		return err;
	c->thread = pthread_self();
	atomic_store(&c->online, true);
	*out = c;
	return 0;
}

void thpsim__cpu_detach(struct cpu *c)
{
	cpu_offline(c);
	cpu_release_slot(c);
}

int thpsim_cpu_id(void)
{
	return smp_processor_id();
}

void thpsim_cpu_online_mask(thpsim_machine_t *m, thpsim_cpumask_t *out)
{
	if (!out)
		return;
	thpsim_cpumask_clear(out);
	if (!m)
		return;
	for (unsigned i = 0; i < m->cfg.nr_cpus; i++)
		if (atomic_load(&m->cpus[i].online))
			thpsim_cpumask_set(out, i);
}

/* ---- idle and preempted ---------------------------------------------- */

void thpsim_cpu_idle_enter(void)
{
	struct cpu *c = this_cpu();

	if (c)
		atomic_store(&c->idle, true);
}

void thpsim_cpu_idle_exit(void)
{
	struct cpu *c = this_cpu();

	if (c)
		atomic_store(&c->idle, false);
}

bool thpsim_cpu_is_idle(thpsim_machine_t *m, int cpu)
{
	struct cpu *c = per_cpu(m, cpu);

	return c && atomic_load(&c->idle);
}

bool thpsim__vcpu_held(const struct cpu *c)
{
	if (!c->machine->cfg.guest)
		return false;
	sched_access_vcpu(c->id, false);
	return atomic_load(&c->preempted);
}

/*
 * Free mode.  Resuming a guest's vCPU delivers what pended while it was
 * preempted: at once when it resumes itself with interrupts on, by a kick
 * when another thread resumes it (a masked vCPU takes them at its
 * local_irq_restore, as always).  The deterministic scheduler resumes
 * its vCPUs itself (detsched.c: run_step).
 */
void thpsim_cpu_set_preempted(thpsim_machine_t *m, int cpu, bool preempted)
{
	struct cpu *c = per_cpu(m, cpu);

	if (!c)
		return;
	atomic_store(&c->preempted, preempted);
	if (preempted || !m->cfg.guest || !atomic_load(&c->ipi_pending) ||
	    !sched_is_free_running())
		return;
	if (c == this_cpu()) {
		if (!irq_depth_read(c))
			thpsim__ipi_drain(c);
	} else if (atomic_load(&c->online)) {
		thpsim__ipi_kick_signal(c);
	}
}

bool thpsim_cpu_is_preempted(thpsim_machine_t *m, int cpu)
{
	struct cpu *c = per_cpu(m, cpu);

	if (!c)
		return false;
	sched_access_vcpu(cpu, false);
	return atomic_load(&c->preempted);
}

/* ---- interrupt statistics --------------------------------------------- */

void thpsim__inc_irq_stat_irq_tlb_count(void)
{
	struct cpu *c = this_cpu();

	if (c)
		atomic_fetch_add_explicit(&c->irq_stat.irq_tlb_count, 1,
					  memory_order_relaxed);
}

int thpsim_cpu_irq_counts(thpsim_machine_t *m, int cpu,
			  thpsim_irq_counts_t *out)
{
	struct cpu *c = per_cpu(m, cpu);

	if (!m)
		return thpsim__err(-THPSIM_EINVAL, "machine: NULL");
	if (!c)
		return thpsim__err(-THPSIM_EINVAL, "cpu: %d out of range 0..%u",
				   cpu, m->cfg.nr_cpus - 1);
	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "out: NULL");
	out->cal = atomic_load_explicit(&c->irq_stat.irq_call_count,
					memory_order_relaxed);
	out->tlb = atomic_load_explicit(&c->irq_stat.irq_tlb_count,
					memory_order_relaxed);
	return 0;
}

/* ---- kernel-named wrappers ------------------------------------------- */

static int no_cpu(const char *fn)
{
	return thpsim__err(-THPSIM_ENOTCPU,
			   "%s: calling thread is not a registered CPU", fn);
}

int smp_call_function_many(const thpsim_cpumask_t *mask,
			   thpsim_smp_call_func_t fn, void *info, bool wait)
{
	struct cpu *c = this_cpu();

	if (!c)
		return no_cpu(__func__);
	return thpsim_smp_call_function_many(c->machine, mask, fn, info, wait);
}

int smp_call_function(thpsim_smp_call_func_t fn, void *info, bool wait)
{
	struct cpu *c = this_cpu();

	if (!c)
		return no_cpu(__func__);
	return thpsim_smp_call_function(c->machine, fn, info, wait);
}

int smp_call_function_single(int cpu, thpsim_smp_call_func_t fn, void *info,
			     bool wait)
{
	struct cpu *c = this_cpu();

	if (!c)
		return no_cpu(__func__);
	return thpsim_smp_call_function_single(c->machine, cpu, fn, info,
					       wait);
}
