/*
 * machine/fiber.h - user-mode threads on one OS thread, for the
 * deterministic scheduler.
 *
 * A fiber is created once with makecontext() and entered once through
 * swapcontext(); after that every switch is _setjmp/_longjmp, which saves
 * no signal mask and so makes no system call (glibc swapcontext makes an
 * rt_sigprocmask call on every switch).  Switches are annotated for
 * AddressSanitizer so it follows the stack change.
 */
#ifndef THPSIM_MACHINE_FIBER_H
#define THPSIM_MACHINE_FIBER_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <ucontext.h>

struct fiber {
	jmp_buf jb;
	void *stack;		/* NULL for the main (scheduler) fiber */
	size_t stack_size;
	void (*fn)(void *arg);
	void *arg;
	int started;
	int done;
	void *asan_fake_stack;
	const void *asan_bottom;	/* stack bounds ASan is told when */
	size_t asan_size;		/* switching to this fiber */
	void *sp;		/* x86-64 fast switch: the saved stack */
	struct fiber *next;	/* ... and whom it switched to */
};

/* The calling OS thread's own context becomes f (the scheduler side). */
void fiber_init_main(struct fiber *f);
/* A new fiber that will run fn(arg) on its own stack; 0 or -THPSIM_ENOMEM. */
int fiber_create(struct fiber *f, size_t stack_size, void (*fn)(void *),
		 void *arg);
void fiber_destroy(struct fiber *f);
/*
 * Save the current fiber into from and run to.  When fn of a fiber
 * returns, the fiber is marked done and control goes back to the fiber
 * that last switched into it.
 */
void fiber_switch(struct fiber *from, struct fiber *to);
/*
 * The used part of a parked fiber's stack, [*lo, *lo + *n): all a
 * snapshot must save to resume it later (machine/snapshot.h).  false
 * where the switch is not the x86-64 one (jmp_buf: no known stack
 * pointer) or the fiber is not parked.
 */
bool fiber_live_stack(const struct fiber *f, void **lo, size_t *n);
/* Does fiber_live_stack() work on this build? */
bool fiber_stacks_known(void);

#endif
