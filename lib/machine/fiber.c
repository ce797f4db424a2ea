/*
 * fiber.c - cheap user-mode context switches for deterministic mode.
 *
 * Creation: makecontext() on an mmap'd stack with a guard page below it,
 * entered the first time with swapcontext() (one system call per fiber,
 * not per switch).  The trampoline immediately saves a jmp_buf, so every
 * later switch into the fiber is a _longjmp.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "machine/errors.h"
#include "machine/fiber.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define THPSIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define THPSIM_ASAN 1
#endif

#ifdef THPSIM_ASAN
#include <sanitizer/common_interface_defs.h>
#define asan_start(fake, bottom, size)                                       \
	__sanitizer_start_switch_fiber(fake, bottom, size)
#define asan_finish(fake, from)                                              \
	__sanitizer_finish_switch_fiber(fake, &(from)->asan_bottom,          \
					&(from)->asan_size)
#else
#define asan_start(fake, bottom, size) ((void)(fake), (void)(bottom), (void)(size))
#define asan_finish(fake, from) ((void)(fake), (void)(from))
#endif

/*
 * x86-64 without a sanitizer: a switch is six pushes, a stack-pointer swap
 * and six pops (thpsim__fiber_swap below), and a fiber starts on a stack
 * prepared so that its first switch "returns" into fiber_main.  glibc's
 * _setjmp/_longjmp cost more than that (longjmp unwinds cleanup handlers),
 * and makecontext's first entry makes system calls.  Other hosts and the
 * sanitizer builds keep the jmp_buf path below.  Callee-saved registers
 * of the SysV ABI: rbx, rbp, r12-r15 (the FP control words are left
 * alone: nothing here changes them).
 */
#if defined(__x86_64__) && !defined(THPSIM_ASAN) && \
	!defined(__SANITIZE_THREAD__) && !defined(__SANITIZE_ADDRESS__)
#if defined(__has_feature)
#if !__has_feature(thread_sanitizer)
#define FIBER_ASM 1
#endif
#else
#define FIBER_ASM 1
#endif
#endif

#ifdef FIBER_ASM
/* Save the callee-saved registers on this stack, *save = sp; then sp = to
 * and pop the registers saved there. */
void thpsim__fiber_swap(void **save, void *to);
__asm__(".text\n"
	".p2align 4\n"
	".type thpsim__fiber_swap, @function\n"
	"thpsim__fiber_swap:\n"
	"\tpushq %rbp\n\tpushq %rbx\n\tpushq %r12\n"
	"\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
	"\tmovq %rsp, (%rdi)\n"
	"\tmovq %rsi, %rsp\n"
	"\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n"
	"\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n"
	"\tret\n"
	".size thpsim__fiber_swap, .-thpsim__fiber_swap\n");

static _Thread_local struct fiber *asm_from;

static void fiber_main(void)
{
	struct fiber *self = asm_from->next;

	self->fn(self->arg);
	self->done = 1;
	/* A finished fiber never runs again; whoever resumes next owns it. */
	for (;;)
		thpsim__fiber_swap(&self->sp, asm_from->sp);
}

/* A stack whose first switch pops six zero registers and returns into
 * fiber_main with the stack aligned as after a call. */
static void fiber_prepare(struct fiber *f)
{
	uintptr_t top = ((uintptr_t)f->stack + f->stack_size) & ~(uintptr_t)15;
	void **sp = (void **)top;

	*--sp = NULL;			/* fiber_main's return address */
	*--sp = (void *)fiber_main;	/* where the first swap returns */
	for (int i = 0; i < 6; i++)
		*--sp = NULL;		/* rbp rbx r12 r13 r14 r15 */
	f->sp = sp;
}
#endif

bool fiber_stacks_known(void)
{
#ifdef FIBER_ASM
	return true;
#else
	return false;
#endif
}

bool fiber_live_stack(const struct fiber *f, void **lo, size_t *n)
{
#ifdef FIBER_ASM
	uintptr_t top = (uintptr_t)f->stack + f->stack_size;

	if (!f->stack || !f->started || f->done || !f->sp)
		return false;
	*lo = f->sp;
	*n = top - (uintptr_t)f->sp;
	return true;
#else
	(void)f;
	(void)lo;
	(void)n;
	return false;
#endif
}

/* The fiber being entered for the first time and where it came from. */
static _Thread_local struct fiber *entering, *entered_from;
static _Thread_local ucontext_t entry_return;

static void fiber_trampoline(void)
{
	struct fiber *self = entering, *from = entered_from;

	asan_finish(NULL, from);
	/* First entry: park a jmp_buf and go back to the creator's switch. */
	if (!_setjmp(self->jb)) {
		asan_start(&self->asan_fake_stack, from->asan_bottom,
			   from->asan_size);
		_longjmp(from->jb, 1);
	}
	asan_finish(self->asan_fake_stack, entered_from);
	self->fn(self->arg);
	self->done = 1;
	/* A finished fiber never runs again; whoever resumes next owns it. */
	for (;;) {
		struct fiber *back = entered_from;

		asan_start(NULL, back->asan_bottom, back->asan_size);
		_longjmp(back->jb, 1);
	}
}

void fiber_init_main(struct fiber *f)
{
	*f = (struct fiber){ 0 };
	f->started = 1;
}

/*
 * Stacks of ended fibers are kept (per OS thread, a few) and handed to the
 * next fiber of the same size: exploration creates six fibers per run and
 * thousands of runs per second, and mmap + mprotect + munmap + the first
 * touches cost more than the run.  Not under a sanitizer, whose shadow of
 * an old stack would outlive its fiber.
 */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define THPSIM_FIBER_TSAN 1
#endif
#endif
#if defined(THPSIM_ASAN) || defined(THPSIM_FIBER_TSAN) || \
	defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define STACK_CACHE 0
#else
#define STACK_CACHE 8
#endif

#if STACK_CACHE
static _Thread_local struct {
	void *stack[STACK_CACHE];
	size_t size[STACK_CACHE];
	int nr;
} stack_cache;
#endif

static void *stack_cache_get(size_t size)
{
#if STACK_CACHE
	for (int i = stack_cache.nr - 1; i >= 0; i--)
		if (stack_cache.size[i] == size) {
			void *s = stack_cache.stack[i];

			stack_cache.nr--;
			stack_cache.stack[i] = stack_cache.stack[stack_cache.nr];
			stack_cache.size[i] = stack_cache.size[stack_cache.nr];
			return s;
		}
#endif
	(void)size;
	return NULL;
}

static bool stack_cache_put(void *stack, size_t size)
{
#if STACK_CACHE
	if (stack_cache.nr < STACK_CACHE) {
		stack_cache.stack[stack_cache.nr] = stack;
		stack_cache.size[stack_cache.nr++] = size;
		return true;
	}
#endif
	(void)stack;
	(void)size;
	return false;
}

int fiber_create(struct fiber *f, size_t stack_size, void (*fn)(void *),
		 void *arg)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t size = (stack_size + (size_t)pg - 1) & ~((size_t)pg - 1);
	char *mem;

	*f = (struct fiber){ .fn = fn, .arg = arg };
	f->stack = stack_cache_get(size);
	if (f->stack) {
		f->stack_size = size;
		f->asan_bottom = f->stack;
		f->asan_size = size;
#ifdef FIBER_ASM
		fiber_prepare(f);
#endif
		return 0;
	}
	mem = mmap(NULL, size + (size_t)pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (mem == MAP_FAILED)
		return thpsim__err(-THPSIM_ENOMEM, "fiber: cannot map a %zu-byte stack", size);
	mprotect(mem, (size_t)pg, PROT_NONE);	/* guard page */
	f->stack = mem + pg;
	f->stack_size = size;
	f->asan_bottom = f->stack;
	f->asan_size = size;
#ifdef FIBER_ASM
	fiber_prepare(f);
#endif
	return 0;
}

void fiber_destroy(struct fiber *f)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (f->stack && !stack_cache_put(f->stack, f->stack_size))
		munmap((char *)f->stack - pg, f->stack_size + (size_t)pg);
	f->stack = NULL;
}

/* Enter a fiber for the first time: swapcontext once, then it is a jmp_buf. */
static void fiber_start(struct fiber *from, struct fiber *to)
{
	ucontext_t uc;

	getcontext(&uc);
	uc.uc_stack.ss_sp = to->stack;
	uc.uc_stack.ss_size = to->stack_size;
	uc.uc_link = NULL;
	makecontext(&uc, fiber_trampoline, 0);
	entering = to;
	entered_from = from;
	to->started = 1;
	if (!_setjmp(from->jb)) {
		asan_start(&from->asan_fake_stack, to->asan_bottom,
			   to->asan_size);
		swapcontext(&entry_return, &uc);
	}
	asan_finish(from->asan_fake_stack, to);
}

void fiber_switch(struct fiber *from, struct fiber *to)
{
#ifdef FIBER_ASM
	to->started = 1;
	from->next = to;
	asm_from = from;
	thpsim__fiber_swap(&from->sp, to->sp);
	return;
#endif
	if (!to->started)
		fiber_start(from, to);	/* returns once the fiber parked */
	entered_from = from;
	if (!_setjmp(from->jb)) {
		asan_start(&from->asan_fake_stack, to->asan_bottom,
			   to->asan_size);
		_longjmp(to->jb, 1);
	}
	asan_finish(from->asan_fake_stack, to);
}
