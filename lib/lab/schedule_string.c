/*
 * schedule_string.c - printable schedules (see thpsim/explore.h):
 *
 *	v1.S1.5d1e2f3a.G3gK58U12G5.8c9d0e1f
 *	version.scenario.config-hash.decisions.checksum
 *
 * Only [A-Za-z0-9.] is produced (and [A-Za-z0-9._-] tolerated by the
 * character check), so the string needs no quoting in a shell.  The
 * config hash is FNV-1a of the canonical configuration text (profile,
 * fix, geometry, knobs, idle CPUs when any); the checksum is FNV-1a of
 * everything before its dot, so truncation and single-character changes
 * are caught before the decisions are read.  Every refusal says what is
 * wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/explore.h"
#include "lab/scenario.h"
#include "machine/errors.h"

#define SCHED_VERSION "v1"
#define SCHED_FIELDS 5
#define SCHED_STEPS_MAX 100000u		/* steps in a schedule */

uint32_t schedule_fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t schedule_config_hash(const thpsim_run_config_t *rc)
{
	const thpsim_profile_t *p = thpsim_profile_find(rc->profile ? rc->profile : "arm64");
	char text[256];
	int n;

	n = snprintf(text, sizeof(text),
		     "profile=%s;fix=%s;geometry=%ux%u;page=%u;recheck=%d;radix=%d;batch=%d;ipi=%d%s",
		     p ? p->name : rc->profile, rc->fix ? rc->fix : "none",
		     rc->geometry.levels, rc->geometry.entries,
		     rc->geometry.page_shift, rc->knobs.pmd_recheck,
		     rc->knobs.radix_garbage_passes, rc->knobs.fail_table_batch,
		     (int)rc->knobs.ipi_placement,
		     rc->knobs.retract_recheck ? "" : ";retract=0");
	/* Only when set: the strings of runs without idle CPUs stay valid. */
	if (rc->idle_cpus && n > 0 && (size_t)n < sizeof(text))
		n += snprintf(text + n, sizeof(text) - (size_t)n, ";idle=%u",
			      rc->idle_cpus);
	return schedule_fnv1a(text, (size_t)n < sizeof(text) ? (size_t)n :
							 sizeof(text) - 1);
}

static int append(struct schedule *sc, size_t *cap, enum det_kind kind,
		  char name, uint32_t count)
{
	if (sc->nr_tok == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct sched_token *n = realloc(sc->tok, ncap * sizeof(*n));

		if (!n)
			return -THPSIM_ENOMEM;
		sc->tok = n;
		*cap = ncap;
	}
	sc->tok[sc->nr_tok++] = (struct sched_token){ kind, name, count };
	return 0;
}

int schedule_append(struct schedule *sc, size_t *cap, enum det_kind kind,
		    char name)
{
	return append(sc, cap, kind, name, 1);
}

char *schedule_encode(const thpsim_run_config_t *rc, const struct schedule *sc)
{
	size_t cap = 64 + sc->nr_tok * 8, off;
	char *buf = malloc(cap);
	const thpsim_scenario_info_t *info = thpsim_scenario_find(rc->scenario);

	if (!buf || !info) {
		free(buf);
		return NULL;
	}
	off = (size_t)snprintf(buf, cap, "%s.%s.%08x.", SCHED_VERSION, info->id,
			       schedule_config_hash(rc));
	for (size_t i = 0; i < sc->nr_tok; i++) {
		const struct sched_token *t = &sc->tok[i];

		if (t->kind == DET_PREEMPT)
			buf[off++] = (char)(t->name - 'A' + 'a');
		else if (t->count == 1)
			buf[off++] = t->name;
		else
			off += (size_t)snprintf(buf + off, cap - off, "%c%u",
						t->name, t->count);
	}
	snprintf(buf + off, cap - off, ".%08x", schedule_fnv1a(buf, off));
	return buf;
}

void schedule_fini(struct schedule *sc)
{
	free(sc->tok);
	sc->tok = NULL;
	sc->nr_tok = 0;
}

/* ---- decoding -------------------------------------------------------- */

static bool allowed_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

static int check_chars(const char *str, size_t *len)
{
	size_t n = strnlen(str, THPSIM_SCHEDULE_MAX + 1);

	if (n == 0)
		return thpsim__err(-THPSIM_EINVAL, "schedule: empty string");
	if (n > THPSIM_SCHEDULE_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "schedule: longer than %d characters (oversized or not a schedule)",
				   THPSIM_SCHEDULE_MAX);
	for (size_t i = 0; i < n; i++)
		if (!allowed_char(str[i]))
			return thpsim__err(-THPSIM_EINVAL,
					   "schedule: character 0x%02x at position %zu is not allowed (only letters, digits, '.', '-', '_')",
					   (unsigned char)str[i], i + 1);
	*len = n;
	return 0;
}

/* Split at '.': field starts and lengths. */
static int split_fields(const char *str, size_t len, const char **f,
			size_t *flen)
{
	int n = 0;
	const char *p = str, *end = str + len;

	while (n < SCHED_FIELDS) {
		const char *dot = memchr(p, '.', (size_t)(end - p));

		f[n] = p;
		flen[n++] = dot ? (size_t)(dot - p) : (size_t)(end - p);
		if (!dot)
			break;
		p = dot + 1;
	}
	if (n != SCHED_FIELDS || f[4] + flen[4] != end)
		return thpsim__err(-THPSIM_EINVAL,
				   "schedule: expected 5 fields 'version.scenario.config.decisions.checksum' separated by '.', got %s (truncated or mangled?)",
				   n < SCHED_FIELDS ? "fewer" : "more");
	return 0;
}

/* 8 lowercase hex digits. */
static int parse_hex32(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	if (n != 8)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static int check_header(const thpsim_run_config_t *rc, const char *str,
			const char **f, const size_t *flen, struct schedule *out)
{
	const thpsim_scenario_info_t *info = thpsim_scenario_find(rc->scenario);
	uint32_t sum, want;

	if (flen[0] != 2 || memcmp(f[0], SCHED_VERSION, 2))
		return thpsim__err(-THPSIM_EINVAL,
				   "schedule: format '%.*s' is not supported (this thpsim reads %s)",
				   (int)(flen[0] > 16 ? 16 : flen[0]), f[0], SCHED_VERSION);
	if (parse_hex32(f[4], flen[4], &sum))
		return thpsim__err(-THPSIM_EINVAL,
				   "schedule: the checksum field is not 8 hex digits (truncated?)");
	want = schedule_fnv1a(str, (size_t)(f[4] - 1 - str));
	if (sum != want)
		return thpsim__err(-THPSIM_EINVAL,
				   "schedule: checksum mismatch (the string says %08x, its content gives %08x): truncated or mangled",
				   sum, want);
	if (!info)
		return -THPSIM_EINVAL;
	if (flen[1] >= sizeof(out->scenario) || strlen(info->id) != flen[1] ||
	    memcmp(info->id, f[1], flen[1]))
		return thpsim__err(-THPSIM_EINVAL,
				   "schedule: recorded for scenario %.*s, not %s",
				   (int)(flen[1] > 16 ? 16 : flen[1]), f[1], info->id);
	memcpy(out->scenario, f[1], flen[1]);
	out->scenario[flen[1]] = 0;
	if (parse_hex32(f[2], flen[2], &out->config_hash))
		return thpsim__err(-THPSIM_EINVAL,
				   "schedule: the config field is not 8 hex digits");
	if (out->config_hash != schedule_config_hash(rc))
		return thpsim__err(-THPSIM_EINVAL,
				   "schedule: recorded under another configuration (hash %08x; this profile, fix, geometry, knobs and idle CPUs give %08x): pass the flags it was recorded with",
				   out->config_hash, schedule_config_hash(rc));
	return 0;
}

/* The thread letters of rc's scenario, plus R (the RCU thread). */
static void scenario_letters(const thpsim_run_config_t *rc, char *buf)
{
	const thpsim_scenario_def_t *sc = scenario_get(rc->scenario);
	int n = 0;

	for (int i = 0; sc && i < THPSIM_SCENARIO_THREADS_MAX && sc->threads[i].name; i++)
		buf[n++] = sc->threads[i].name;
	buf[n++] = 'R';
	buf[n] = 0;
}

static int parse_count(const char *p, const char *end, size_t *used,
		       uint32_t *count)
{
	uint64_t v = 0;
	size_t n = 0;

	while (p + n < end && p[n] >= '0' && p[n] <= '9') {
		v = v * 10 + (uint64_t)(p[n] - '0');
		if (++n > 6 || v > SCHED_COUNT_MAX)
			return -1;
	}
	*used = n;
	if (!n) {
		*count = 1;
		return 0;
	}
	if (p[0] == '0' || v < 2)
		return -1;
	*count = (uint32_t)v;
	return 0;
}

static int token_error(const char *what, size_t pos, const char *letters)
{
	return thpsim__err(-THPSIM_EINVAL,
			   "schedule: %s at position %zu of the decisions (this scenario's threads: %s; a capital runs, a small letter preempts the vCPU, a count 2..%u may follow a capital)",
			   what, pos + 1, letters, SCHED_COUNT_MAX);
}

static int parse_decisions(const thpsim_run_config_t *rc, const char *p,
			   size_t n, struct schedule *out)
{
	char letters[THPSIM_SCENARIO_THREADS_MAX + 2];
	size_t cap = 0, i = 0, used;
	uint64_t total = 0;

	scenario_letters(rc, letters);
	if (!n)
		return thpsim__err(-THPSIM_EINVAL, "schedule: no decisions");
	while (i < n) {
		char c = p[i], up = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
		uint32_t count;

		if (!(up >= 'A' && up <= 'Z') || !strchr(letters, up))
			return token_error("unexpected character", i, letters);
		if (parse_count(p + i + 1, p + n, &used, &count) ||
		    (c != up && used))
			return token_error("bad step count", i + 1, letters);
		total += count;
		if (total > SCHED_STEPS_MAX)
			return thpsim__err(-THPSIM_EINVAL,
					   "schedule: more than %u steps", SCHED_STEPS_MAX);
		if (append(out, &cap, c == up ? DET_RUN : DET_PREEMPT, up, count))
			return -THPSIM_ENOMEM;
		i += 1 + used;
	}
	return 0;
}

int schedule_decode(const thpsim_run_config_t *rc, const char *str,
		    struct schedule *out)
{
	const char *f[SCHED_FIELDS];
	size_t flen[SCHED_FIELDS], len = 0;
	int err;

	memset(out, 0, sizeof(*out));
	if (!rc)
		return thpsim__err(-THPSIM_EINVAL, "schedule: run configuration is NULL");
	if (!str)
		return thpsim__err(-THPSIM_EINVAL, "schedule: none given");
	err = check_chars(str, &len);
	if (!err)
		err = split_fields(str, len, f, flen);
	if (!err)
		err = check_header(rc, str, f, flen, out);
	if (!err)
		err = parse_decisions(rc, f[3], flen[3], out);
	if (err)
		schedule_fini(out);
	return err;
}

int thpsim_schedule_check(const thpsim_run_config_t *rc, const char *s)
{
	struct schedule sc;
	int err = schedule_decode(rc, s, &sc);

	schedule_fini(&sc);
	return err;
}
