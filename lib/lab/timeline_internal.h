/*
 * lab/timeline_internal.h - shared by timeline.c (recording, layout) and
 * timeline_text.c (events in words).  Not for use outside lib/lab/.
 */
#ifndef THPSIM_LAB_TIMELINE_INTERNAL_H
#define THPSIM_LAB_TIMELINE_INTERNAL_H

#include "lab/oracle_map.h"
#include "lab/timeline.h"

/* What the renderer learnt about frames so far: pfn -> v0 generation,
 * v1 alloc kind + 1, v2 freed. */
struct tl_frames {
	struct pmap map;
};

#define TL_FRAMES_MAX (1u << 20)

/* timeline_event_text() with the renderer's memory (fr may be NULL). */
size_t thpsim__timeline_text(const thpsim_event_t *ev, struct tl_frames *fr,
			     char *buf, size_t len);

#endif /* THPSIM_LAB_TIMELINE_INTERNAL_H */
