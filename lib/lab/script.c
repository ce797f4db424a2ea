/* script.c - the scripted policy (see script.h). */
#include <string.h>

#include "lab/script.h"

void script_init(struct script_state *st, const thpsim_script_step_t *steps)
{
	*st = (struct script_state){ .steps = steps };
}

static int thread_by_name(const struct detsched *s, char name)
{
	for (int i = 0; i < s->nr_threads; i++)
		if (s->threads[i].name[0] == name)
			return i;
	return -1;
}

/* Is the current step over?  A step never ends before it ran once. */
static bool step_done(struct script_state *st, const struct detsched *s,
		      const thpsim_script_step_t *step, int t)
{
	const struct dthread *th;

	if (t < 0)
		return true;	/* no such thread in this run: skip */
	th = &s->threads[t];
	if (th->state != DT_RUNNABLE)
		return true;
	return st->ran && step->op == THPSIM_STEP_RUN_UNTIL &&
	       th->at_point == step->point;
}

/* After the script: non-daemons first, lowest index first. */
static int run_out(const struct detsched *s, struct det_decision *d)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < s->nr_threads; i++) {
			const struct dthread *t = &s->threads[i];

			if (t->state == DT_RUNNABLE && t->daemon == (pass == 1)) {
				*d = (struct det_decision){ DET_RUN, i };
				return 0;
			}
		}
	return 1;
}

/*
 * Daemons (the RCU thread) are eager: whenever one can run, it runs
 * first, so a grace period ends and its callbacks run as soon as nothing
 * holds them back, not when the script happens to name them.
 */
static int eager_daemon(const struct detsched *s, struct det_decision *d)
{
	for (int i = 0; i < s->nr_threads; i++)
		if (s->threads[i].daemon && s->threads[i].state == DT_RUNNABLE) {
			*d = (struct det_decision){ DET_RUN, i };
			return 1;
		}
	return 0;
}

int script_next(void *arg, const struct detsched *s, struct det_decision *d)
{
	struct script_state *st = arg;

	if (eager_daemon(s, d))
		return 0;
	for (;;) {
		const thpsim_script_step_t *step = &st->steps[st->pc];
		int t;

		if (step->op == THPSIM_STEP_END)
			return run_out(s, d);
		t = thread_by_name(s, step->thread);
		if (step->op == THPSIM_STEP_PREEMPT) {
			st->pc++;
			st->script_steps_done++;
			if (t < 0 || s->threads[t].state != DT_RUNNABLE)
				continue;
			*d = (struct det_decision){ DET_PREEMPT, t };
			return 0;
		}
		if (step_done(st, s, step, t)) {
			st->pc++;
			st->ran = false;
			st->script_steps_done++;
			continue;
		}
		st->ran = true;
		*d = (struct det_decision){ DET_RUN, t };
		return 0;
	}
}
