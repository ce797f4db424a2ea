/*
 * policy_replay.c - replay a schedule string's decisions, one by one.
 *
 * The run must be the one that was recorded: every decision must name a
 * runnable thread, and the decisions must end exactly when the run does.
 * Anything else is an error with a message saying at which step the
 * schedule stopped fitting (a hand-edited string with a valid checksum,
 * or a model that changed since the string was printed); the run then
 * goes on as the script's run-out would (daemons first, then the lowest
 * runnable thread), so it ends and is torn down like any other.
 */
#include <stdio.h>

#include "lab/explore.h"

static int thread_named(const struct detsched *s, char name)
{
	for (int i = 0; i < s->nr_threads; i++)
		if (s->threads[i].name[0] == name && !s->threads[i].name[1])
			return i;
	return -1;
}

/* After a misfit: daemons first, then the lowest runnable thread. */
static int run_out(const struct detsched *s, struct det_decision *d)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < s->nr_threads; i++) {
			const struct dthread *t = &s->threads[i];

			if (t->state == DT_RUNNABLE && t->daemon == (pass == 0)) {
				*d = (struct det_decision){ DET_RUN, i };
				return 0;
			}
		}
	return 1;
}

static int replay_next(void *arg, const struct detsched *s,
		       struct det_decision *d)
{
	struct replay_state *st = arg;
	const struct sched_token *t;
	int idx;

	if (st->error[0])
		return run_out(s, d);
	if (st->tok >= st->sc->nr_tok) {
		snprintf(st->error, sizeof(st->error),
			 "the schedule ends at step %llu, before the run does",
			 (unsigned long long)st->step);
		return run_out(s, d);
	}
	t = &st->sc->tok[st->tok];
	idx = thread_named(s, t->name);
	if (idx < 0 || s->threads[idx].state != DT_RUNNABLE) {
		const struct dthread *th = idx < 0 ? NULL : &s->threads[idx];
		char why[96] = "is not a thread of this run";

		if (th && th->state == DT_BLOCKED && th->wait_what) {
			if (th->wait_owner_cpu >= 0)
				snprintf(why, sizeof(why),
					 "is blocked then (waits for %s held by CPU %d)",
					 th->wait_what, th->wait_owner_cpu);
			else
				snprintf(why, sizeof(why),
					 "is blocked then (waits for %s)",
					 th->wait_what);
		} else if (th) {
			snprintf(why, sizeof(why), "cannot run then (%s)",
				 th->state == DT_DONE ? "it has ended" :
				 th->state == DT_BLOCKED ? "it is blocked" :
				 "it is not runnable");
		}
		snprintf(st->error, sizeof(st->error),
			 "at step %llu the schedule %s %c, which %s",
			 (unsigned long long)st->step + 1,
			 t->kind == DET_RUN ? "runs" : "preempts", t->name, why);
		return run_out(s, d);
	}
	*d = (struct det_decision){ t->kind, idx };
	st->step++;
	if (++st->done >= t->count) {
		st->tok++;
		st->done = 0;
	}
	return 0;
}

void policy_replay_init(struct det_policy *p, struct replay_state *st,
			const struct schedule *sc)
{
	*st = (struct replay_state){ .sc = sc };
	*p = (struct det_policy){ "replay", replay_next, st };
}

bool policy_replay_finished(const struct replay_state *st)
{
	return st->tok == st->sc->nr_tok && !st->error[0];
}
