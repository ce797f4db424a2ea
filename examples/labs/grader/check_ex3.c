/*
 * check_ex3.c - exercise 3: find the profile (and scenario) that breaks
 * a strategy.
 *
 *   check_ex3 ANSWERS.txt
 *
 * Lines "a: CELL", "b: CELL", "c: CELL" (CELL as `thpsim run` arguments
 * without --fix).  For each question the checker runs the named cell
 * with the strategy asked about and with the one it is compared to:
 *   1 point when the strategy's run is a violation there,
 *   1 more when the comparison strategy's run is not (so it is the
 *     strategy that breaks, not the scenario).
 */
#include "cell.h"
#include "grade.h"

static const struct question {
	char id;
	const char *broken, *sound;
	const char *text;
} questions[] = {
	{ 'a', "ipi-sync-targeted", "ipi-sync",
	  "a cell where ipi-sync-targeted is a violation and ipi-sync is not" },
	{ 'b', "skip-redundant-sync", "ipi-sync",
	  "a cell where skip-redundant-sync is a violation and ipi-sync is not" },
	{ 'c', "fresh-table", "rcu-fallback",
	  "a cell (a knob allowed) where fresh-table is a violation and rcu-fallback is not" },
};
#define NR_QUESTIONS (sizeof(questions) / sizeof(questions[0]))

int main(int argc, char **argv)
{
	struct grade g = { "ex3", 0, 0 };
	char cells[NR_QUESTIONS][256] = { { 0 } };
	char line[256], err[256], what[1536];
	FILE *f;

	grade_begin();
	if (argc != 2) {
		fprintf(stderr, "usage: check_ex3 ANSWERS.txt\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f)
		printf("  cannot open %s\n", argv[1]);
	while (f && fgets(line, sizeof(line), f)) {
		char *l = cell_line(line);

		for (unsigned q = 0; l && q < NR_QUESTIONS; q++)
			if (l[0] == questions[q].id && l[1] == ':')
				snprintf(cells[q], sizeof(cells[q]), "%s", l + 2);
	}
	if (f)
		fclose(f);
	for (unsigned q = 0; q < NR_QUESTIONS; q++) {
		const struct question *qu = &questions[q];
		int broken = -1, sound = -1;
		char words[sizeof(cells[0])];
		struct cell c;

		memcpy(words, cells[q], sizeof(words));
		if (!cells[q][0] || strstr(cells[q], "--fix")) {
			snprintf(what, sizeof(what), "%c: %s: %s", qu->id, qu->text,
				 !cells[q][0] ? "no answer" : "name the cell without --fix");
			grade_item(&g, false, 2, what);
			continue;
		}
		if (cell_parse(words, &c, err, sizeof(err))) {
			snprintf(what, sizeof(what), "%c: '%s': %s", qu->id, cells[q], err);
			grade_item(&g, false, 2, what);
			continue;
		}
		broken = grade_run(c.scenario, c.profile, qu->broken, c.geometry, &c.knobs);
		sound = grade_run(c.scenario, c.profile, qu->sound, c.geometry, &c.knobs);
		snprintf(what, sizeof(what), "%c: %s with %s: %s", qu->id, cells[q],
			 qu->broken, broken < 0 ? "run failed" :
			 thpsim_outcome_name((thpsim_outcome_t)broken));
		grade_item(&g, broken >= 0 &&
			   thpsim_outcome_is_violation((thpsim_outcome_t)broken), 1, what);
		snprintf(what, sizeof(what), "%c: %s with %s: %s", qu->id, cells[q],
			 qu->sound, sound < 0 ? "run failed" :
			 thpsim_outcome_name((thpsim_outcome_t)sound));
		grade_item(&g, broken >= 0 && sound >= 0 &&
			   thpsim_outcome_is_violation((thpsim_outcome_t)broken) &&
			   !thpsim_outcome_is_violation((thpsim_outcome_t)sound), 1, what);
	}
	return grade_done(&g);
}
