/*
 * invariant_registry.c - a lab's invariants by name (thpsim/observe.h),
 * for the command's --invariant.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "machine/errors.h"
#include "thpsim/observe.h"

static const thpsim_invariant_t *registered[THPSIM_INVARIANTS_MAX];
static unsigned nr_registered;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static bool name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Under the lock: its index, or -1. */
static int index_of(const char *name)
{
	for (unsigned i = 0; name && i < nr_registered; i++)
		if (!strcmp(registered[i]->name, name))
			return (int)i;
	return -1;
}

int thpsim_invariant_register(const thpsim_invariant_t *inv)
{
	int err = 0;

	if (!inv)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_invariant_register: inv is NULL");
	if (!name_ok(inv->name))
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_invariant_register: name '%s' (allowed: 1 to 63 of A-Z a-z 0-9 . _ -)",
				   inv->name ? inv->name : "(null)");
	pthread_mutex_lock(&registry_lock);
	if (index_of(inv->name) >= 0)
		err = thpsim__err(-THPSIM_EEXIST,
				  "thpsim_invariant_register: '%s' is already registered",
				  inv->name);
	else if (nr_registered == THPSIM_INVARIANTS_MAX)
		err = thpsim__err(-THPSIM_ENOSPC,
				  "thpsim_invariant_register: '%s': all %d slots are taken (unregister one)",
				  inv->name, THPSIM_INVARIANTS_MAX);
	else
		registered[nr_registered++] = inv;
	pthread_mutex_unlock(&registry_lock);
	return err;
}

int thpsim_invariant_unregister(const char *name)
{
	int i;

	pthread_mutex_lock(&registry_lock);
	i = index_of(name);
	if (i >= 0) {
		memmove(&registered[i], &registered[i + 1],
			(nr_registered - (unsigned)i - 1) * sizeof(registered[0]));
		nr_registered--;
	}
	pthread_mutex_unlock(&registry_lock);
	if (i < 0)
		return thpsim__err(-THPSIM_ENOENT,
				   "thpsim_invariant_unregister: '%s' is not registered",
				   name ? name : "(null)");
	return 0;
}

const thpsim_invariant_t *thpsim_invariant_find(const char *name)
{
	const thpsim_invariant_t *inv = NULL;
	char allowed[512];
	size_t off = 0;
	int i;

	allowed[0] = '\0';
	pthread_mutex_lock(&registry_lock);
	i = index_of(name);
	if (i >= 0)
		inv = registered[i];
	for (unsigned k = 0; !inv && k < nr_registered && off < sizeof(allowed); k++)
		off += (size_t)snprintf(allowed + off, sizeof(allowed) - off, "%s%s",
					k ? ", " : "", registered[k]->name);
	pthread_mutex_unlock(&registry_lock);
	if (!inv)
		thpsim__err(-THPSIM_EINVAL, "unknown invariant '%s' (%s%s)",
			    name ? name : "(null)",
			    allowed[0] ? "registered: " : "none registered: a lab program registers its own with thpsim_invariant_register",
			    allowed);
	return inv;
}

unsigned thpsim_invariant_count(void)
{
	unsigned n;

	pthread_mutex_lock(&registry_lock);
	n = nr_registered;
	pthread_mutex_unlock(&registry_lock);
	return n;
}

const thpsim_invariant_t *thpsim_invariant_at(unsigned i)
{
	const thpsim_invariant_t *inv;

	pthread_mutex_lock(&registry_lock);
	inv = i < nr_registered ? registered[i] : NULL;
	pthread_mutex_unlock(&registry_lock);
	return inv;
}
