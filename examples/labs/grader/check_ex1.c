/*
 * check_ex1.c - exercise 1: predict the outcome of a scripted run.
 *
 *   check_ex1 ANSWERS.txt
 *
 * Each question is a cell; the student's file gives "CELL = OUTCOME" per
 * line.  The checker runs every cell through the model and gives a point
 * per outcome named right.  A cell missing from the file, or answered
 * "?", scores nothing.
 */
#include "cell.h"
#include "grade.h"

static const char *const questions[] = {
	"S1 --profile arm64 --fix none",
	"S1 --profile x86 --fix none",
	"S1 --profile x86-kvm-pv --fix none",
	"S1 --profile arm64 --fix ipi-sync",
	"S1 --profile arm64 --fix fresh-table",
	"S3 --profile ppc64-radix --fix none",
	"S4 --profile arm64 --fix none --no-pmd-recheck",
	"S10 --profile arm64 --fix ipi-sync",
};
#define NR_QUESTIONS (sizeof(questions) / sizeof(questions[0]))

/* The same cell however it was spaced: compare parsed cells. */
static bool same_cell(const struct cell *a, const struct cell *b)
{
	return !strcasecmp(a->scenario, b->scenario) &&
	       !strcmp(a->profile, b->profile) && !strcmp(a->fix, b->fix) &&
	       !strcmp(a->geometry, b->geometry) &&
	       !memcmp(&a->knobs, &b->knobs, sizeof(a->knobs));
}

int main(int argc, char **argv)
{
	struct grade g = { "ex1", 0, 0 };
	char answers[NR_QUESTIONS][32] = { { 0 } };
	char line[512], err[256], what[768];
	FILE *f;

	grade_begin();
	if (argc != 2) {
		fprintf(stderr, "usage: check_ex1 ANSWERS.txt\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		printf("  cannot open %s\n", argv[1]);
		return grade_done(&g);
	}
	for (unsigned ln = 1; fgets(line, sizeof(line), f); ln++) {
		char *l = cell_line(line), *eq;
		struct cell c;

		if (!l)
			continue;
		eq = strchr(l, '=');
		if (!eq) {
			printf("  %s:%u: no '= OUTCOME'\n", argv[1], ln);
			continue;
		}
		*eq = 0;
		if (cell_parse(l, &c, err, sizeof(err))) {
			printf("  %s:%u: %s\n", argv[1], ln, err);
			continue;
		}
		for (unsigned q = 0; q < NR_QUESTIONS; q++) {
			char qs[128];
			struct cell qc;

			snprintf(qs, sizeof(qs), "%s", questions[q]);
			if (!cell_parse(qs, &qc, err, sizeof(err)) &&
			    same_cell(&c, &qc))
				sscanf(eq + 1, " %31s", answers[q]);
		}
	}
	fclose(f);
	for (unsigned q = 0; q < NR_QUESTIONS; q++) {
		char qs[128];
		struct cell c;
		int outcome, said = thpsim_outcome_parse(answers[q]);

		snprintf(qs, sizeof(qs), "%s", questions[q]);
		if (cell_parse(qs, &c, err, sizeof(err)))
			return fprintf(stderr, "check_ex1: %s\n", err), 3;
		outcome = grade_run(c.scenario, c.profile, c.fix, c.geometry,
				    &c.knobs);
		snprintf(what, sizeof(what), "%s = %s%s", questions[q],
			 answers[q][0] ? answers[q] : "(no answer)",
			 said < 0 && answers[q][0] && strcmp(answers[q], "?") ?
				 " (not an outcome name)" : "");
		grade_item(&g, outcome >= 0 && said == outcome, 1, what);
	}
	return grade_done(&g);
}
