/*
 * hello.c - a lab's first thpsim program: one simulated CPU, a small
 * address space (2 levels x 4 entries, 4 KiB pages), a fault, and a walk
 * printed level by level.  Build it against an installed thpsim:
 *
 *   cmake -S examples/hello -B /tmp/hello -DCMAKE_PREFIX_PATH=<prefix>
 *   cc hello.c $(pkg-config --cflags --libs --static thpsim)
 */
#include <stdio.h>
#include <string.h>

#include <thpsim/thpsim.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "hello: %s: %s (%s)\n", what, thpsim_strerror(err),
		thpsim_errmsg());
	return 1;
}

int main(void)
{
	thpsim_machine_t *m;
	thpsim_geometry_t g;
	thpsim_walk_t walk;
	thpsim_mm_t *mm;
	char buf[6] = { 0 };
	int err, cpu;

	if ((err = thpsim_machine_create(NULL, &m)))
		return fail("machine", err);
	if ((err = thpsim_cpu_register(m, &cpu)))
		return fail("cpu", err);
	if ((err = thpsim_geometry_parse("2x4", &g)) ||
	    (err = thpsim_mm_create(m, &g, &mm)))
		return fail("mm", err);
	if ((err = thpsim_mm_mmap_anon(mm, 0, 4 * 4096, NULL)) ||
	    (err = thpsim_mm_write(mm, 4096, "hello", 5)) ||
	    (err = thpsim_mm_read(mm, 4096, buf, 5)))
		return fail("access", err);
	if ((err = thpsim_mm_walk(mm, 4096, &walk)))
		return fail("walk", err);
	printf("read back \"%s\" at 0x1000 on CPU %d\n", buf, cpu);
	for (unsigned l = g.levels; l >= 1; l--)
		printf("  level %u: table frame %llu, entry %#llx\n", l,
		       (unsigned long long)walk.table_pfn[l],
		       (unsigned long long)walk.entry[l]);
	thpsim_mm_destroy(mm);
	thpsim_cpu_unregister();
	thpsim_machine_destroy(m);
	return strcmp(buf, "hello") != 0;
}
