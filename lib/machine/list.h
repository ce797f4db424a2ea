/*
 * machine/list.h - a small circular doubly-linked list, shaped like the
 * kernel's include/linux/list.h so that code using it (the deposit list of
 * pgtable_trans_huge_deposit, the allocator's free list, the VMA list) reads
 * like the kernel.  Written anew; only the names follow the kernel.
 *
 * Not thread-safe: every list is protected by the lock its owner names.
 */
#ifndef THPSIM_MACHINE_LIST_H
#define THPSIM_MACHINE_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

#ifndef container_of
#define container_of(ptr, type, member)                                      \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

/* Link n between two adjacent entries a and b. */
static inline void __list_link(struct list_head *n, struct list_head *a,
			       struct list_head *b)
{
	n->prev = a;
	n->next = b;
	a->next = n;
	b->prev = n;
}

/* Insert n right after head (stack order). */
static inline void list_add(struct list_head *n, struct list_head *head)
{
	__list_link(n, head, head->next);
}

/* Insert n right before head (queue order). */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	__list_link(n, head->prev, head);
}

/* Unlink e and leave it pointing at itself (so list_empty(e) holds). */
static inline void list_del_init(struct list_head *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	INIT_LIST_HEAD(e);
}

/*
 * Unlink e.  The kernel poisons the pointers; here they point at the entry
 * itself, which keeps a stray second list_del() harmless and detectable
 * with list_empty().
 */
static inline void list_del(struct list_head *e)
{
	list_del_init(e);
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline bool list_is_singular(const struct list_head *h)
{
	return !list_empty(h) && h->next == h->prev;
}

/* Move every entry of list to the front of head; list ends up empty. */
static inline void list_splice_init(struct list_head *list,
				    struct list_head *head)
{
	if (list_empty(list))
		return;
	list->next->prev = head;
	list->prev->next = head->next;
	head->next->prev = list->prev;
	head->next = list->next;
	INIT_LIST_HEAD(list);
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member)                                 \
	list_entry((head)->next, type, member)
#define list_last_entry(head, type, member)                                  \
	list_entry((head)->prev, type, member)
#define list_first_entry_or_null(head, type, member)                         \
	(list_empty(head) ? NULL : list_first_entry(head, type, member))
#define list_next_entry(pos, member)                                         \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_prev_entry(pos, member)                                         \
	list_entry((pos)->member.prev, __typeof__(*(pos)), member)

#define list_for_each(pos, head)                                             \
	for (pos = (head)->next; pos != (head); pos = pos->next)

#define list_for_each_entry(pos, head, member)                               \
	for (pos = list_first_entry(head, __typeof__(*pos), member);         \
	     &pos->member != (head); pos = list_next_entry(pos, member))

/* Safe against removal of pos (n holds the next entry). */
#define list_for_each_entry_safe(pos, n, head, member)                       \
	for (pos = list_first_entry(head, __typeof__(*pos), member),         \
	     n = list_next_entry(pos, member);                               \
	     &pos->member != (head); pos = n, n = list_next_entry(n, member))

#endif /* THPSIM_MACHINE_LIST_H */
