/*
 * lab/oracle_text.c - outcome classes by name, findings and verdicts in
 * plain words.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "lab/oracle_internal.h"

static const struct {
	const char *name;
	bool violation;
	const char *doc;
} outcomes[THPSIM_OUTCOME__NR] = {
#define X(name, str, viol, doc) [THPSIM_OUTCOME_##name] = { str, viol, doc },
	THPSIM_OUTCOMES(X)
#undef X
};

const char *thpsim_outcome_name(thpsim_outcome_t o)
{
	return (unsigned)o < THPSIM_OUTCOME__NR ? outcomes[o].name : "?";
}

const char *thpsim_outcome_doc(thpsim_outcome_t o)
{
	return (unsigned)o < THPSIM_OUTCOME__NR ? outcomes[o].doc : "";
}

bool thpsim_outcome_is_violation(thpsim_outcome_t o)
{
	return (unsigned)o < THPSIM_OUTCOME__NR && outcomes[o].violation;
}

/* Equal ignoring case, with '_' and '-' the same. */
static bool name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '_' ? '-' : (char)toupper((unsigned char)*a);
		char y = *b == '_' ? '-' : (char)toupper((unsigned char)*b);

		if (x != y)
			return false;
	}
	return *a == *b;
}

int thpsim_outcome_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < THPSIM_OUTCOME__NR; i++)
		if (name_eq(name, outcomes[i].name))
			return i;
	return -1;
}

static void finding_print(const thpsim_finding_t *f, uint64_t count,
			  FILE *out, int *total)
{
	int n = fprintf(out, "  %-10s x%" PRIu64 ", first at step %" PRIu64
			" (event %" PRIu64 ", CPU %d): %s\n",
			thpsim_outcome_name(f->outcome), count, f->step,
			f->seq, f->cpu, f->text);

	if (n < 0 || *total < 0)
		*total = -1;
	else
		*total += n;
}

int thpsim_verdict_print(const thpsim_verdict_t *v, FILE *out)
{
	int total;

	if (!v || !out)
		return -1;
	total = fprintf(out, "outcome: %s (%s)\n",
			thpsim_outcome_name(v->outcome),
			thpsim_outcome_is_violation(v->outcome) ?
			"violation" : "no violation");
	for (int c = 0; c < THPSIM_OUTCOME_SAFE && total >= 0; c++)
		if (v->found[c])
			finding_print(&v->first[c], v->counts[c], out, &total);
	return total;
}

/* ---- helpers for the oracle's findings ----------------------------------- */

void oracle_text(thpsim_finding_t *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

const char *oracle_level_name(int level)
{
	static const char *const names[] = { "entry", "pte", "pmd", "pud",
					     "p4d", "pgd" };

	return level >= 0 && level <= 5 ? names[level] : "entry";
}

void oracle_text_mapping(struct oracle *o, uint64_t addr, char *buf,
			 size_t len)
{
	uint64_t pfn = oracle_resolve(o, addr);

	if (pfn == NO_PFN)
		snprintf(buf, len, "nothing");
	else
		snprintf(buf, len, "page %" PRIu64, pfn);
}

void oracle_text_when(struct evref at, char *buf, size_t len)
{
	if (at.seq == NO_SEQ)
		snprintf(buf, len, "(no event seen)");
	else if (at.cpu < 0)
		snprintf(buf, len, "at step %" PRIu64 " by setup code",
			 at.step);
	else
		snprintf(buf, len, "at step %" PRIu64 " by CPU %d", at.step,
			 at.cpu);
}

void oracle_text_frame_now(const struct frame *f, char *buf, size_t len)
{
	static const char *const kinds[] = { "a frame", "a data page",
					     "a page table", "a batch page",
					     "a huge page" };

	if (!f)
		snprintf(buf, len, "state unknown");
	else if (!f->allocated)
		snprintf(buf, len, "still free");
	else
		snprintf(buf, len, "reused as %s",
			 f->kind < sizeof(kinds) / sizeof(kinds[0]) ?
			 kinds[f->kind] : "a frame");
}
