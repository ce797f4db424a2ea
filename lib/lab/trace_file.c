/*
 * trace_file.c - trace-file writes that destroy nothing (see
 * thpsim/explore.h).
 *
 * open looks at what the path names, before any run:
 *   - nothing yet: a temporary file is created and removed at once in its
 *     directory, so a path that cannot be written (no such directory, no
 *     permission) is refused early;
 *   - a regular file: refused when read-only, else replaced atomically
 *     (temporary beside it, fsync, rename), keeping its mode;
 *   - a symbolic link: the same for the file it resolves to; the link
 *     stays a link (a dangling link is refused);
 *   - a character device or a FIFO, and /dev/stdout, /dev/stderr,
 *     /dev/fd/N, /proc/self/fd/N: opened and written through, never
 *     replaced (so /dev/null stays a device and --trace /dev/stdout
 *     works);
 *   - anything else (a directory, a socket, a block device): refused.
 * The temporary exists only inside commit, with every signal blocked
 * while it is created and while it is renamed or removed; a handler of a
 * fatal signal calls thpsim_trace_cleanup() to remove one caught in
 * between.  Nothing is left behind on any path that runs code.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thpsim/explore.h"
#include "machine/errors.h"

struct thpsim_trace_file {
	char *shown;		/* the path as given, for messages */
	char *path;		/* what rename replaces (a link resolved) */
	int fd;			/* written through, or -1: replace path */
	mode_t mode;		/* of the replaced file, or 0644 */
};

/* Temporaries that exist now, for thpsim_trace_cleanup(). */
#define TRACE_PENDING_MAX 8
static _Atomic(char *) pending[TRACE_PENDING_MAX];

void thpsim_trace_cleanup(void)
{
	for (int i = 0; i < TRACE_PENDING_MAX; i++) {
		char *p = atomic_load(&pending[i]);

		if (p)
			unlink(p);
	}
}

static void publish(char *tmp)
{
	for (int i = 0; i < TRACE_PENDING_MAX; i++) {
		char *none = NULL;

		if (atomic_compare_exchange_strong(&pending[i], &none, tmp))
			return;
	}
}

static void unpublish(char *tmp)
{
	for (int i = 0; i < TRACE_PENDING_MAX; i++) {
		char *p = tmp;

		if (atomic_compare_exchange_strong(&pending[i], &p, NULL))
			return;
	}
}

static void block_signals(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, old);
}

static void restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

static void trace_file_free(thpsim_trace_file_t *tf)
{
	if (tf->fd >= 0)
		close(tf->fd);
	free(tf->path);
	free(tf->shown);
	free(tf);
}

/* The descriptor a /dev/stdout-like path names, or -1. */
static int std_fd(const char *path)
{
	static const char *const dirs[] = { "/dev/fd/", "/proc/self/fd/", NULL };
	char *end;
	long n;

	if (!strcmp(path, "/dev/stdout"))
		return 1;
	if (!strcmp(path, "/dev/stderr"))
		return 2;
	for (int i = 0; dirs[i]; i++) {
		size_t len = strlen(dirs[i]);

		if (strncmp(path, dirs[i], len) || !path[len])
			continue;
		n = strtol(path + len, &end, 10);
		if (!*end && n >= 0 && n < INT_MAX)
			return (int)n;
	}
	return -1;
}

/* Can a file be created beside path?  Create one and remove it. */
static int probe_dir(thpsim_trace_file_t *tf)
{
	char *tmp;
	sigset_t old;
	int fd, e;

	if (asprintf(&tmp, "%s.tmpXXXXXX", tf->path) < 0)
		return thpsim__err(-THPSIM_ENOMEM, "trace: out of memory");
	block_signals(&old);
	fd = mkstemp(tmp);
	e = errno;
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	restore_signals(&old);
	free(tmp);
	if (fd < 0)
		return thpsim__err(-THPSIM_EINVAL, "trace: cannot write '%s': %s",
				   tf->shown, strerror(e));
	return 0;
}

/* What an existing path is: write through it, replace it, or refuse. */
static int classify(thpsim_trace_file_t *tf, const struct stat *lst)
{
	struct stat st = *lst;

	if (S_ISLNK(lst->st_mode)) {
		free(tf->path);
		tf->path = realpath(tf->shown, NULL);
		if (!tf->path || stat(tf->path, &st))
			return thpsim__err(-THPSIM_EINVAL,
					   "trace: '%s' is a symbolic link that leads nowhere (%s)",
					   tf->shown, strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return thpsim__err(-THPSIM_EINVAL, "trace: '%s' is a directory",
				   tf->shown);
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		tf->fd = open(tf->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (tf->fd < 0)
			return thpsim__err(-THPSIM_EINVAL,
					   "trace: cannot write '%s': %s",
					   tf->shown, strerror(errno));
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return thpsim__err(-THPSIM_EINVAL,
				   "trace: '%s' is not a regular file, a character device or a FIFO; refusing to replace it",
				   tf->shown);
	if (!(st.st_mode & 0222) || access(tf->path, W_OK))
		return thpsim__err(-THPSIM_EINVAL,
				   "trace: '%s' is read-only; refusing to replace it",
				   tf->shown);
	tf->mode = st.st_mode & 0777;
	return probe_dir(tf);
}

int thpsim_trace_open(const char *path, thpsim_trace_file_t **out)
{
	thpsim_trace_file_t *tf;
	struct stat lst;
	int err, fd;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "trace: out is NULL (need a place for the file handle)");
	*out = NULL;
	if (!path || !*path)
		return thpsim__err(-THPSIM_EINVAL, "trace: empty path");
	tf = calloc(1, sizeof(*tf));
	if (!tf)
		return thpsim__err(-THPSIM_ENOMEM, "trace: out of memory");
	tf->fd = -1;
	tf->mode = 0644;
	tf->shown = strdup(path);
	tf->path = strdup(path);
	if (!tf->shown || !tf->path) {
		trace_file_free(tf);
		return thpsim__err(-THPSIM_ENOMEM, "trace: out of memory");
	}
	fd = std_fd(path);
	if (fd >= 0) {
		tf->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		err = tf->fd < 0 ? thpsim__err(-THPSIM_EINVAL,
					       "trace: cannot write '%s': %s",
					       path, strerror(errno)) : 0;
	} else if (!lstat(path, &lst)) {
		err = classify(tf, &lst);
	} else if (errno == ENOENT) {
		err = probe_dir(tf);
	} else {
		err = thpsim__err(-THPSIM_EINVAL, "trace: cannot write '%s': %s",
				  path, strerror(errno));
	}
	if (err) {
		trace_file_free(tf);
		return err;
	}
	*out = tf;
	return 0;
}

void thpsim_trace_abort(thpsim_trace_file_t *tf)
{
	if (tf)
		trace_file_free(tf);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_json(int fd, const char *json)
{
	return write_all(fd, json, strlen(json)) || write_all(fd, "\n", 1);
}

/* Write through the descriptor (device, pipe, standard stream). */
static int commit_through(thpsim_trace_file_t *tf, const char *json)
{
	int err = 0;

	if (write_json(tf->fd, json))
		err = thpsim__err(-THPSIM_EINTERNAL, "trace: writing '%s': %s",
				  tf->shown, strerror(errno));
	if (close(tf->fd) && !err && errno != EINTR)
		err = thpsim__err(-THPSIM_EINTERNAL, "trace: writing '%s': %s",
				  tf->shown, strerror(errno));
	tf->fd = -1;
	return err;
}

/* A temporary beside the target, then rename over it. */
static int commit_replace(thpsim_trace_file_t *tf, const char *json)
{
	char *tmp;
	sigset_t old;
	int fd, err = 0, e;

	if (asprintf(&tmp, "%s.tmpXXXXXX", tf->path) < 0)
		return thpsim__err(-THPSIM_ENOMEM, "trace: out of memory");
	block_signals(&old);
	fd = mkstemp(tmp);
	e = errno;
	if (fd >= 0)
		publish(tmp);
	restore_signals(&old);
	if (fd < 0) {
		free(tmp);
		return thpsim__err(-THPSIM_EINTERNAL, "trace: cannot write '%s': %s",
				   tf->shown, strerror(e));
	}
	if (write_json(fd, json) || fchmod(fd, tf->mode) || fsync(fd))
		err = thpsim__err(-THPSIM_EINTERNAL, "trace: writing '%s': %s",
				  tf->shown, strerror(errno));
	if (close(fd) && !err && errno != EINTR)
		err = thpsim__err(-THPSIM_EINTERNAL, "trace: writing '%s': %s",
				  tf->shown, strerror(errno));
	block_signals(&old);
	if (!err && rename(tmp, tf->path))
		err = thpsim__err(-THPSIM_EINTERNAL, "trace: renaming to '%s': %s",
				  tf->shown, strerror(errno));
	if (err)
		unlink(tmp);
	unpublish(tmp);
	restore_signals(&old);
	free(tmp);
	return err;
}

int thpsim_trace_commit(thpsim_trace_file_t *tf, const char *json)
{
	int err;

	if (!tf)
		return thpsim__err(-THPSIM_EINVAL, "trace: file handle is NULL (thpsim_trace_open first)");
	if (!json)
		err = thpsim__err(-THPSIM_EINVAL, "trace: nothing to write");
	else if (tf->fd >= 0)
		err = commit_through(tf, json);
	else
		err = commit_replace(tf, json);
	trace_file_free(tf);
	return err;
}
