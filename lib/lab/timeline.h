/*
 * lab/timeline.h - the terminal timeline (docs/DESIGN.md section 9): one column
 * per thread, one row per deterministic step, each cell saying in plain
 * words what that thread did, so a race reads as an explanation to someone
 * who only knows what a page table is.
 *
 * API overview, in call order:
 *
 *   t = timeline_create();
 *   timeline_name_cpu(t, 1, "G (GUP-fast walker)");   column titles
 *   event_subscribe(timeline_sink, t);                 or timeline_feed()
 *     ... run ...
 *   event_unsubscribe(timeline_sink, t);
 *   timeline_mark(t, v.first[v.outcome].seq, "UAF");  where the oracle
 *                                                      judged, or
 *   timeline_mark_verdict(t, &v);                      every class found
 *   timeline_render(t, stdout, 100);                   the table
 *   timeline_destroy(t);
 *
 *   timeline_event_text(&ev, buf, sizeof(buf));        one event in words
 *                                                      (trace exporter)
 *
 * Events are copied (their `what` strings are static).  In free mode,
 * where every step is 0, each event gets its own row, numbered by seq.
 * Cells are wrapped at word boundaries to the column width, so columns
 * stay aligned; widths count UTF-8 code points (the only non-ASCII glyph
 * used is the arrow).
 */
#ifndef THPSIM_LAB_TIMELINE_H
#define THPSIM_LAB_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "thpsim/event.h"
#include "thpsim/lab.h"

#define TIMELINE_EVENTS_MAX (1u << 20)	/* recorded; more are dropped */
#define TIMELINE_WIDTH_MIN 40

struct timeline;

/* NULL when out of host memory. */
struct timeline *timeline_create(void);
void timeline_destroy(struct timeline *t);

/* Title the column of cpu (-1: code running on no CPU); name is copied.
 * -THPSIM_EINVAL on a cpu outside -1..THPSIM_NR_CPUS_MAX-1 or no name. */
int timeline_name_cpu(struct timeline *t, int cpu, const char *name);

void timeline_feed(struct timeline *t, const thpsim_event_t *ev);
/* thpsim_event_fn for event_subscribe(); thread-safe. */
void timeline_sink(const thpsim_event_t *ev, void *arg);

/* Flag the event seq (e.g. where the oracle judged its first violation):
 * its cell ends with "→ label" and its row's step with '>'. */
int timeline_mark(struct timeline *t, uint64_t seq, const char *label);

/* Mark the first finding of every class v found, most severe first (the
 * first mark of an event is the one shown).  Returns 0 or -THPSIM_E*. */
int timeline_mark_verdict(struct timeline *t, const thpsim_verdict_t *v);

/* Render to out, lines at most width code points wide (at least
 * TIMELINE_WIDTH_MIN; wider when columns cannot fit).  Returns 0, or
 * -THPSIM_EINVAL / -THPSIM_ENOMEM. */
int timeline_render(struct timeline *t, FILE *out, unsigned width);

/* One event in plain words, NUL-terminated (truncated to len).  Returns
 * the length it needed, as snprintf does. */
size_t timeline_event_text(const thpsim_event_t *ev, char *buf, size_t len);

/* Events recorded and dropped (past TIMELINE_EVENTS_MAX). */
size_t timeline_nr_events(const struct timeline *t);
size_t timeline_nr_dropped(const struct timeline *t);

#endif /* THPSIM_LAB_TIMELINE_H */
