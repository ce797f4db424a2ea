/*
 * lab/trace.h - Chrome/Perfetto trace-event JSON of one deterministic run
 * (docs/DESIGN.md section 9; open it in ui.perfetto.dev).
 *
 * API overview, in call order:
 *
 *   t = trace_create(&rc);                  title from the configuration
 *   trace_name_cpu(t, 1, "G: GUP-fast walker");   one track per CPU
 *   trace_feed(t, &ev);                     every event of the run phase
 *   trace_mark_verdict(t, &v);              the oracle's first findings
 *   json = trace_render(t);                 malloc'd text
 *   trace_destroy(t);
 *
 * Timestamps are logical: an event's ts is its seq in the stream (one
 * "microsecond" per event) and its args carry the scheduler step, so a
 * replay writes the same bytes on any machine.  Sections become complete
 * ("X") slices on their CPU's track: walks (WALK_BEGIN..WALK_END),
 * IRQ-off sections (IRQ_OFF..IRQ_ON), IPI waits, collapses and vCPU
 * preemptions; every other event is an instant ("i") with its text.
 * Every event's args hold all its fields (thpsim/event.h: kind, cpu,
 * point, level, idx, arg, addr, pfn, pfn2, val, val2, gen, what, step,
 * seq; addresses and entry values as "0x..." strings); IPI_SEND and
 * IPI_RUN add sync (true for the empty sync IPI) and target / sender.
 * Every CPU with an event gets a named track ("CPU n" when nobody
 * named it).
 */
#ifndef THPSIM_LAB_TRACE_H
#define THPSIM_LAB_TRACE_H

#include "thpsim/event.h"
#include "thpsim/lab.h"
#include "thpsim/scenario.h"

struct trace;

/* NULL when out of memory. */
struct trace *trace_create(const thpsim_run_config_t *rc);
void trace_destroy(struct trace *t);	/* NULL is fine */
int trace_name_cpu(struct trace *t, int cpu, const char *name);
void trace_feed(struct trace *t, const thpsim_event_t *ev);
void trace_mark_verdict(struct trace *t, const thpsim_verdict_t *v);
/* The JSON document, malloc'd; NULL when out of memory. */
char *trace_render(struct trace *t);

#endif /* THPSIM_LAB_TRACE_H */
