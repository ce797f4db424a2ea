/*
 * lab/timeline.c - the terminal timeline: recording events and laying
 * them out as one column per CPU and one row per step (see timeline.h;
 * the words themselves are in timeline_text.c).
 *
 * Layout: a step column, then one column per CPU seen (setup code, on no
 * CPU, first), all of one width computed from the requested line width.
 * Within a row, each event starts a new line in its CPU's cell and is
 * wrapped at spaces (hard-broken when a word is wider than the column);
 * short cells are padded, so every line has the same width and the
 * column separators line up.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lab/timeline_internal.h"
#include "thpsim/errors.h"
#include "thpsim/machine.h"

#define TL_COLS (THPSIM_NR_CPUS_MAX + 1)	/* [0] = no CPU */
#define TL_COL_MIN 12
#define TL_TEXT_MAX 512

struct tl_mark {
	uint64_t seq;
	char *label;
};

struct timeline {
	thpsim_event_t *ev;
	size_t nr, cap, dropped;
	char *names[TL_COLS];
	struct tl_mark *marks;
	size_t nr_marks, cap_marks;
	pthread_mutex_t lock;
};

/* A growable string holding one cell: lines ended by '\n'. */
struct cell {
	char *s;
	size_t len, cap;
};

struct timeline *timeline_create(void)
{
	struct timeline *t = calloc(1, sizeof(*t));

	if (t)
		pthread_mutex_init(&t->lock, NULL);
	return t;
}

void timeline_destroy(struct timeline *t)
{
	if (!t)
		return;
	for (int i = 0; i < TL_COLS; i++)
		free(t->names[i]);
	for (size_t i = 0; i < t->nr_marks; i++)
		free(t->marks[i].label);
	free(t->marks);
	free(t->ev);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static int col_of(int cpu)
{
	return cpu >= 0 && cpu < THPSIM_NR_CPUS_MAX ? cpu + 1 : 0;
}

int timeline_name_cpu(struct timeline *t, int cpu, const char *name)
{
	char *copy;

	if (!t || !name || cpu < -1 || cpu >= THPSIM_NR_CPUS_MAX)
		return -THPSIM_EINVAL;
	copy = strdup(name);
	if (!copy)
		return -THPSIM_ENOMEM;
	free(t->names[col_of(cpu)]);
	t->names[col_of(cpu)] = copy;
	return 0;
}

void timeline_feed(struct timeline *t, const thpsim_event_t *ev)
{
	if (!t || !ev)
		return;
	if (t->nr == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		thpsim_event_t *n;

		if (t->nr >= TIMELINE_EVENTS_MAX ||
		    !(n = realloc(t->ev, cap * sizeof(*n)))) {
			t->dropped++;
			return;
		}
		t->ev = n;
		t->cap = cap;
	}
	t->ev[t->nr++] = *ev;
}

static __thread bool in_timeline_sink;

void timeline_sink(const thpsim_event_t *ev, void *arg)
{
	struct timeline *t = arg;

	if (!t || in_timeline_sink)
		return;
	in_timeline_sink = true;
	pthread_mutex_lock(&t->lock);
	timeline_feed(t, ev);
	pthread_mutex_unlock(&t->lock);
	in_timeline_sink = false;
}

int timeline_mark(struct timeline *t, uint64_t seq, const char *label)
{
	char *copy;

	if (!t || !label)
		return -THPSIM_EINVAL;
	if (t->nr_marks == t->cap_marks) {
		size_t cap = t->cap_marks ? t->cap_marks * 2 : 4;
		struct tl_mark *n = realloc(t->marks, cap * sizeof(*n));

		if (!n)
			return -THPSIM_ENOMEM;
		t->marks = n;
		t->cap_marks = cap;
	}
	copy = strdup(label);
	if (!copy)
		return -THPSIM_ENOMEM;
	t->marks[t->nr_marks++] = (struct tl_mark){ seq, copy };
	return 0;
}

int timeline_mark_verdict(struct timeline *t, const thpsim_verdict_t *v)
{
	if (!t || !v)
		return -THPSIM_EINVAL;
	for (int c = 0; c < THPSIM_OUTCOME__NR; c++) {
		int err;

		if (!v->found[c] || v->first[c].seq == THPSIM_NO_SEQ)
			continue;
		err = timeline_mark(t, v->first[c].seq,
				    thpsim_outcome_name((thpsim_outcome_t)c));
		if (err)
			return err;
	}
	return 0;
}

size_t timeline_nr_events(const struct timeline *t)
{
	return t ? t->nr : 0;
}

size_t timeline_nr_dropped(const struct timeline *t)
{
	return t ? t->dropped : 0;
}

static const char *mark_of(const struct timeline *t, uint64_t seq)
{
	for (size_t i = 0; i < t->nr_marks; i++)
		if (t->marks[i].seq == seq)
			return t->marks[i].label;
	return NULL;
}

/* ---- cells and wrapping -------------------------------------------------- */

static bool cell_put(struct cell *c, const char *s, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		size_t cap = (c->len + n + 1) * 2;
		char *p = realloc(c->s, cap);

		if (!p)
			return false;
		c->s = p;
		c->cap = cap;
	}
	memcpy(c->s + c->len, s, n);
	c->len += n;
	c->s[c->len] = '\0';
	return true;
}

/* Code points in the first n bytes of s (UTF-8). */
static size_t u8width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* Bytes of s holding its first w code points (at most n bytes). */
static size_t u8bytes(const char *s, size_t n, size_t w)
{
	size_t i = 0;

	while (i < n && w) {
		i++;
		while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		w--;
	}
	return i;
}

/* Wrapping one event's text: continuation lines are indented, so the
 * events sharing a cell stay apart. */
#define TL_INDENT 2

struct wrap {
	struct cell *c;
	size_t width;		/* code points per line */
	size_t cur;		/* code points on the current line */
	size_t start;		/* where its words start (the indent) */
};

static bool wrap_newline(struct wrap *w)
{
	w->cur = w->start = TL_INDENT;
	return cell_put(w->c, "\n  ", 1 + TL_INDENT);
}

/* Append one word of n bytes, hard-breaking it when wider than a line. */
static bool wrap_word(struct wrap *w, const char *s, size_t n)
{
	size_t ww = u8width(s, n);

	if (w->cur > w->start && w->cur + 1 + ww > w->width &&
	    !wrap_newline(w))
		return false;
	while (w->cur + ww > w->width) {
		size_t b = u8bytes(s, n, w->width - w->cur);

		if (!cell_put(w->c, s, b) || !wrap_newline(w))
			return false;
		s += b;
		n -= b;
		ww = u8width(s, n);
	}
	if (w->cur > w->start) {
		if (!cell_put(w->c, " ", 1))
			return false;
		w->cur++;
	}
	w->cur += ww;
	return cell_put(w->c, s, n);
}

/* Append text as lines of at most width code points. */
static bool wrap_text(struct cell *c, const char *text, size_t width)
{
	struct wrap w = { c, width, 0, 0 };

	while (*text) {
		size_t n = strcspn(text, " ");

		if (n && !wrap_word(&w, text, n))
			return false;
		text += n;
		text += strspn(text, " ");
	}
	return cell_put(c, "\n", 1);
}

/* ---- layout -------------------------------------------------------------- */

struct layout {
	int cols[TL_COLS];	/* column -> cpu column index (col_of) */
	int nr_cols;
	size_t stepw, colw;
	bool per_event;		/* free mode: one row per event */
	struct cell *cells;	/* one per column, reused per row */
	struct cell line;	/* the line being printed */
	struct tl_frames frames;
};

static void layout_columns(const struct timeline *t, struct layout *l)
{
	bool used[TL_COLS] = { false };

	for (size_t i = 0; i < t->nr; i++)
		used[col_of(t->ev[i].cpu)] = true;
	for (int c = 0; c < TL_COLS; c++)
		if (used[c] || t->names[c])
			l->cols[l->nr_cols++] = c;
}

static void layout_widths(const struct timeline *t, struct layout *l,
			  unsigned width)
{
	uint64_t top = 0;
	char num[32];
	size_t room;

	l->per_event = true;
	for (size_t i = 0; i < t->nr; i++) {
		uint64_t key = t->ev[i].step;

		if (key)
			l->per_event = false;
		top = key > top ? key : top;
	}
	if (l->per_event)
		top = t->nr ? t->ev[t->nr - 1].seq : 0;
	/* The step number, and room for the '>' of a marked row. */
	l->stepw = (size_t)snprintf(num, sizeof(num), "%" PRIu64, top) + 1;
	l->stepw = l->stepw < 4 ? 4 : l->stepw;
	if (width < TIMELINE_WIDTH_MIN)
		width = TIMELINE_WIDTH_MIN;
	room = width > l->stepw ? width - l->stepw : 0;
	l->colw = l->nr_cols ? room / (size_t)l->nr_cols : room;
	l->colw = l->colw > 3 ? l->colw - 3 : 0;
	if (l->colw < TL_COL_MIN)
		l->colw = TL_COL_MIN;
}

/* Print one line of every cell, advancing each cell's cursor; trailing
 * blanks are trimmed. */
static void print_line(FILE *out, struct layout *l, const char *step,
		       const char **cur)
{
	struct cell *line = &l->line;
	char pad[TL_TEXT_MAX];

	line->len = 0;
	snprintf(pad, sizeof(pad), "%*s", (int)l->stepw, step);
	cell_put(line, pad, strlen(pad));
	for (int c = 0; c < l->nr_cols; c++) {
		const char *p = cur[c] ? cur[c] : "";
		size_t n = strcspn(p, "\n");
		size_t w = u8width(p, n);

		cell_put(line, " | ", 3);
		cell_put(line, p, n);
		for (; w < l->colw; w++)
			cell_put(line, " ", 1);
		cur[c] = p[n] && p[n + 1] ? p + n + 1 : NULL;
	}
	while (line->len && line->s[line->len - 1] == ' ')
		line->len--;
	fprintf(out, "%.*s\n", (int)line->len, line->s ? line->s : "");
}

/* Print the cells as one row, the step label on its first line. */
static void print_row(FILE *out, struct layout *l, const char *step)
{
	const char *cur[TL_COLS];
	bool more = true;
	bool first = true;

	for (int c = 0; c < l->nr_cols; c++)
		cur[c] = l->cells[c].len ? l->cells[c].s : NULL;
	while (more) {
		print_line(out, l, first ? step : "", cur);
		first = false;
		more = false;
		for (int c = 0; c < l->nr_cols; c++)
			more |= cur[c] != NULL;
	}
}

static void print_header(const struct timeline *t, struct layout *l,
			 FILE *out)
{
	char title[160];

	for (int c = 0; c < l->nr_cols; c++) {
		int col = l->cols[c];
		const char *name = t->names[col];

		l->cells[c].len = 0;
		if (col == 0)
			snprintf(title, sizeof(title), "%s",
				 name ? name : "setup (no CPU)");
		else if (name)
			snprintf(title, sizeof(title), "CPU %d: %s", col - 1,
				 name);
		else
			snprintf(title, sizeof(title), "CPU %d", col - 1);
		wrap_text(&l->cells[c], title, l->colw);
	}
	print_row(out, l, "step");
	for (size_t i = 0; i < l->stepw; i++)
		fputc('-', out);
	for (int c = 0; c < l->nr_cols; c++) {
		fputs("-+-", out);
		for (size_t i = 0; i < l->colw; i++)
			fputc('-', out);
	}
	fputc('\n', out);
}

/* Lay out events [i, j) (one step) into the cells; true when marked. */
static bool fill_row(const struct timeline *t, struct layout *l, size_t i,
		     size_t j)
{
	char text[TL_TEXT_MAX + 64];
	bool marked = false;

	for (int c = 0; c < l->nr_cols; c++)
		l->cells[c].len = 0;
	for (size_t k = i; k < j; k++) {
		const thpsim_event_t *ev = &t->ev[k];
		const char *mark = mark_of(t, ev->seq);
		int c = 0;
		size_t n;

		while (c < l->nr_cols && l->cols[c] != col_of(ev->cpu))
			c++;
		n = thpsim__timeline_text(ev, &l->frames, text, TL_TEXT_MAX);
		n = n < TL_TEXT_MAX ? n : TL_TEXT_MAX - 1;
		if (mark) {
			snprintf(text + n, sizeof(text) - n, " → %s", mark);
			marked = true;
		}
		if (c < l->nr_cols)
			wrap_text(&l->cells[c], text, l->colw);
	}
	return marked;
}

static void print_rows(const struct timeline *t, struct layout *l, FILE *out)
{
	char step[40];

	for (size_t i = 0, j; i < t->nr; i = j) {
		bool marked;

		j = i + 1;
		while (!l->per_event && j < t->nr &&
		       t->ev[j].step == t->ev[i].step)
			j++;
		marked = fill_row(t, l, i, j);
		snprintf(step, sizeof(step), "%s%" PRIu64,
			 marked ? ">" : "",
			 l->per_event ? t->ev[i].seq : t->ev[i].step);
		print_row(out, l, step);
	}
}

int timeline_render(struct timeline *t, FILE *out, unsigned width)
{
	struct layout *l;
	int rc = 0;

	if (!t || !out)
		return -THPSIM_EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -THPSIM_ENOMEM;
	pthread_mutex_lock(&t->lock);
	layout_columns(t, l);
	layout_widths(t, l, width);
	thpsim__pmap_init(&l->frames.map, TL_FRAMES_MAX);
	l->cells = calloc((size_t)l->nr_cols + 1, sizeof(*l->cells));
	if (l->cells) {
		print_header(t, l, out);
		print_rows(t, l, out);
		if (t->dropped)
			fprintf(out, "(%zu later events not recorded)\n",
				t->dropped);
	} else {
		rc = -THPSIM_ENOMEM;
	}
	pthread_mutex_unlock(&t->lock);
	for (int c = 0; l->cells && c < l->nr_cols; c++)
		free(l->cells[c].s);
	thpsim__pmap_free(&l->frames.map);
	free(l->line.s);
	free(l->cells);
	free(l);
	return rc;
}
