/*
 * test_lock.c - spinlock and rw_semaphore: exclusion, trylock, readers
 * share, writers exclude, and the lockdep-like held tracking.
 */
#include "machine/cpu.h"
#include "machine/lock.h"
#include "machine_test.h"

#define THREADS 4
#define ITERS 20000

static _Atomic int bugs;
static char bug_msg[512];

static void record_bug(const char *msg, const char *file, int line)
{
	(void)file;
	(void)line;
	snprintf(bug_msg, sizeof(bug_msg), "%s", msg);
	atomic_fetch_add(&bugs, 1);
}

/* ---- mutual exclusion ---------------------------------------------------- */

static spinlock_t counter_lock;
static long counter;		/* plain: only the lock protects it */
static _Atomic int inside;	/* threads inside the section right now */
static _Atomic int overlap;	/* times two were inside at once */

static void hammer(void)
{
	for (int i = 0; i < ITERS; i++) {
		spin_lock(&counter_lock);
		if (atomic_fetch_add(&inside, 1) != 0)
			atomic_fetch_add(&overlap, 1);
		counter++;
		atomic_fetch_sub(&inside, 1);
		spin_unlock(&counter_lock);
	}
}

static void hammer_body(struct cpu_thread *t)
{
	(void)t;
	hammer();
}

static void *hammer_plain(void *arg)
{
	(void)arg;
	hammer();
	return NULL;
}

Test(lock, spinlock_mutual_exclusion, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(8, THPSIM_IPI_SIGNAL);
	struct cpu_thread t[THREADS];
	pthread_t plain;

	spin_lock_init(&counter_lock, "counter_lock");
	/* CPUs and one thread that is not a CPU. */
	pthread_create(&plain, NULL, hammer_plain, NULL);
	for (int i = 0; i < THREADS; i++)
		cpu_thread_start(&t[i], m, hammer_body, NULL);
	for (int i = 0; i < THREADS; i++)
		cpu_thread_join(&t[i]);
	pthread_join(plain, NULL);
	check_eq(counter, (long)(THREADS + 1) * ITERS);
	check_eq(atomic_load(&overlap), 0);
	cr_assert(!spin_is_locked(&counter_lock));
	thpsim_machine_destroy(m);
}

Test(lock, spin_trylock_and_held_tracking, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(2, THPSIM_IPI_SIGNAL);
	spinlock_t a, b;

	spin_lock_init(&a, "a");
	spin_lock_init(&b, "b");
	check_ok(thpsim_cpu_register(m, NULL));
	cr_assert(spin_trylock(&a));
	cr_assert(!spin_trylock(&a), "trylock of a held lock must fail");
	cr_assert(lock_is_held(&a));
	cr_assert(!lock_is_held(&b));
	check_eq(a.owner, 0);

	thpsim__set_bug_handler(record_bug);
	lockdep_assert_held(&a);
	check_eq(atomic_load(&bugs), 0);
	lockdep_assert_held(&b);
	check_eq(atomic_load(&bugs), 1);
	check_contains(bug_msg, "&b not held");
	/* Unlocking what nobody holds is a bug, too. */
	spin_unlock(&b);
	check_eq(atomic_load(&bugs), 2);
	check_contains(bug_msg, "spin_unlock of unlocked b");
	thpsim__set_bug_handler(NULL);

	spin_unlock(&a);
	cr_assert(!lock_is_held(&a));
	check_eq(a.owner, -1);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}

/* Held by another CPU is not held by me. */
static spinlock_t shared_lock;
static _Atomic int holder_ready;

static void holder_body(struct cpu_thread *t)
{
	spin_lock(&shared_lock);
	atomic_store(&holder_ready, 1);
	while (!atomic_load(&t->stop))
		usleep(1000);
	spin_unlock(&shared_lock);
}

Test(lock, held_by_other_cpu_is_not_mine, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(4, THPSIM_IPI_SIGNAL);
	struct cpu_thread t;

	spin_lock_init(&shared_lock, "shared");
	check_ok(thpsim_cpu_register(m, NULL));
	cpu_thread_start(&t, m, holder_body, NULL);
	cr_assert(wait_until(atomic_load(&holder_ready), SEC(10)));
	cr_assert(spin_is_locked(&shared_lock));
	cr_assert(!lock_is_held(&shared_lock), "another CPU's lock reads as mine");
	check_eq(shared_lock.owner, t.id);
	cpu_thread_join(&t);
	check_ok(thpsim_cpu_unregister());
	/* A non-CPU thread can only ask "held by anyone". */
	cr_assert(!lock_is_held(&shared_lock));
	thpsim_machine_destroy(m);
}

/* ---- rw_semaphore -------------------------------------------------------- */

static struct rw_semaphore sem;
static _Atomic int writer_in;

static void reader_body(struct cpu_thread *t)
{
	down_read(&sem);
	atomic_fetch_add((_Atomic int *)t->arg, 1);
	while (!atomic_load(&t->stop))
		usleep(1000);
	up_read(&sem);
}

static void writer_body(struct cpu_thread *t)
{
	(void)t;
	down_write(&sem);
	atomic_store(&writer_in, 1);
	up_write(&sem);
}

Test(lock, rwsem_readers_share_writer_waits, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(8, THPSIM_IPI_SIGNAL);
	struct cpu_thread r1, r2, w;
	_Atomic int readers = 0;

	init_rwsem(&sem, "mmap_lock");
	cpu_thread_start(&r1, m, reader_body, (void *)&readers);
	cpu_thread_start(&r2, m, reader_body, (void *)&readers);
	/* Both readers inside at once. */
	cr_assert(wait_until(atomic_load(&readers) == 2, SEC(10)),
		  "readers inside: %d of 2", atomic_load(&readers));
	cpu_thread_start(&w, m, writer_body, NULL);
	usleep(100000);
	check_eq(atomic_load(&writer_in), 0);
	/* A waiting writer holds off new readers (no writer starvation). */
	cr_assert(!down_read_trylock(&sem));
	cpu_thread_join(&r1);
	usleep(50000);
	check_eq(atomic_load(&writer_in), 0);
	cpu_thread_join(&r2);
	cr_assert(wait_until(atomic_load(&writer_in), SEC(10)));
	cpu_thread_join(&w);
	cr_assert(!rwsem_is_locked(&sem));
	thpsim_machine_destroy(m);
}

Test(lock, rwsem_writer_excludes_and_tracking, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(2, THPSIM_IPI_SIGNAL);

	init_rwsem(&sem, "mmap_lock");
	check_ok(thpsim_cpu_register(m, NULL));
	down_write(&sem);
	cr_assert(rwsem_is_locked(&sem));
	cr_assert(!down_read_trylock(&sem));
	cr_assert(!down_write_trylock(&sem));
	cr_assert(lock_is_held(&sem));
	cr_assert(rwsem_is_write_held_by_me(&sem));
	thpsim__set_bug_handler(record_bug);
	lockdep_assert_held_write(&sem);
	check_eq(atomic_load(&bugs), 0);
	up_write(&sem);
	lockdep_assert_held_write(&sem);
	check_eq(atomic_load(&bugs), 1);
	check_contains(bug_msg, "not write-held");
	lockdep_assert_held(&sem);
	check_eq(atomic_load(&bugs), 2);

	cr_assert(down_read_trylock(&sem));
	cr_assert(down_read_trylock(&sem));
	cr_assert(lock_is_held(&sem));
	cr_assert(!rwsem_is_write_held_by_me(&sem));
	lockdep_assert_held_write(&sem);
	check_eq(atomic_load(&bugs), 3);
	up_read(&sem);
	up_read(&sem);
	cr_assert(!rwsem_is_locked(&sem));
	cr_assert(!lock_is_held(&sem));
	thpsim__set_bug_handler(NULL);
	check_err(thpsim_cpu_unregister(), 0);
	thpsim_machine_destroy(m);
}

Test(lock, unregister_with_lock_held_is_refused, .timeout = 60)
{
	thpsim_machine_t *m = test_machine(2, THPSIM_IPI_SIGNAL);
	spinlock_t l;

	spin_lock_init(&l, "l");
	check_ok(thpsim_cpu_register(m, NULL));
	spin_lock(&l);
	check_err(thpsim_cpu_unregister(), -THPSIM_EBUSY);
	check_contains(thpsim_errmsg(), "holds 1 lock");
	spin_unlock(&l);
	check_ok(thpsim_cpu_unregister());
	thpsim_machine_destroy(m);
}
