/*
 * lab/scenario-list.h - the scenario catalogue (docs/KERNEL-NOTES.md
 * section 8), one line each: SCENARIO(id), in `list` order.  A scenario is
 * one line here plus lib/lab/scenarios/<id>.c defining <id>_scenario on the
 * public API (thpsim/scenario_def.h), title included.
 * S9 (IPI placement ablation) is the ipi-sync fix's --ipi-placement knob
 * over S1-S5; S11 (cost/latency) is a stress workload, not a script.
 */
SCENARIO(S1)
SCENARIO(S2)
SCENARIO(S3)
SCENARIO(S4)
SCENARIO(S5)
SCENARIO(S6)
SCENARIO(S7)
SCENARIO(S8)
SCENARIO(S10)
SCENARIO(S12)
SCENARIO(S13)
