/*
 * A broken exercise-2 submission for tests/lab/grade-broken.sh: its anon
 * deposit returns NULL (a model rule broken: the run ends with
 * -THPSIM_EMODEL, the checker goes on) and its retract aborts
 * (the checker dies: grade.sh must still score the other exercises).
 */
#include <stdlib.h>

#include "lab.h"

static void dispose_nothing(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
}

static thpsim_pgtable_t deposit_null(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
	return NULL;
}

static void retract_crash(thpsim_strategy_ctx_t *ctx)
{
	(void)ctx;
	abort();
}

static const struct thpsim_strategy_ops student_ops = {
	.name = "student",
	.description = "broken on purpose",
	.collapse_dispose_old_table = dispose_nothing,
	.collapse_deposit_table = deposit_null,
	.retract_clear_and_free = retract_crash,
};

int lab_ex2_register(void)
{
	return thpsim_strategy_register(&student_ops);
}
