/*
 * machine/phys_bytes.c - a frame's bytes, kept symbolic while every byte
 * of the frame is the same.
 *
 * Why: at the kernel's geometry (4x512) one collapse zeroes a 2 MiB huge
 * page, copies 512 small pages into it, compares each copy and poisons the
 * 512 pages it frees; a snapshot restore then copies all of them back.
 * That was 70% of a schedule's time, and none of it depends on the
 * schedule: the pages the scenarios fill are uniform (one byte per page),
 * and so are zeroed and poisoned frames.  So a frame's content is either
 * its bytes in the arena (uniform[pfn] == PHYS_BYTES_REAL) or "every byte
 * is uniform[pfn]" with the arena's bytes stale.  A copy of a uniform frame
 * is one store; a comparison of two is one compare; a write of anything
 * else, and every pointer handed out (phys_bytes_map), makes the bytes real
 * first.  So every byte the oracle compares is still what it would be with
 * real memcpy (a mutant that flips one byte makes its frame real and the
 * comparison scans it), and CORRUPTION stays detectable.
 *
 * Frames read as page-table entries are "exact": their bytes are real
 * always, since a lockless walker loads entries straight from the arena
 * (pgtable.h).  A frame becomes exact when it is allocated as a table or
 * an mmu_gather batch, or when pt_entry() turns its pfn into an entry
 * pointer (a stale or garbage pmd pointing at a frame that is not a table
 * any more) - and stays exact for the machine's life (a snapshot restores
 * the set), so a walker holding a stale pointer into it reads the real
 * poison or zeroes a freed and reused frame holds.  THPSIM_NO_FASTPATH=1
 * makes every frame exact (uniform == NULL): tests compare both ways.
 *
 * Concurrency: uniform[] is read and written with atomics; a frame turns
 * real by filling its bytes and then storing PHYS_BYTES_REAL (release),
 * so a reader that sees REAL (acquire) sees the filled bytes.  Turning a
 * frame real is done by the frame's owner (under the locks the caller of
 * phys_bytes_write / phys_bytes_map holds) or under p->lock.
 */
#include <stdlib.h>
#include <string.h>

#include "machine/phys.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PHYS_BYTES_TSAN 1
#endif
#endif
#if !defined(PHYS_BYTES_TSAN) && defined(__SANITIZE_THREAD__)
#define PHYS_BYTES_TSAN 1
#endif
#ifndef PHYS_BYTES_TSAN
#define PHYS_BYTES_TSAN 0
#endif

static size_t bitmap_words(size_t nr_frames)
{
	return (nr_frames + 63) / 64;
}

int phys_bytes_init(struct phys *p, bool symbolic, int initial)
{
	free(p->uniform);
	free(p->exact);
	p->uniform = NULL;
	p->exact = calloc(bitmap_words(p->nr_frames), sizeof(uint64_t));
	if (!p->exact)
		return -1;
	if (!symbolic)
		return 0;
	p->uniform = malloc(p->nr_frames * sizeof(*p->uniform));
	if (!p->uniform)
		return -1;
	for (size_t pfn = 0; pfn < p->nr_frames; pfn++)
		p->uniform[pfn] = (int16_t)initial;
	return 0;
}

void phys_bytes_fini(struct phys *p)
{
	free(p->uniform);
	free(p->exact);
	p->uniform = NULL;
	p->exact = NULL;
}

/*
 * Fill real bytes with one byte value, one relaxed atomic store per word
 * under ThreadSanitizer: a lockless walker may be reading entries of this
 * very frame (the use-after-free the simulator exists to catch), and its
 * atomic loads must not race with plain stores.  Without TSan a relaxed
 * store is a plain one: memset's speed.
 */
void phys_bytes_fill_real(void *frame, size_t bytes, unsigned char byte)
{
	uint64_t *w = frame;
	uint64_t pattern = byte * UINT64_C(0x0101010101010101);

	if (!PHYS_BYTES_TSAN) {
		memset(frame, byte, bytes);
		return;
	}
	for (size_t i = 0; i < bytes / sizeof(*w); i++)
		__atomic_store_n(&w[i], pattern, __ATOMIC_RELAXED);
}

static int uniform_get(const struct phys *p, unsigned long pfn)
{
	return p->uniform ? __atomic_load_n(&p->uniform[pfn], __ATOMIC_ACQUIRE)
			  : PHYS_BYTES_REAL;
}

static void uniform_set(struct phys *p, unsigned long pfn, int v)
{
	__atomic_store_n(&p->uniform[pfn], (int16_t)v, __ATOMIC_RELEASE);
}

/* Make frame pfn's bytes real (no-op when they are). */
static void make_real(struct phys *p, unsigned long pfn)
{
	int u = uniform_get(p, pfn);

	if (u == PHYS_BYTES_REAL)
		return;
	phys_bytes_fill_real(pfn_to_virt(p, pfn), p->page_size,
			     (unsigned char)u);
	uniform_set(p, pfn, PHYS_BYTES_REAL);
}

void phys_bytes_set(struct phys *p, unsigned long pfn, size_t n,
		    unsigned char byte)
{
	for (size_t i = 0; i < n; i++) {
		phys_mark_dirty(p, pfn + i);
		if (phys_bytes_exact(p, pfn + i)) {
			phys_bytes_fill_real(pfn_to_virt(p, pfn + i),
					     p->page_size, byte);
			if (p->uniform)
				uniform_set(p, pfn + i, PHYS_BYTES_REAL);
		} else {
			uniform_set(p, pfn + i, byte);
		}
	}
}

void phys_bytes_set_exact(struct phys *p, unsigned long pfn, size_t n,
			  bool keep)
{
	for (size_t i = 0; i < n; i++, pfn++) {
		if (keep)
			make_real(p, pfn);
		__atomic_fetch_or(&p->exact[pfn / 64], UINT64_C(1) << (pfn % 64),
				  __ATOMIC_RELEASE);
	}
}

void phys_bytes_expose_slow(struct phys *p, unsigned long pfn)
{
	pthread_mutex_lock(&p->lock);
	if (!phys_bytes_exact(p, pfn)) {
		phys_mark_dirty(p, pfn);
		phys_bytes_set_exact(p, pfn, 1, true);
	}
	pthread_mutex_unlock(&p->lock);
}

bool phys_bytes_uniform(const void *buf, size_t n)
{
	const unsigned char *b = buf;

	return n == 0 || (b[0] == b[n - 1] && !memcmp(b, b + 1, n - 1));
}

void phys_bytes_read(struct phys *p, unsigned long pfn, size_t off,
		     void *buf, size_t n)
{
	int u = uniform_get(p, pfn);

	if (u != PHYS_BYTES_REAL)
		memset(buf, u, n);
	else
		memcpy(buf, (unsigned char *)pfn_to_virt(p, pfn) + off, n);
}

void phys_bytes_write(struct phys *p, unsigned long pfn, size_t off,
		      const void *buf, size_t n)
{
	phys_mark_dirty(p, pfn);
	if (off == 0 && n == p->page_size && !phys_bytes_exact(p, pfn) &&
	    phys_bytes_uniform(buf, n)) {
		uniform_set(p, pfn, *(const unsigned char *)buf);
		return;
	}
	make_real(p, pfn);
	memcpy((unsigned char *)pfn_to_virt(p, pfn) + off, buf, n);
}

void *phys_bytes_map(struct phys *p, unsigned long pfn)
{
	phys_mark_dirty(p, pfn);
	make_real(p, pfn);
	return pfn_to_virt(p, pfn);
}

void phys_bytes_copy(struct phys *p, unsigned long dst, unsigned long src)
{
	int u = uniform_get(p, src);
	void *d = pfn_to_virt(p, dst);

	phys_mark_dirty(p, dst);
	if (u != PHYS_BYTES_REAL && !phys_bytes_exact(p, dst)) {
		uniform_set(p, dst, u);
		return;
	}
	if (u != PHYS_BYTES_REAL)
		phys_bytes_fill_real(d, p->page_size, (unsigned char)u);
	else
		memcpy(d, pfn_to_virt(p, src), p->page_size);
	if (p->uniform)
		uniform_set(p, dst, PHYS_BYTES_REAL);
}

/* Every byte of the real frame pfn equals byte. */
static bool real_all(struct phys *p, unsigned long pfn, unsigned char byte)
{
	const unsigned char *b = pfn_to_virt(p, pfn);

	return b[0] == byte && phys_bytes_uniform(b, p->page_size);
}

bool phys_bytes_equal(struct phys *p, unsigned long a, unsigned long b)
{
	int ua = uniform_get(p, a), ub = uniform_get(p, b);

	if (ua != PHYS_BYTES_REAL && ub != PHYS_BYTES_REAL)
		return ua == ub;
	if (ua != PHYS_BYTES_REAL)
		return real_all(p, b, (unsigned char)ua);
	if (ub != PHYS_BYTES_REAL)
		return real_all(p, a, (unsigned char)ub);
	return !memcmp(pfn_to_virt(p, a), pfn_to_virt(p, b), p->page_size);
}
