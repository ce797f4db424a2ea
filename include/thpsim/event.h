/*
 * thpsim/event.h - the observation stream.
 *
 * Every layer reports what happens as events: physical memory (frame
 * allocated, freed, a table's state changed), page-table stores (which
 * entry changed from what to what), walkers (what they read, grabbed,
 * rechecked, pinned), IPIs, grace periods, collapses.  The oracle, the
 * timeline and the trace exporter all read this one stream; the oracle's
 * only inputs are these events (never a profile's or strategy's name).
 *
 * Field use per kind is listed next to each kind; unused fields are 0
 * (pointers NULL).  `cpu` is the emitting CPU (-1: none, e.g. setup code).
 */
#ifndef THPSIM_EVENT_H
#define THPSIM_EVENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, "what it means; fields") */
#define THPSIM_EVENT_KINDS(X)                                                \
	/* physical memory (phys observer) */                                \
	X(FRAME_ALLOC, "frame pfn allocated: arg=alloc kind, level=order, gen")    \
	X(FRAME_FREE, "frame pfn freed and poisoned: arg=alloc kind, level=order, gen (new)")   \
	X(TABLE_STATE, "table pfn changed state: arg=new state, val=old state, gen")\
	/* page-table stores (mm accessors) */                               \
	X(ENTRY_SET, "entry idx of table pfn (level) covering addr (always set for pmds): val=old, val2=new") \
	/* walkers (GUP-fast, RCU walker, slow path) */                      \
	X(WALK_BEGIN, "walker starts at addr: arg=walker kind")              \
	X(WALK_READ, "walker at addr read entry idx of table pfn (level): val, gen=table gen now, arg=table state now") \
	X(WALK_GRAB, "walker took a reference on page pfn2 (the exact subpage) for the page at addr: arg=1 ok/0 failed, val=refs") \
	X(WALK_RECHECK, "walker at addr rechecked entry idx of table pfn (level): arg=1 same/0 changed, val=seen first, val2=seen now") \
	X(WALK_UNGRAB, "walker dropped its speculative reference on pfn2 for addr") \
	X(WALK_PIN, "walker returned a stable reference on pfn2 for addr")   \
	X(WALK_BAIL, "walker gave up at level: what=why")                    \
	X(WALK_END, "walker done: arg=pages pinned by the fast path")        \
	X(WALK_UNPIN, "walker released a pin on pfn2 (addr)")                \
	/* interrupts, grace periods */                                      \
	X(IRQ_OFF, "cpu masked interrupts (outermost)")                      \
	X(IRQ_ON, "cpu unmasked interrupts (outermost)")                     \
	X(IPI_SEND, "cpu queued an IPI to arg=target: what=\"sync\" (the empty sync IPI) or \"call\"") \
	X(IPI_RUN, "cpu ran an IPI from arg=sender: what=\"sync\" or \"call\"") \
	X(IPI_WAIT, "cpu waits for arg=target's ack: val bit 0 target masked, bit 1 its vCPU preempted") \
	X(IPI_WAIT_END, "cpu's wait for arg=target ended")                   \
	X(TLB_FLUSH, "cpu flushed [addr, val): what=how")                    \
	X(RCU_GP_START, "grace period val started")                          \
	X(RCU_GP_END, "grace period val ended")                              \
	X(RCU_CALLBACK, "RCU callback ran: what=which")                      \
	X(VCPU_PREEMPT, "CPU val's vCPU was preempted (arg=1) or resumed (arg=0)") \
	/* kernel paths */                                                   \
	X(COLLAPSE_BEGIN, "collapse of [addr, +HPAGE) starts: what=path")    \
	X(ISOLATE, "isolate of pfn2 at addr: arg=1 ok, val=refcount, val2=mapcount") \
	X(COPY, "collapse copied pfn2 (at addr) into pfn: arg=1 bytes equal") \
	X(DEPOSIT, "table pfn deposited on the list of pmd table pfn2: what=layout") \
	X(WITHDRAW, "table pfn withdrawn from the list of pmd table pfn2")   \
	X(COLLAPSE_END, "collapse ends: arg=scan result, what=its name")     \
	X(SPLIT, "huge pmd at addr split into table pfn")                    \
	X(ZAP, "zap of [addr, val)")                                         \
	X(TABLE_FREE, "table pfn handed to a free path: what=how")           \
	X(STRATEGY, "strategy hook ran: what=hook")                          \
	X(NOTE, "free text: what")

enum thpsim_event_kind {
#define THPSIM__EV_ENUM(name, doc) THPSIM_EV_##name,
	THPSIM_EVENT_KINDS(THPSIM__EV_ENUM)
#undef THPSIM__EV_ENUM
	THPSIM_EV__NR
};

/* Walker kinds for WALK_BEGIN.arg. */
enum thpsim_walker_kind {
	THPSIM_WALKER_GUP_FAST = 0,	/* IRQs off (mm/gup.c 6.1) */
	THPSIM_WALKER_RCU = 1,		/* pte_offset_map under rcu_read_lock (6.5+) */
	THPSIM_WALKER_SLOW = 2,		/* mmap_read_lock + PTL */
};

typedef struct thpsim_event {
	uint64_t seq;		/* order in the stream, from 0 */
	uint64_t step;		/* deterministic step (0 in free mode) */
	int cpu;		/* emitting CPU, -1 none */
	int point;		/* scheduling point last passed by cpu, -1 */
	enum thpsim_event_kind kind;
	int level;		/* table level as struct page pt_level: 1 = pte, 2 = pmd, ... */
	int idx;		/* entry index in its table */
	int arg;
	uint64_t addr;		/* virtual address */
	uint64_t pfn;		/* a frame (usually the table) */
	uint64_t pfn2;		/* a second frame (usually the data page) */
	uint64_t val, val2;
	uint64_t gen;		/* frame generation */
	const char *what;	/* static string */
} thpsim_event_t;

const char *thpsim_event_kind_name(enum thpsim_event_kind k);

/*
 * A consumer of the stream.  Called synchronously on the emitting thread
 * (so under the deterministic scheduler, in step order); a free-running
 * consumer must be thread-safe.
 */
typedef void (*thpsim_event_fn)(const thpsim_event_t *ev, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* THPSIM_EVENT_H */
