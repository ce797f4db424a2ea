/*
 * scenario_registry.c - the catalogue and the scenarios a lab registers
 * (thpsim/scenario_def.h).
 *
 * One table of entries, the catalogue first (lab/scenario-list.h, in
 * order), then registered ones in registration order; unregistering
 * closes the gap, so thpsim_scenario_list() stays one array.  Read and
 * written under a mutex: lookups happen once per run, never on a hot
 * path.  Each entry holds a copy of the definition and its info (id,
 * title, thread text).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lab/scenario.h"
#include "machine/errors.h"

static const thpsim_scenario_def_t *const catalogue[] = {
#define SCENARIO(id) &id##_scenario,
#include "lab/scenario-list.h"
#undef SCENARIO
};

#define NR_CATALOGUE (sizeof(catalogue) / sizeof(catalogue[0]))
#define NR_ENTRIES (NR_CATALOGUE + THPSIM_SCENARIO_REGISTRY_MAX)
#define THREADS_TEXT_MAX 256

struct scenario_entry {
	thpsim_scenario_def_t def;
	char threads[THREADS_TEXT_MAX];
};

static struct scenario_entry entries[NR_ENTRIES];
static thpsim_scenario_info_t infos[NR_ENTRIES];
static unsigned nr_entries;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t catalogue_once = PTHREAD_ONCE_INIT;

/* Letters a thread may have, in CPU order, and the CPU of each. */
static const char thread_letters[] = "KGUSWL";

int scenario_thread_cpu(char name)
{
	switch (name) {
	case 'K': return CPU_K;
	case 'G': return CPU_G;
	case 'U': return CPU_U;
	case 'S': return CPU_S;
	case 'W': return CPU_W;
	case 'L': return CPU_L;
	}
	return -1;
}

/* e's info points into e; lock held (or the once-init). */
static void entry_add(const thpsim_scenario_def_t *def)
{
	struct scenario_entry *e = &entries[nr_entries];
	size_t off = 0;

	e->def = *def;
	e->threads[0] = 0;
	for (int i = 0; i < THPSIM_SCENARIO_THREADS_MAX && def->threads[i].name; i++)
		if (off < sizeof(e->threads))
			off += (size_t)snprintf(e->threads + off, sizeof(e->threads) - off,
						"%s%c: %s", i ? "; " : "",
						def->threads[i].name,
						def->threads[i].role);
	infos[nr_entries] = (thpsim_scenario_info_t){ e->def.id, e->def.title,
						      e->threads };
	nr_entries++;
}

/* Entries move when one is removed: re-point every info. */
static void infos_repoint(void)
{
	for (unsigned i = 0; i < nr_entries; i++)
		infos[i] = (thpsim_scenario_info_t){ entries[i].def.id,
						     entries[i].def.title,
						     entries[i].threads };
}

static void catalogue_init(void)
{
	for (unsigned i = 0; i < NR_CATALOGUE; i++)
		entry_add(catalogue[i]);
}

static void registry_lock_init(void)
{
	pthread_once(&catalogue_once, catalogue_init);
	pthread_mutex_lock(&registry_lock);
}

/* Lock held. */
static int entry_index(const char *id)
{
	for (unsigned i = 0; id && i < nr_entries; i++)
		if (!strcasecmp(id, entries[i].def.id))
			return (int)i;
	return -1;
}

/* "S1, S2, ..., LAB1" into buf; lock held. */
static void ids_text(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < nr_entries && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
					i ? ", " : "", entries[i].def.id);
}

static int unknown_id(const char *id)
{
	char ids[512];

	ids_text(ids, sizeof(ids));
	return thpsim__err(-THPSIM_EINVAL, "scenario: unknown id '%s' (allowed: %s)",
			   id ? id : "(null)", ids);
}

const thpsim_scenario_info_t *thpsim_scenario_list(unsigned *n)
{
	registry_lock_init();
	if (n)
		*n = nr_entries;
	pthread_mutex_unlock(&registry_lock);
	return infos;
}

const thpsim_scenario_info_t *thpsim_scenario_find(const char *id)
{
	const thpsim_scenario_info_t *info = NULL;
	int i;

	registry_lock_init();
	i = entry_index(id);
	if (i >= 0)
		info = &infos[i];
	else
		unknown_id(id);
	pthread_mutex_unlock(&registry_lock);
	return info;
}

/* The definition of id, NULL when unknown (with the message when say). */
static const thpsim_scenario_def_t *def_lookup(const char *id, bool say)
{
	const thpsim_scenario_def_t *def = NULL;
	int i;

	registry_lock_init();
	i = entry_index(id);
	if (i >= 0)
		def = &entries[i].def;
	else if (say)
		unknown_id(id);
	pthread_mutex_unlock(&registry_lock);
	return def;
}

const thpsim_scenario_def_t *thpsim_scenario_def_find(const char *id)
{
	return def_lookup(id, true);
}

const thpsim_scenario_def_t *scenario_get(const char *id)
{
	return def_lookup(id, false);
}

int scenario_copy(const char *id, thpsim_scenario_def_t *out)
{
	int i, err = 0;

	registry_lock_init();
	i = entry_index(id);
	if (i >= 0)
		*out = entries[i].def;
	else
		err = unknown_id(id);
	pthread_mutex_unlock(&registry_lock);
	return err;
}

/* ---- checks ------------------------------------------------------------ */

static int check_id(const char *id)
{
	size_t n;

	if (!id || !*id)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_scenario_register: missing id");
	n = strlen(id);
	if (n > THPSIM_SCENARIO_ID_MAX)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_scenario_register: id '%.32s' longer than %d characters",
				   id, THPSIM_SCENARIO_ID_MAX);
	if (strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_scenario_register: id '%s' may hold only A-Z, a-z, 0-9 and '_'",
				   id);
	return 0;
}

static int check_threads(const thpsim_scenario_def_t *def, char *letters)
{
	int n = 0;

	for (int i = 0; i < THPSIM_SCENARIO_THREADS_MAX && def->threads[i].name; i++) {
		const thpsim_scenario_thread_t *t = &def->threads[i];

		if (!strchr(thread_letters, t->name))
			return thpsim__err(-THPSIM_EINVAL,
					   "scenario %s: thread %d has letter 0x%02x (allowed: K, G, U, S, W, L: the fixed CPUs of thpsim/scenario_def.h)",
					   def->id, i + 1, (unsigned char)t->name);
		if (strchr(letters, t->name))
			return thpsim__err(-THPSIM_EINVAL,
					   "scenario %s: two threads have letter '%c' (letters are distinct)",
					   def->id, t->name);
		if (!t->role || !*t->role)
			return thpsim__err(-THPSIM_EINVAL,
					   "scenario %s: thread '%c' has no role text",
					   def->id, t->name);
		if (!t->fn)
			return thpsim__err(-THPSIM_EINVAL,
					   "scenario %s: thread '%c' has no body (fn is NULL)",
					   def->id, t->name);
		letters[n++] = t->name;
		letters[n] = 0;
	}
	if (!n)
		return thpsim__err(-THPSIM_EINVAL,
				   "scenario %s: no threads (threads[0].name is 0; at least one of K, G, U, S, W, L)",
				   def->id);
	return 0;
}

static int check_script(const thpsim_scenario_def_t *def, const char *letters)
{
	if (!def->script)
		return thpsim__err(-THPSIM_EINVAL,
				   "scenario %s: script is NULL (end it with THPSIM_SCRIPT_END)",
				   def->id);
	for (int i = 0; i <= THPSIM_SCRIPT_STEPS_MAX; i++) {
		const thpsim_script_step_t *st = &def->script[i];

		if (st->op == THPSIM_STEP_END)
			return 0;
		if (i == THPSIM_SCRIPT_STEPS_MAX)
			break;
		if (st->op != THPSIM_STEP_RUN_UNTIL && st->op != THPSIM_STEP_RUN &&
		    st->op != THPSIM_STEP_PREEMPT)
			return thpsim__err(-THPSIM_EINVAL,
					   "scenario %s: script step %d has op %d (allowed: THPSIM_STEP_END, _RUN_UNTIL, _RUN, _PREEMPT)",
					   def->id, i + 1, (int)st->op);
		if (!st->thread || !strchr(letters, st->thread))
			return thpsim__err(-THPSIM_EINVAL,
					   "scenario %s: script step %d names thread 0x%02x (this scenario's threads: %s)",
					   def->id, i + 1, (unsigned char)st->thread, letters);
		if (st->op == THPSIM_STEP_RUN_UNTIL &&
		    (st->point < 0 || st->point >= THPSIM_SP_COUNT))
			return thpsim__err(-THPSIM_EINVAL,
					   "scenario %s: script step %d waits for point %d (allowed: 0..%d, enum thpsim_sched_point)",
					   def->id, i + 1, st->point, THPSIM_SP_COUNT - 1);
	}
	return thpsim__err(-THPSIM_EINVAL,
			   "scenario %s: script has no THPSIM_SCRIPT_END within %d steps",
			   def->id, THPSIM_SCRIPT_STEPS_MAX);
}

static int check_def(const thpsim_scenario_def_t *def)
{
	char letters[THPSIM_SCENARIO_THREADS_MAX + 1] = "";
	int err;

	if (!def)
		return thpsim__err(-THPSIM_EINVAL, "thpsim_scenario_register: def is NULL");
	err = check_id(def->id);
	if (err)
		return err;
	if (!def->title || !*def->title)
		return thpsim__err(-THPSIM_EINVAL, "scenario %s: missing title", def->id);
	if (!def->setup)
		return thpsim__err(-THPSIM_EINVAL,
				   "scenario %s: setup is NULL (it maps what the threads work on)",
				   def->id);
	err = check_threads(def, letters);
	if (!err)
		err = check_script(def, letters);
	if (!err && def->idle_cpus > THPSIM_IDLE_CPUS_MAX)
		err = thpsim__err(-THPSIM_EINVAL,
				  "scenario %s: idle_cpus %u out of range 0..%d",
				  def->id, def->idle_cpus, THPSIM_IDLE_CPUS_MAX);
	return err;
}

/* ---- registration ------------------------------------------------------ */

int thpsim_scenario_register(const thpsim_scenario_def_t *def)
{
	int err = check_def(def);

	if (err)
		return err;
	registry_lock_init();
	if (entry_index(def->id) >= 0)
		err = thpsim__err(-THPSIM_EEXIST,
				  "thpsim_scenario_register: scenario '%s' exists already (%s)",
				  def->id,
				  entry_index(def->id) < (int)NR_CATALOGUE ?
				  "a catalogue id" : "registered before");
	else if (nr_entries == NR_ENTRIES)
		err = thpsim__err(-THPSIM_ENOSPC,
				  "thpsim_scenario_register: scenario '%s': the registry is full (%d registered; thpsim_scenario_unregister() frees a slot)",
				  def->id, THPSIM_SCENARIO_REGISTRY_MAX);
	else
		entry_add(def);
	pthread_mutex_unlock(&registry_lock);
	return err;
}

int thpsim_scenario_unregister(const char *id)
{
	int i, err = 0;

	if (!id)
		return thpsim__err(-THPSIM_EINVAL,
				   "thpsim_scenario_unregister: id is NULL");
	registry_lock_init();
	i = entry_index(id);
	if (i < 0)
		err = thpsim__err(-THPSIM_ENOENT,
				  "thpsim_scenario_unregister: no scenario '%s' is registered",
				  id);
	else if (i < (int)NR_CATALOGUE)
		err = thpsim__err(-THPSIM_EINVAL,
				  "thpsim_scenario_unregister: '%s' is a catalogue scenario",
				  id);
	else {
		memmove(&entries[i], &entries[i + 1],
			(nr_entries - (unsigned)i - 1) * sizeof(entries[0]));
		nr_entries--;
		infos_repoint();
	}
	pthread_mutex_unlock(&registry_lock);
	return err;
}
