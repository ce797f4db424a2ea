/*
 * lab/scenario-list.h - the scenario catalogue (docs/KERNEL-NOTES.md
 * section 8), one line each: SCENARIO(id, title).  The CLI's `list`, the
 * Criterion theories and the benchmarks all expand this list; a scenario is one
 * line here plus lib/lab/scenarios/<id>.c defining <id>_scenario.
 * S9 (IPI placement ablation) is the ipi-sync fix's --ipi-placement knob
 * over S1-S5; S11 (cost/latency) is a stress workload, not a script.
 */
SCENARIO(S1, "anon collapse deposits the table, then a zap frees it under a stalled walker")
SCENARIO(S2, "file/shmem retract frees the table at once (6.1 collapse_and_free_pmd)")
SCENARIO(S3, "radix deposit writes list pointers into a table being walked")
SCENARIO(S4, "stale pin: the walker grabs after collapse's isolate refcount check")
SCENARIO(S5, "deposited table withdrawn by a split at another address")
SCENARIO(S6, "collapse fails and puts the same table back (control)")
SCENARIO(S7, "KVM PV flush skips the preempted walker; zap by MADV_DONTNEED")
SCENARIO(S8, "S1 with the mmu_gather batch-page allocation failing")
SCENARIO(S10, "RCU-only walker (6.5+ pte_offset_map, IRQs on) vs a retracted table")
SCENARIO(S12, "control: a split under gup_huge_pmd; the pmd recheck drops the reference")
SCENARIO(S13, "6.6 file retract without the mmap lock vs a UFFDIO_COPY into a private mapping")
