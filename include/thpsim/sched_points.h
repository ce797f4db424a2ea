/*
 * thpsim/sched_points.h - the named scheduling points (included by
 * thpsim/machine.h).
 *
 * Every shared access of the mm layer passes one of these points.  A
 * scenario script stops a thread at one ("run G until
 * THPSIM_SP_GUP_AFTER_PMD_READ", thpsim/scenario_def.h); exploration
 * switches threads at them; the deterministic scheduler reports where a
 * thread waits by them.  The numbering is the order below and may grow
 * between releases: store names (thpsim_sched_point_name /
 * thpsim_sched_point_parse), not numbers.
 */
#ifndef THPSIM_SCHED_POINTS_H
#define THPSIM_SCHED_POINTS_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name): the catalogue of scheduling points.  Add new points here. */
#define THPSIM_SCHED_POINTS(X)                                               \
	X(IRQ_SAVE)                                                          \
	X(IRQ_RESTORE)                                                       \
	X(IPI_SEND)                                                          \
	X(IPI_WAIT)                                                          \
	X(LOCK)                                                              \
	X(UNLOCK)                                                            \
	X(RCU_READ_LOCK)                                                     \
	X(RCU_READ_UNLOCK)                                                   \
	X(RCU_GP_START)                                                      \
	X(RCU_GP_END)                                                        \
	X(SYNCHRONIZE_RCU)                                                   \
	X(ENTRY_LOAD)                                                        \
	X(ENTRY_STORE)                                                       \
	X(PAGE_REF)                                                          \
	X(PAGE_ALLOC)                                                        \
	X(PAGE_FREE)                                                         \
	X(FAULT)                                                             \
	X(ZAP)                                                               \
	X(GUP_AFTER_PGD_READ)                                                \
	X(GUP_AFTER_PMD_READ)                                                \
	X(GUP_AFTER_PTE_READ)                                                \
	X(GUP_BEFORE_GRAB)                                                   \
	X(GUP_AFTER_GRAB)                                                    \
	X(GUP_AFTER_RECHECK)                                                 \
	X(RCU_WALK_AFTER_MAP)                                                \
	X(COLLAPSE_AFTER_SCAN)                                               \
	X(COLLAPSE_BEFORE_FLUSH)                                             \
	X(COLLAPSE_AFTER_FLUSH)                                              \
	X(COLLAPSE_AFTER_ISOLATE)                                            \
	X(COLLAPSE_AFTER_COPY)                                               \
	X(COLLAPSE_AFTER_DEPOSIT)                                            \
	X(RETRACT_BEFORE_LOCK)                                               \
	X(RETRACT_AFTER_CLEAR)                                               \
	X(COLLAPSE_BEFORE_RETRACT)                                           \
	X(TLB_FLUSH)                                                         \
	X(TABLE_FREE)

/* THPSIM_SP_IRQ_SAVE, ..., THPSIM_SP_TABLE_FREE; THPSIM_SP_COUNT of them. */
enum thpsim_sched_point {
#define THPSIM__SP_ENUM(name) THPSIM_SP_##name,
	THPSIM_SCHED_POINTS(THPSIM__SP_ENUM)
#undef THPSIM__SP_ENUM
	THPSIM_SP__NR
};

#define THPSIM_SP_COUNT ((int)THPSIM_SP__NR)

/* Name of a scheduling point ("GUP_AFTER_PMD_READ"), "?" if unknown. */
const char *thpsim_sched_point_name(int point);
/*
 * The point of a name, case-insensitive, with or without the "THPSIM_SP_"
 * prefix ("gup_after_pmd_read", "THPSIM_SP_GUP_AFTER_PMD_READ"); -1 for
 * NULL or an unknown name (thpsim_errmsg() then lists the names).
 */
int thpsim_sched_point_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_SCHED_POINTS_H */
