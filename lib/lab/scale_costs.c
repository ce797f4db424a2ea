/*
 * scale_costs.c - cost tables for the virtual-time engine: the built-in
 * tables, the text format's parser and writer (thpsim/scale.h).
 *
 * Sources, per number (docs/SCALE.md repeats them):
 *  [N6]  /work/shared/KERNEL-NOTES.md section 6, third-party rules of
 *        thumb: "about 1-3 us per IPI round trip", "~1 us base plus ~200
 *        ns per receiver" for a one-page shootdown.
 *  [I12] issue 12 / KERNEL-NOTES section 0 and 5.3: synchronize_rcu()
 *        averaged 22.9 ms on a loaded 64-core machine; one collapse keeps
 *        a process out for 95-523 us.
 *  [B]   thpsim-bench on the 2-core development host (bench_ipi.c B2,
 *        bench_floor.c, bench_walk.c), 2026-12-02: see docs/SCALE.md.
 *  [E]   an estimate (order of magnitude of a cache hit, an atomic, a
 *        minor fault on a current x86-64 or Neoverse core); no source.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "thpsim/errors.h"
#include "thpsim/scale.h"
#include "machine/errors.h"

static const char *const cost_names[] = {
#define THPSIM__COST_NAME(name, doc) #name,
	THPSIM_COSTS(THPSIM__COST_NAME)
#undef THPSIM__COST_NAME
};

static const char *const cost_docs[] = {
#define THPSIM__COST_DOC(name, doc) doc,
	THPSIM_COSTS(THPSIM__COST_DOC)
#undef THPSIM__COST_DOC
};

const char *thpsim_cost_name(unsigned i)
{
	return i < THPSIM_COST__NR ? cost_names[i] : NULL;
}

const char *thpsim_cost_doc(unsigned i)
{
	return i < THPSIM_COST__NR ? cost_docs[i] : NULL;
}

#define C(n) [THPSIM_COST_##n]

static const thpsim_cost_table_t builtin[] = {
	{ "kernel-x86-64", {
		C(entry_load) = 1,	/* [E] L1 hit */
		C(entry_store) = 1,	/* [E] */
		C(walk_level) = 3,	/* [E] a dependent load per level */
		C(refcount_atomic) = 10, /* [E] uncontended lock-prefixed op */
		C(lock) = 20,		/* [E] */
		C(unlock) = 10,		/* [E] */
		C(irq_toggle) = 2,	/* [E] pushf/cli, popf */
		C(rcu_read) = 1,	/* [E] preempt count */
		C(fault) = 1000,	/* [E] minor fault entry and exit */
		C(zap) = 200,		/* [E] */
		C(alloc) = 200,		/* [E] page allocator fast path */
		C(free) = 100,		/* [E] */
		C(ipi_send) = 200,	/* [N6] ~200 ns per receiver */
		C(ipi_delivery) = 1000,	/* [N6] ~1 us base */
		C(ipi_handler) = 500,	/* [N6] round trip 1-3 us in all */
		C(ipi_ack) = 300,	/* [N6] (the rest of the round trip) */
		C(tlbi_broadcast) = 0,	/* x86 without INVLPGB: no broadcast */
		C(flush_page) = 100,	/* [E] invlpg */
		C(flush_full) = 1000,	/* [E] CR3 reload and refill */
		C(copy_per_kib) = 100,	/* [I12] 2 MiB in ~205 us: inside the
					   published 95-523 us per collapse */
		C(gp_detect) = 22900000, /* [I12] synchronize_rcu() 22.9 ms,
					    loaded 64-core machine */
		C(rcu_callback) = 50,	/* [E] */
	} },
	{ "kernel-arm64", {
		C(entry_load) = 1,	/* [E] */
		C(entry_store) = 1,	/* [E] */
		C(walk_level) = 3,	/* [E] */
		C(refcount_atomic) = 10, /* [E] LSE atomic */
		C(lock) = 20,		/* [E] */
		C(unlock) = 10,		/* [E] */
		C(irq_toggle) = 2,	/* [E] DAIF write */
		C(rcu_read) = 1,	/* [E] */
		C(fault) = 1000,	/* [E] */
		C(zap) = 200,		/* [E] */
		C(alloc) = 200,		/* [E] */
		C(free) = 100,		/* [E] */
		C(ipi_send) = 200,	/* [N6] as x86: GIC SGI per target */
		C(ipi_delivery) = 1500,	/* [N6] upper half of 1-3 us */
		C(ipi_handler) = 700,	/* [N6] */
		C(ipi_ack) = 300,	/* [N6] */
		C(tlbi_broadcast) = 1000, /* [E] TLBI VAE1IS + DSB ISH */
		C(flush_page) = 100,	/* [E] (broadcast per page) */
		C(flush_full) = 1000,	/* [E] */
		C(copy_per_kib) = 100,	/* [I12] as x86 */
		C(gp_detect) = 22900000, /* [I12] as x86 (no arm64 figure) */
		C(rcu_callback) = 50,	/* [E] */
	} },
	/*
	 * [B]: the development host (2 cores, a VM), 2026-12-02, from
	 * `thpsim scale --calibrate` (IPI round trip p50 29.8 us; thpsim-bench
	 * floor/kill/targets:1 p50 28.4 us, ipi/signal/targets:1 29.4 us),
	 * memcpy, atomics; walk costs from thpsim-bench floor/chase (~5 ns CPU
	 * per dependent load) and walk/softmask (9.9 ns per page).  [E] where
	 * the host shows nothing (the model's flush is a fence, its grace
	 * period has no tick).
	 */
	{ "measured", {
		C(entry_load) = 5,	/* [B] floor/chase */
		C(entry_store) = 5,	/* [B] as a load */
		C(walk_level) = 3,	/* [B] walk/softmask, ~3 levels a page */
		C(refcount_atomic) = 2.2, /* [B] calibrate: atomic_fetch_add */
		C(lock) = 6.5,		/* [B] calibrate: mutex lock+unlock / 2 */
		C(unlock) = 6.5,	/* [B] */
		C(irq_toggle) = 2,	/* [B] irq/softmask: a counter */
		C(rcu_read) = 2,	/* [E] */
		C(fault) = 500,		/* [E] */
		C(zap) = 200,		/* [E] */
		C(alloc) = 100,		/* [E] */
		C(free) = 100,		/* [E] */
		C(ipi_send) = 1490,	/* [B] 5% of the 29.8 us round trip */
		C(ipi_delivery) = 22900, /* [B] 77%: signal delivery */
		C(ipi_handler) = 2680,	/* [B] 9%: the handler */
		C(ipi_ack) = 2680,	/* [B] 9%: the futex wake of the sender */
		C(tlbi_broadcast) = 0,	/* no broadcast on the host */
		C(flush_page) = 0,	/* the model's flush is a fence */
		C(flush_full) = 0,
		C(copy_per_kib) = 22.5,	/* [B] calibrate: memcpy 2 MiB */
		C(gp_detect) = 20000,	/* [E] the deterministic RCU thread */
		C(rcu_callback) = 100,	/* [E] */
	} },
};

#define NR_BUILTIN (sizeof(builtin) / sizeof(builtin[0]))

const char *thpsim_cost_table_builtin_name(unsigned i)
{
	static const unsigned order[] = { 2, 0, 1 };	/* measured first */

	return i < NR_BUILTIN ? builtin[order[i]].name : NULL;
}

int thpsim_cost_table_builtin(const char *name, thpsim_cost_table_t *out)
{
	for (unsigned i = 0; name && i < NR_BUILTIN; i++)
		if (!strcmp(builtin[i].name, name)) {
			*out = builtin[i];
			return 0;
		}
	return thpsim__err(-THPSIM_EINVAL,
			   "cost table '%s' unknown (allowed: measured, kernel-x86-64, kernel-arm64, or a file)",
			   name ? name : "(null)");
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int cost_index(const char *name)
{
	for (unsigned i = 0; i < THPSIM_COST__NR; i++)
		if (!strcmp(cost_names[i], name))
			return (int)i;
	return -1;
}

/* One `name = value` line; 0, 1 (blank / comment) or an error. */
static int parse_line(char *line, const char *origin, unsigned lineno,
		      thpsim_cost_table_t *t, bool *seen_setting)
{
	char *hash = strchr(line, '#'), *eq, *name, *val, *end;
	double v;
	int i;

	if (hash)
		*hash = '\0';
	line = trim(line);
	if (!*line)
		return 1;
	eq = strchr(line, '=');
	if (!eq)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s:%u: '%s' is not a setting (expected name = value_ns)",
				   origin, lineno, line);
	*eq = '\0';
	name = trim(line);
	val = trim(eq + 1);
	if (!strcmp(name, "base")) {
		char keep[sizeof(t->name)];

		if (*seen_setting)
			return thpsim__err(-THPSIM_EINVAL,
					   "%s:%u: 'base' must come before the costs it is overridden by",
					   origin, lineno);
		memcpy(keep, t->name, sizeof(keep));
		if (thpsim_cost_table_builtin(val, t))
			return thpsim__err(-THPSIM_EINVAL,
					   "%s:%u: base '%s' unknown (allowed: measured, kernel-x86-64, kernel-arm64)",
					   origin, lineno, val);
		memcpy(t->name, keep, sizeof(keep));
		*seen_setting = true;
		return 0;
	}
	i = cost_index(name);
	if (i < 0)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s:%u: unknown cost '%s' (allowed: the names thpsim scale --print-costs lists)",
				   origin, lineno, name);
	errno = 0;
	v = strtod(val, &end);
	if (!*val || *end || errno || !isfinite(v) || v < 0 || v > 1e12)
		return thpsim__err(-THPSIM_EINVAL,
				   "%s:%u: '%s' is not a number of nanoseconds for %s (allowed: 0 to 1e12)",
				   origin, lineno, val, name);
	t->ns[i] = v;
	*seen_setting = true;
	return 0;
}

int thpsim_cost_table_parse(const char *text, const char *origin,
			    thpsim_cost_table_t *out)
{
	thpsim_cost_table_t t;
	char *copy, *line, *next;
	unsigned lineno = 0;
	bool seen = false;
	int err = 0;

	if (!text || !out)
		return thpsim__err(-THPSIM_EINVAL, "cost table: NULL argument");
	if (!origin)
		origin = "costs";
	thpsim_cost_table_builtin("kernel-x86-64", &t);
	snprintf(t.name, sizeof(t.name), "%s", origin);
	copy = strdup(text);
	if (!copy)
		return thpsim__err(-THPSIM_ENOMEM, "cost table: out of memory");
	for (line = copy; line && !err; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		err = parse_line(line, origin, lineno, &t, &seen);
		if (err > 0)
			err = 0;
	}
	free(copy);
	if (!err)
		*out = t;
	return err;
}

int thpsim_cost_table_load(const char *spec, thpsim_cost_table_t *out)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	int err;

	if (!spec || !out)
		return thpsim__err(-THPSIM_EINVAL, "cost table: NULL argument");
	for (unsigned i = 0; i < NR_BUILTIN; i++)
		if (!strcmp(builtin[i].name, spec))
			return thpsim_cost_table_builtin(spec, out);
	f = fopen(spec, "r");
	if (!f)
		return thpsim__err(-THPSIM_EINVAL,
				   "costs '%s': not a built-in table (measured, kernel-x86-64, kernel-arm64) and cannot be read: %s",
				   spec, strerror(errno));
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return thpsim__err(-THPSIM_ENOMEM, "costs: out of memory");
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0 && len < (1u << 20));
	/* A directory opens for reading and then fails to read (EISDIR). */
	if (ferror(f)) {
		err = errno;
		free(buf);
		fclose(f);
		return thpsim__err(-THPSIM_EINVAL, "costs '%s': cannot be read: %s",
				   spec, strerror(err));
	}
	fclose(f);
	buf[len] = '\0';
	if (memchr(buf, '\0', len))
		err = thpsim__err(-THPSIM_EINVAL, "costs '%s': a binary file, not the text format", spec);
	else
		err = thpsim_cost_table_parse(buf, spec, out);
	free(buf);
	return err;
}

int thpsim_cost_table_write(const thpsim_cost_table_t *t, FILE *f)
{
	if (!t || !f)
		return thpsim__err(-THPSIM_EINVAL, "cost table: NULL argument");
	fprintf(f, "# thpsim cost table '%s' (ns; see docs/SCALE.md)\n", t->name);
	for (unsigned i = 0; i < THPSIM_COST__NR; i++)
		fprintf(f, "%-16s = %.10g\t# %s\n", cost_names[i], t->ns[i],
			cost_docs[i]);
	return ferror(f) ? thpsim__err(-THPSIM_EINVAL, "cost table: write failed") : 0;
}
