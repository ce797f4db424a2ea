/* cmd_list.c - `thpsim list`: scenarios, fixes, profiles and knobs. */
#include <stdio.h>

#include "thpsim/thpsim.h"
#include "thpsim/scenario.h"
#include "cmds.h"
#include "opts.h"

static void list_scenarios(void)
{
	unsigned n;
	const thpsim_scenario_info_t *s = thpsim_scenario_list(&n);

	printf("scenarios:\n");
	for (unsigned i = 0; i < n; i++)
		printf("  %-5s %s\n", s[i].id, s[i].title);
}

static void list_fixes(void)
{
	printf("\nfixes (--fix):\n");
	for (unsigned i = 0; i < thpsim_strategy_count(); i++) {
		const struct thpsim_strategy_ops *o = thpsim_strategy_at(i);

		printf("  %-20s %s\n", o->name, o->description);
	}
}

static void list_profiles(void)
{
	const thpsim_profile_t *const *p = thpsim_profile_list();

	printf("\nprofiles (--profile):\n");
	for (int i = 0; p[i]; i++)
		printf("  %-16s %s\n  %-16s   flush: %s; RCU table free: %s; deposit: %s%s\n",
		       p[i]->name, p[i]->description, "",
		       thpsim_tlb_flush_kind_name(p[i]->tlb_flush),
		       p[i]->rcu_table_free ? "on" : "off",
		       p[i]->deposit == THPSIM_DEPOSIT_RADIX ? "radix slots 0-1" :
							      "generic",
		       p[i]->guest ? "; guest (host preempts vCPUs)" : "");
}

static void list_knobs(void)
{
	printf("\nknobs (a knob that does not apply to a fix or profile is ignored):\n"
	       "  --no-pmd-recheck          GUP-fast without the pmd recheck (before 70cbc3cc78a99); every fix\n"
	       "  --no-retract-recheck      6.6 file retract without its anon_vma recheck under the PTE lock;\n"
	       "                            fixes whose file path follows 6.6 locking (pte-free-defer)\n"
	       "  --radix-garbage-passes    radix deposit words pass the access check; ppc64-radix only\n"
	       "  --fail-table-batch        the mmu_gather batch page cannot be allocated; RCU-batch profiles,\n"
	       "                            fixes that free through mmu_gather (fresh-table, rcu-fallback)\n"
	       "  --ipi-placement WHERE     after-flush | after-isolate | after-deposit; ipi-sync only\n"
	       "  --geometry LxE            levels (2-5) x entries (4-512, power of two); every scenario\n");
}

int cmd_list(int argc, char **argv)
{
	const struct opt opts[] = { { NULL, OPT_FLAG, NULL, NULL, NULL, 0, 0, NULL, NULL } };
	const struct cmd cmd = { "list", "thpsim list",
				 "List the scenarios, fixes, profiles and knobs.",
				 opts, 0 };
	int err = opts_parse(&cmd, argc, argv, NULL, NULL);

	if (err)
		return err == OPTS_HELP ? EXIT_CLEAN : EXIT_USAGE;
	list_scenarios();
	list_fixes();
	list_profiles();
	list_knobs();
	return EXIT_CLEAN;
}
