/*
 * scale_clock.c - the virtual clock (see thpsim/scale.h for its rules):
 * costs charged at scheduling points (det_clock_ops.point) and from the
 * event stream, causality at wake-ups and IPI kicks, the least-clock
 * policy, and the figures the workloads report.
 */
#include <stdlib.h>
#include <string.h>

#include "lab/scale.h"
#include "machine/cpu.h"
#include "machine/errors.h"
#include "machine/event.h"
#include "thpsim/mm.h"

static uint64_t ps(double ns)
{
	return (uint64_t)(ns * VC_PS + 0.5);
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Which cost each scheduling point charges (THPSIM_COST__NR: none). */
static void map_points(struct vclock *vc)
{
	static const struct { int sp; int cost; } map[] = {
		{ THPSIM_SP_IRQ_SAVE, THPSIM_COST_irq_toggle },
		{ THPSIM_SP_IRQ_RESTORE, THPSIM_COST_irq_toggle },
		{ THPSIM_SP_LOCK, THPSIM_COST_lock },
		{ THPSIM_SP_UNLOCK, THPSIM_COST_unlock },
		{ THPSIM_SP_RCU_READ_LOCK, THPSIM_COST_rcu_read },
		{ THPSIM_SP_RCU_READ_UNLOCK, THPSIM_COST_rcu_read },
		{ THPSIM_SP_RCU_GP_START, THPSIM_COST_gp_detect },
		{ THPSIM_SP_ENTRY_LOAD, THPSIM_COST_entry_load },
		{ THPSIM_SP_ENTRY_STORE, THPSIM_COST_entry_store },
		{ THPSIM_SP_PAGE_REF, THPSIM_COST_refcount_atomic },
		{ THPSIM_SP_PAGE_ALLOC, THPSIM_COST_alloc },
		{ THPSIM_SP_PAGE_FREE, THPSIM_COST_free },
		{ THPSIM_SP_FAULT, THPSIM_COST_fault },
		{ THPSIM_SP_ZAP, THPSIM_COST_zap },
		{ THPSIM_SP_GUP_AFTER_PGD_READ, THPSIM_COST_walk_level },
		{ THPSIM_SP_GUP_AFTER_PMD_READ, THPSIM_COST_walk_level },
		{ THPSIM_SP_GUP_AFTER_PTE_READ, THPSIM_COST_walk_level },
		{ THPSIM_SP_GUP_AFTER_GRAB, THPSIM_COST_refcount_atomic },
		{ THPSIM_SP_GUP_AFTER_RECHECK, THPSIM_COST_walk_level },
		{ THPSIM_SP_RCU_WALK_AFTER_MAP, THPSIM_COST_walk_level },
	};

	memset(vc->point_cost, 0, sizeof(vc->point_cost));
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		vc->point_cost[map[i].sp] = vc->cost[map[i].cost];
}

int vc_sample_add(struct vc_samples *s, uint64_t v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *n = realloc(s->v, cap * sizeof(*n));

		if (!n)
			return -THPSIM_ENOMEM;
		s->v = n;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t vc_percentile(struct vc_samples *s, double q)
{
	size_t i;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	i = (size_t)(q * (double)(s->n - 1) + 0.5);
	return s->v[i < s->n ? i : s->n - 1];
}

/* ---- the run queue ----------------------------------------------------- */

static bool entry_less(const struct vc_entry *a, const struct vc_entry *b)
{
	return a->t < b->t || (a->t == b->t && a->idx < b->idx);
}

static void heap_push(struct vclock *vc, uint64_t t, int idx)
{
	size_t i;

	if (vc->heap_n == vc->heap_cap) {
		size_t cap = vc->heap_cap ? vc->heap_cap * 2 : 1024;
		struct vc_entry *n = realloc(vc->heap, cap * sizeof(*n));

		if (!n)
			abort();	/* grows with threads x wakes: tiny */
		vc->heap = n;
		vc->heap_cap = cap;
	}
	i = vc->heap_n++;
	vc->heap[i] = (struct vc_entry){ t, idx };
	while (i && entry_less(&vc->heap[i], &vc->heap[(i - 1) / 2])) {
		struct vc_entry tmp = vc->heap[i];

		vc->heap[i] = vc->heap[(i - 1) / 2];
		vc->heap[(i - 1) / 2] = tmp;
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct vclock *vc)
{
	size_t i = 0;

	vc->heap[0] = vc->heap[--vc->heap_n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < vc->heap_n && entry_less(&vc->heap[l], &vc->heap[m]))
			m = l;
		if (r < vc->heap_n && entry_less(&vc->heap[r], &vc->heap[m]))
			m = r;
		if (m == i)
			break;
		struct vc_entry tmp = vc->heap[i];

		vc->heap[i] = vc->heap[m];
		vc->heap[m] = tmp;
		i = m;
	}
}

static int cpu_of(const struct detsched *s, int idx)
{
	return s->threads[idx].cpu->id;
}

static void enqueue(struct vclock *vc, const struct dthread *t)
{
	heap_push(vc, vc->now[t->cpu->id], t->idx);
}

void vclock_enqueue_all(struct vclock *vc)
{
	for (unsigned c = 0; c < THPSIM_NR_CPUS_MAX; c++)
		vc->cpu_thread[c] = -1;
	for (int i = 0; i < vc->s->nr_threads; i++) {
		vc->cpu_thread[vc->s->threads[i].cpu->id] = i;
		if (vc->s->threads[i].state == DT_RUNNABLE)
			enqueue(vc, &vc->s->threads[i]);
	}
}

/* Stale entries (a clock that moved, a thread that blocked or ended) are
 * dropped as they surface; every runnable thread has a current entry. */
static int vc_next(void *st, const struct detsched *s, struct det_decision *d)
{
	struct vclock *vc = st;

	while (vc->heap_n) {
		struct vc_entry e = vc->heap[0];

		heap_pop(vc);
		if (s->threads[e.idx].state != DT_RUNNABLE ||
		    vc->now[cpu_of(s, e.idx)] != e.t)
			continue;
		*d = (struct det_decision){ DET_RUN, e.idx };
		return 0;
	}
	/* Not reached while the bookkeeping holds; a linear pick else. */
	for (int i = 0, best = -1; i <= s->nr_threads; i++) {
		if (i == s->nr_threads) {
			if (best < 0)
				return 1;
			*d = (struct det_decision){ DET_RUN, best };
			return 0;
		}
		if (s->threads[i].state == DT_RUNNABLE &&
		    (best < 0 || vc->now[cpu_of(s, i)] < vc->now[cpu_of(s, best)]))
			best = i;
	}
	return 1;
}

const struct det_policy vclock_policy_proto = { "virtual-time", vc_next, NULL };

/* ---- charging ------------------------------------------------------------ */

static void vc_point(void *arg, struct dthread *t, int point)
{
	struct vclock *vc = arg;
	int c = t->cpu->id;

	if (vc->paused[c])
		return;		/* no_yield: it keeps running */
	vc->now[c] += vc->point_cost[point];
	enqueue(vc, t);
}

static void vc_wake(void *arg, struct dthread *waker, struct dthread *woken)
{
	struct vclock *vc = arg;
	int c = woken->cpu->id;

	if (waker)
		vc->now[c] = max64(vc->now[c], vc->now[waker->cpu->id]);
	vc->now[c] = max64(vc->now[c], vc->busy_until[c]);
	enqueue(vc, woken);
}

static struct dthread *thread_on(struct vclock *vc, int cpu)
{
	int i = vc->cpu_thread[cpu];

	return i >= 0 && i < vc->s->nr_threads &&
	       vc->s->threads[i].state != DT_DONE ? &vc->s->threads[i] : NULL;
}

/*
 * An unmasked target takes the IPI at send + delivery (or once the
 * handler it is in ends); the handler's time is stolen from its work.
 */
static void vc_kick(void *arg, struct dthread *sender, struct cpu *target,
		    bool end)
{
	struct vclock *vc = arg;
	int t = target->id;
	struct dthread *tt;
	uint64_t dur;

	if (!sender || vc->paused[sender->cpu->id])
		return;		/* recycling work is not measured */
	if (!end) {
		vc->irq_cpu = t;
		vc->irq_start = max64(vc->now[sender->cpu->id] +
				      vc->cost[THPSIM_COST_ipi_delivery],
				      vc->busy_until[t]);
		vc->irq_now = vc->irq_start;
		return;
	}
	vc->irq_cpu = -1;
	dur = vc->irq_now - vc->irq_start;
	vc->busy_until[t] = vc->irq_now;
	vc->ack_at[t] = vc->irq_now + vc->cost[THPSIM_COST_ipi_ack];
	if (vc->counting)
		vc->stolen[t] += dur;
	tt = thread_on(vc, t);
	if (tt && tt->state == DT_RUNNABLE && tt != sender) {
		vc->now[t] += dur;
		enqueue(vc, tt);
	}
}

static const struct det_clock_ops vc_ops = {
	.point = vc_point, .wake = vc_wake, .kick = vc_kick,
};

/* ---- the event stream ---------------------------------------------------- */

static void pending_update(struct vclock *vc, uint64_t t, int64_t delta)
{
	if (t > vc->pending_last_t) {
		if (vc->counting)
			vc->pending_area += (long double)vc->pending *
					    (long double)(t - vc->pending_last_t);
		vc->pending_last_t = t;
	}
	vc->pending = (uint64_t)((int64_t)vc->pending + delta);
	if (vc->counting && vc->pending > vc->pending_peak)
		vc->pending_peak = vc->pending;
}

static bool rcu_table_free(const char *what)
{
	/* the fallback's synchronize_rcu() holds its table over a grace
	 * period as well */
	return what && (!strcmp(what, "tlb_remove_table rcu") ||
			!strcmp(what, "pte_free_defer") ||
			!strcmp(what, "tlb_remove_table_one synchronize_rcu"));
}

static uint64_t flush_cost(struct vclock *vc, const thpsim_event_t *ev)
{
	uint64_t pages = ev->val > ev->addr ?
			 (ev->val - ev->addr + vc->page_size - 1) / vc->page_size : 1;
	uint64_t local = pages * vc->cost[THPSIM_COST_flush_page];

	if (local > vc->cost[THPSIM_COST_flush_full])
		local = vc->cost[THPSIM_COST_flush_full];
	if (ev->what && !strcmp(ev->what, "broadcast"))
		local += vc->cost[THPSIM_COST_tlbi_broadcast];
	return local;
}

static void vc_event(const thpsim_event_t *ev, void *arg)
{
	struct vclock *vc = arg;
	struct dthread *cur = detsched_current();
	uint64_t *clk;
	int c = ev->cpu;

	if (c < 0 || c >= (int)vc->nr_cpus)
		return;
	if (c == vc->irq_cpu)
		clk = &vc->irq_now;		/* inside a kicked handler */
	else if (cur && cur->cpu->id == c)
		clk = &vc->now[c];		/* the running thread */
	else
		return;				/* setup code, no thread */
	if (vc->paused[c] && clk != &vc->irq_now)
		return;
	switch (ev->kind) {
	case THPSIM_EV_IPI_SEND:
		*clk += vc->cost[THPSIM_COST_ipi_send];
		break;
	case THPSIM_EV_IPI_RUN:
		*clk += vc->cost[THPSIM_COST_ipi_handler];
		if (clk != &vc->irq_now) {	/* taken at unmask: its own time */
			if (vc->counting)
				vc->stolen[c] += vc->cost[THPSIM_COST_ipi_handler];
			vc->ack_at[c] = *clk + vc->cost[THPSIM_COST_ipi_ack];
		}
		break;
	case THPSIM_EV_IPI_WAIT_END:
		if (ev->arg >= 0 && ev->arg < (int)vc->nr_cpus)
			*clk = max64(*clk, vc->ack_at[ev->arg]);
		break;
	case THPSIM_EV_TLB_FLUSH:
		*clk += flush_cost(vc, ev);
		break;
	case THPSIM_EV_COPY:
		*clk += vc->cost[THPSIM_COST_copy_per_kib] * vc->page_size / 1024;
		break;
	case THPSIM_EV_RCU_CALLBACK:
		*clk += vc->cost[THPSIM_COST_rcu_callback];
		break;
	case THPSIM_EV_RCU_GP_START:
		vc->gp_start = *clk;
		/* Recycling's frees (paused work) start grace periods too:
		 * count those that hold a measured free, unless nothing is
		 * paused in this workload. */
		vc->gp_measured = vc->gp_all || vc->pending > 0;
		break;
	case THPSIM_EV_RCU_GP_END:
		if (vc->counting && vc->gp_measured) {
			vc->gps++;
			vc->gp_total += *clk - vc->gp_start;
		}
		break;
	case THPSIM_EV_TABLE_FREE:
		if (rcu_table_free(ev->what) && ev->pfn < vc->nr_frames &&
		    !vc->rcu_frames[ev->pfn]) {
			vc->rcu_frames[ev->pfn] = 1;
			pending_update(vc, *clk, (int64_t)vc->page_size);
		}
		break;
	case THPSIM_EV_FRAME_FREE:
		if (ev->pfn < vc->nr_frames && vc->rcu_frames[ev->pfn]) {
			vc->rcu_frames[ev->pfn] = 0;
			pending_update(vc, *clk, -(int64_t)vc->page_size);
		}
		break;
	case THPSIM_EV_WALK_BEGIN:
		vc->walk_start[c] = *clk;
		break;
	case THPSIM_EV_WALK_END:
		if (vc->counting)
			vc_sample_add(&vc->walks, *clk - vc->walk_start[c]);
		break;
	default:
		break;
	}
	if ((int)ev->kind == vc->op_event)
		vc->op_start[c] = *clk;
	else if (ev->kind == THPSIM_EV_COLLAPSE_END &&
		 vc->op_event == THPSIM_EV_COLLAPSE_BEGIN && vc->counting) {
		vc_sample_add(&vc->ops, *clk - vc->op_start[c]);
		vc->ops_ok += ev->arg == THPSIM_SCAN_SUCCEED;
	}
}

/* ---- set-up ---------------------------------------------------------------- */

int vclock_init(struct vclock *vc, struct detsched *s,
		const thpsim_cost_table_t *costs, unsigned nr_cpus,
		uint64_t page_size, size_t nr_frames)
{
	memset(vc, 0, sizeof(*vc));
	vc->s = s;
	vc->nr_cpus = nr_cpus;
	vc->page_size = page_size;
	vc->irq_cpu = -1;
	vc->op_event = -1;
	for (unsigned i = 0; i < THPSIM_COST__NR; i++)
		vc->cost[i] = ps(costs->ns[i]);
	map_points(vc);
	vc->nr_frames = nr_frames;
	vc->rcu_frames = calloc(nr_frames ? nr_frames : 1, 1);
	return vc->rcu_frames ? 0 : -THPSIM_ENOMEM;
}

void vclock_fini(struct vclock *vc)
{
	free(vc->heap);
	free(vc->ops.v);
	free(vc->walks.v);
	free(vc->rcu_frames);
	vc->heap = NULL;
	vc->ops.v = vc->walks.v = NULL;
	vc->rcu_frames = NULL;
}

int vclock_attach(struct vclock *vc)
{
	static _Thread_local struct det_clock_ops ops;

	ops = vc_ops;
	ops.arg = vc;
	vc->s->clock = &ops;
	vc->heap_n = 0;
	return event_subscribe(vc_event, vc);
}

void vclock_detach(struct vclock *vc)
{
	event_unsubscribe(vc_event, vc);
	vc->s->clock = NULL;
}

uint64_t vclock_now(const struct vclock *vc)
{
	struct dthread *t = detsched_current();

	return t ? vc->now[t->cpu->id] : 0;
}

void vclock_sleep(struct vclock *vc, uint64_t ns)
{
	struct dthread *t = detsched_current();

	if (!t)
		return;
	vc->now[t->cpu->id] += ns * VC_PS;
	enqueue(vc, t);
	detsched_yield();
}

void vclock_pause(struct vclock *vc, bool paused)
{
	struct dthread *t = detsched_current();

	if (!t)
		return;
	vc->paused[t->cpu->id] = paused;
	t->no_yield = paused;
}
