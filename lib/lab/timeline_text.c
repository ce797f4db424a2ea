/*
 * lab/timeline_text.c - one event in plain words, for the timeline and
 * the trace exporter.
 *
 * Stateless text (timeline_event_text) says what the event itself says.
 * The timeline renders with a little memory of frames (struct tl_frames:
 * generation and kind per pfn, learnt from FRAME_ALLOC / FRAME_FREE as it
 * goes), so it can also say "table #17 reused (gen 6)" and give the
 * generation of the table a pmd read points at.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "arch/pgtable_x86.h"
#include "lab/timeline_internal.h"
#include "thpsim/machine.h"
#include "thpsim/phys.h"

struct sb {
	char *buf;
	size_t len, need;
};

static void sb_printf(struct sb *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct sb *s, const char *fmt, ...)
{
	size_t room = s->need < s->len ? s->len - s->need : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? s->buf + s->need : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->need += (size_t)n;
}

static void sb_what(struct sb *s, const char *what)
{
	if (what && *what)
		sb_printf(s, " (%s)", what);
}

static const char *entry_name(int level)
{
	static const char *const names[] = { "entry", "pte", "pmd", "pud",
					     "p4d", "pgd" };

	return level >= 0 && level <= 5 ? names[level] : "entry";
}

/* A leaf or table entry's value in words. */
static void sb_entry(struct sb *s, int level, uint64_t v)
{
	if (!v)
		sb_printf(s, "none");
	else if (level == 2 && pmd_trans_huge(__pmd(v)))
		sb_printf(s, "huge #%lu%s", pmd_pfn(__pmd(v)),
			  v & _PAGE_PRESENT ? "" : " (invalid)");
	else if (!(v & _PAGE_PRESENT))
		sb_printf(s, "0x%" PRIx64, v);
	else if (level == 1)
		sb_printf(s, "page #%lu", pte_pfn(__pte(v)));
	else
		sb_printf(s, "table #%lu", pmd_pfn(__pmd(v)));
}

static const char *alloc_noun(int kind)
{
	switch (kind) {
	case THPSIM_ALLOC_DATA:		return "page";
	case THPSIM_ALLOC_TABLE:	return "table";
	case THPSIM_ALLOC_BATCH:	return "batch page";
	case THPSIM_ALLOC_HUGE:		return "huge page";
	default:			return "frame";
	}
}

static void sb_frames(struct sb *s, const thpsim_event_t *ev)
{
	sb_printf(s, "%s #%" PRIu64, alloc_noun(ev->arg), ev->pfn);
	if (ev->level > 0 && ev->level < 31)
		sb_printf(s, "-#%" PRIu64,
			  ev->pfn + (UINT64_C(1) << ev->level) - 1);
}

static void text_alloc(struct sb *s, const thpsim_event_t *ev,
		       struct tl_frames *fr)
{
	struct pmap_entry *e = fr ? thpsim__pmap_get(&fr->map, ev->pfn, 0) :
				    NULL;
	bool was_table = e && e->v[2] && e->v[1] == THPSIM_ALLOC_TABLE + 1;

	if (was_table && ev->arg == THPSIM_ALLOC_TABLE) {
		sb_printf(s, "table #%" PRIu64 " reused (gen %" PRIu64 ")",
			  ev->pfn, ev->gen);
		return;
	}
	if (was_table)
		sb_printf(s, "freed table #%" PRIu64 " reused as ", ev->pfn);
	else
		sb_printf(s, "allocates ");
	sb_frames(s, ev);
	sb_printf(s, " (gen %" PRIu64 ")", ev->gen);
}

static void text_entry_set(struct sb *s, const thpsim_event_t *ev)
{
	if (ev->level == 2)
		sb_printf(s, "sets pmd 0x%" PRIx64 ": ", ev->addr);
	else
		sb_printf(s, "sets %s[%d] of #%" PRIu64 ": ",
			  entry_name(ev->level), ev->idx, ev->pfn);
	sb_entry(s, ev->level, ev->val);
	sb_printf(s, " → ");
	sb_entry(s, ev->level, ev->val2);
}

static void text_walk_begin(struct sb *s, const thpsim_event_t *ev)
{
	static const char *const kinds[] = { "GUP-fast", "RCU", "slow" };
	uint64_t n = ev->val ? ev->val : 1;

	sb_printf(s, "%s walk of 0x%" PRIx64 " (%" PRIu64 " page%s)",
		  (unsigned)ev->arg < 3 ? kinds[ev->arg] : "page-table",
		  ev->addr, n, n == 1 ? "" : "s");
}

static void text_read(struct sb *s, const thpsim_event_t *ev,
		      struct tl_frames *fr)
{
	uint64_t v = ev->val;
	struct pmap_entry *e;

	if (ev->level == 1)
		sb_printf(s, "reads pte[%d] of #%" PRIu64, ev->idx, ev->pfn);
	else
		sb_printf(s, "reads %s", entry_name(ev->level));
	if (ev->arg != THPSIM_PT_LIVE && ev->arg > 0 && ev->arg < THPSIM_PT__NR)
		sb_printf(s, " (%s, gen %" PRIu64 ")",
			  thpsim_pt_state_name(ev->arg), ev->gen);
	if (ev->arg == THPSIM_PT_FREED || ev->arg == THPSIM_PT_DEPOSITED) {
		sb_printf(s, ": 0x%" PRIx64, v);
		return;
	}
	if (!v || !(v & (_PAGE_PRESENT | _PAGE_PSE))) {
		sb_printf(s, ": ");
		sb_entry(s, ev->level, v);
		return;
	}
	sb_printf(s, " → ");
	sb_entry(s, ev->level, v);
	e = fr && ev->level >= 2 && !pmd_trans_huge(__pmd(v)) ?
	    thpsim__pmap_get(&fr->map, pmd_pfn(__pmd(v)), 0) : NULL;
	if (e)
		sb_printf(s, " (gen %" PRIu64 ")", e->v[0]);
}

static void text_walk(struct sb *s, const thpsim_event_t *ev,
		      struct tl_frames *fr)
{
	switch (ev->kind) {
	case THPSIM_EV_WALK_BEGIN:
		text_walk_begin(s, ev);
		break;
	case THPSIM_EV_WALK_READ:
		text_read(s, ev, fr);
		break;
	case THPSIM_EV_WALK_GRAB:
		sb_printf(s, ev->arg == 1 ? "grabs page #%" PRIu64 :
			  "fails to grab page #%" PRIu64, ev->pfn2);
		break;
	case THPSIM_EV_WALK_RECHECK:
		sb_printf(s, "rechecks %s: %s", entry_name(ev->level),
			  ev->arg == 1 ? "same" : "changed");
		break;
	case THPSIM_EV_WALK_UNGRAB:
		sb_printf(s, "drops page #%" PRIu64, ev->pfn2);
		break;
	case THPSIM_EV_WALK_PIN:
		sb_printf(s, "pins page #%" PRIu64 " for 0x%" PRIx64,
			  ev->pfn2, ev->addr);
		break;
	case THPSIM_EV_WALK_BAIL:
		sb_printf(s, "bails at the %s", entry_name(ev->level));
		sb_what(s, ev->what);
		break;
	case THPSIM_EV_WALK_END:
		sb_printf(s, "walk ends, %d pinned", ev->arg);
		break;
	case THPSIM_EV_WALK_UNPIN:
		sb_printf(s, "unpins page #%" PRIu64, ev->pfn2);
		break;
	default:
		sb_printf(s, "event %d", (int)ev->kind);
		break;
	}
}

static void text_ipi(struct sb *s, const thpsim_event_t *ev)
{
	switch (ev->kind) {
	case THPSIM_EV_IRQ_OFF:
		sb_printf(s, "IRQs off");
		break;
	case THPSIM_EV_IRQ_ON:
		sb_printf(s, "IRQs on");
		break;
	case THPSIM_EV_IPI_SEND:
		sb_printf(s, "sends IPI to CPU %d", ev->arg);
		sb_what(s, ev->what);
		break;
	case THPSIM_EV_IPI_RUN:
		sb_printf(s, "runs IPI from CPU %d", ev->arg);
		break;
	case THPSIM_EV_IPI_WAIT:
		sb_printf(s, "waits for CPU %d's ack%s%s", ev->arg,
			  ev->val & 1 ? " (its IRQs are off)" : "",
			  ev->val & 2 ? " (its vCPU is preempted: until the host runs it)" : "");
		break;
	case THPSIM_EV_IPI_WAIT_END:
		sb_printf(s, "CPU %d acked", ev->arg);
		break;
	default:
		sb_printf(s, "event %d", (int)ev->kind);
		break;
	}
}

static void text_rcu(struct sb *s, const thpsim_event_t *ev)
{
	switch (ev->kind) {
	case THPSIM_EV_TLB_FLUSH:
		sb_printf(s, "flushes TLB 0x%" PRIx64 "-0x%" PRIx64, ev->addr,
			  ev->val);
		sb_what(s, ev->what);
		break;
	case THPSIM_EV_RCU_GP_START:
		sb_printf(s, "grace period %" PRIu64 " starts", ev->val);
		break;
	case THPSIM_EV_RCU_GP_END:
		sb_printf(s, "grace period %" PRIu64 " ends", ev->val);
		break;
	case THPSIM_EV_RCU_CALLBACK:
		sb_printf(s, "RCU callback");
		sb_what(s, ev->what);
		break;
	case THPSIM_EV_VCPU_PREEMPT:
		sb_printf(s, ev->arg ? "vCPU preempted by the host" :
			  "vCPU runs again");
		break;
	default:
		sb_printf(s, "event %d", (int)ev->kind);
		break;
	}
}

static void text_collapse(struct sb *s, const thpsim_event_t *ev)
{
	switch (ev->kind) {
	case THPSIM_EV_COLLAPSE_BEGIN:
		sb_printf(s, "collapse of 0x%" PRIx64 " starts", ev->addr);
		sb_what(s, ev->what);
		break;
	case THPSIM_EV_ISOLATE:
		sb_printf(s, "isolates page #%" PRIu64 ": %s (ref %" PRIu64
			  ", map %" PRIu64 ")", ev->pfn2,
			  ev->arg == 1 ? "ok" : "fails", ev->val, ev->val2);
		break;
	case THPSIM_EV_COPY:
		sb_printf(s, "copies page #%" PRIu64 " into #%" PRIu64 "%s",
			  ev->pfn2, ev->pfn, ev->arg ? "" : " (bytes differ)");
		break;
	case THPSIM_EV_DEPOSIT:
		sb_printf(s, "deposits table #%" PRIu64 " under #%" PRIu64,
			  ev->pfn, ev->pfn2);
		sb_what(s, ev->what);
		break;
	case THPSIM_EV_WITHDRAW:
		sb_printf(s, "withdraws table #%" PRIu64 " from #%" PRIu64,
			  ev->pfn, ev->pfn2);
		break;
	case THPSIM_EV_COLLAPSE_END:
		sb_printf(s, "collapse ends");
		if (ev->what)
			sb_printf(s, ": %s", ev->what);
		break;
	default:
		sb_printf(s, "event %d", (int)ev->kind);
		break;
	}
}

static void text_other(struct sb *s, const thpsim_event_t *ev)
{
	switch (ev->kind) {
	case THPSIM_EV_SPLIT:
		sb_printf(s, "splits huge pmd 0x%" PRIx64 " into table #%"
			  PRIu64, ev->addr, ev->pfn);
		break;
	case THPSIM_EV_ZAP:
		sb_printf(s, "zaps 0x%" PRIx64 "-0x%" PRIx64, ev->addr,
			  ev->val);
		break;
	case THPSIM_EV_TABLE_FREE:
		sb_printf(s, "hands table #%" PRIu64 " to %s", ev->pfn,
			  ev->what ? ev->what : "a free path");
		break;
	case THPSIM_EV_STRATEGY:
		sb_printf(s, "strategy: %s", ev->what ? ev->what : "hook");
		break;
	case THPSIM_EV_NOTE:
		sb_printf(s, "%s", ev->what ? ev->what : "note");
		break;
	default:
		sb_printf(s, "event %d", (int)ev->kind);
		break;
	}
}

static void text_memory(struct sb *s, const thpsim_event_t *ev,
			struct tl_frames *fr)
{
	switch (ev->kind) {
	case THPSIM_EV_FRAME_ALLOC:
		text_alloc(s, ev, fr);
		break;
	case THPSIM_EV_FRAME_FREE:
		sb_printf(s, "frees ");
		sb_frames(s, ev);
		sb_printf(s, " (gen now %" PRIu64 ")", ev->gen);
		break;
	case THPSIM_EV_TABLE_STATE:
		sb_printf(s, "table #%" PRIu64 ": %s → %s", ev->pfn,
			  thpsim_pt_state_name(ev->val),
			  thpsim_pt_state_name(ev->arg));
		break;
	case THPSIM_EV_ENTRY_SET:
		text_entry_set(s, ev);
		break;
	default:
		sb_printf(s, "event %d", (int)ev->kind);
		break;
	}
}

/* What the frames map has to learn from ev (after its text). */
static void frames_learn(struct tl_frames *fr, const thpsim_event_t *ev)
{
	struct pmap_entry *e;

	if (!fr || (ev->kind != THPSIM_EV_FRAME_ALLOC &&
		    ev->kind != THPSIM_EV_FRAME_FREE))
		return;
	e = thpsim__pmap_put(&fr->map, ev->pfn, 0, NULL);
	if (!e)
		return;
	e->v[0] = ev->gen;
	e->v[1] = (uint64_t)ev->arg + 1;
	e->v[2] = ev->kind == THPSIM_EV_FRAME_FREE;
}

size_t thpsim__timeline_text(const thpsim_event_t *ev, struct tl_frames *fr,
			     char *buf, size_t len)
{
	struct sb s = { buf, len, 0 };

	if (buf && len)
		buf[0] = '\0';
	if (!ev)
		return 0;
	if (ev->kind <= THPSIM_EV_ENTRY_SET)
		text_memory(&s, ev, fr);
	else if (ev->kind <= THPSIM_EV_WALK_UNPIN)
		text_walk(&s, ev, fr);
	else if (ev->kind <= THPSIM_EV_IPI_WAIT_END)
		text_ipi(&s, ev);
	else if (ev->kind <= THPSIM_EV_VCPU_PREEMPT)
		text_rcu(&s, ev);
	else if (ev->kind <= THPSIM_EV_COLLAPSE_END)
		text_collapse(&s, ev);
	else
		text_other(&s, ev);
	frames_learn(fr, ev);
	return s.need;
}

size_t timeline_event_text(const thpsim_event_t *ev, char *buf, size_t len)
{
	return thpsim__timeline_text(ev, NULL, buf, len);
}
