/*
 * thpsim/thpsim.h - the umbrella header: include this one.
 *
 * thpsim simulates, in user mode, the Linux page-table machinery where
 * tables are freed or reused while lockless walkers (GUP-fast) read them.
 * Layers, bottom up (docs/DESIGN.md section 2):
 *   errors.h   - int error codes, thpsim_strerror(), thpsim_errmsg()
 *   machine.h  - CPUs, soft IRQ mask, pseudo-IPIs, scheduling points
 *   phys.h     - physical frames with struct-page-like metadata
 *   arch.h     - architecture profiles (TLB flush kind, RCU table free, deposit)
 *   mm.h       - geometry, page tables, address spaces (VMAs, faults, zap),
 *                GUP-fast, khugepaged collapse, THP split
 *   strategy.h - fix strategies, knobs, an mm's kernel configuration
 *   event.h    - the observation stream every layer reports into
 *   lab.h      - outcome classes and verdicts of the oracle
 *   observe.h  - a run's events to a lab, its own invariants, the oracle
 *                and the timeline as objects
 *   scenario.h - the scenario catalogue and deterministic runs
 *   explore.h  - exploration policies, schedule strings, replay, traces
 *   workload.h - free-running stress on real threads, signals and liburcu
 *   stats.h    - latency histograms: p50/p90/p99/max, CDFs
 */
#ifndef THPSIM_THPSIM_H
#define THPSIM_THPSIM_H

#define THPSIM_VERSION_MAJOR 0
#define THPSIM_VERSION_MINOR 1
#define THPSIM_VERSION_PATCH 0
#define THPSIM_VERSION_STRING "0.1.0"

#include "thpsim/errors.h"
#include "thpsim/machine.h"
#include "thpsim/phys.h"
#include "thpsim/arch.h"
#include "thpsim/mm.h"
#include "thpsim/strategy.h"
#include "thpsim/event.h"
#include "thpsim/lab.h"
#include "thpsim/observe.h"
#include "thpsim/scenario.h"
#include "thpsim/explore.h"
#include "thpsim/stats.h"
#include "thpsim/workload.h"
#include "thpsim/cli.h"
#include "thpsim/scale.h"

#endif /* THPSIM_THPSIM_H */
