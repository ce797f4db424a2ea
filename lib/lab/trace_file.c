/*
 * trace_file.c - atomic trace-file writes (see thpsim/explore.h).
 *
 * open: mkstemp() a temporary file in the target's directory, so a path
 * that cannot be written (no such directory, no permission, a directory
 * in its place) is refused before any run; commit: write, fsync, rename
 * over the target, so a reader never sees half a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thpsim/explore.h"
#include "machine/errors.h"

struct thpsim_trace_file {
	char *path;
	char *tmp;
	int fd;
};

static int refuse_dir(const char *path)
{
	struct stat st;

	if (!stat(path, &st) && S_ISDIR(st.st_mode))
		return thpsim__err(-THPSIM_EINVAL, "trace: '%s' is a directory",
				   path);
	return 0;
}

int thpsim_trace_open(const char *path, thpsim_trace_file_t **out)
{
	thpsim_trace_file_t *tf;
	int err;

	if (!out)
		return thpsim__err(-THPSIM_EINVAL, "trace: out is NULL (need a place for the file handle)");
	*out = NULL;
	if (!path || !*path)
		return thpsim__err(-THPSIM_EINVAL, "trace: empty path");
	err = refuse_dir(path);
	if (err)
		return err;
	tf = calloc(1, sizeof(*tf));
	if (!tf || !(tf->path = strdup(path)) ||
	    asprintf(&tf->tmp, "%s.tmpXXXXXX", path) < 0) {
		if (tf)
			free(tf->path);
		free(tf);
		return thpsim__err(-THPSIM_ENOMEM, "trace: out of memory");
	}
	tf->fd = mkstemp(tf->tmp);
	if (tf->fd < 0) {
		err = thpsim__err(-THPSIM_EINVAL, "trace: cannot write '%s': %s",
				  path, strerror(errno));
		free(tf->tmp);
		free(tf->path);
		free(tf);
		return err;
	}
	*out = tf;
	return 0;
}

static void trace_file_free(thpsim_trace_file_t *tf)
{
	free(tf->tmp);
	free(tf->path);
	free(tf);
}

void thpsim_trace_abort(thpsim_trace_file_t *tf)
{
	if (!tf)
		return;
	close(tf->fd);
	unlink(tf->tmp);
	trace_file_free(tf);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int thpsim_trace_commit(thpsim_trace_file_t *tf, const char *json)
{
	int err = 0;

	if (!tf)
		return thpsim__err(-THPSIM_EINVAL, "trace: file handle is NULL (thpsim_trace_open first)");
	if (!json)
		err = thpsim__err(-THPSIM_EINVAL, "trace: nothing to write");
	else if (write_all(tf->fd, json, strlen(json)) ||
		 write_all(tf->fd, "\n", 1) || fsync(tf->fd))
		err = thpsim__err(-THPSIM_EINVAL, "trace: writing '%s': %s",
				  tf->tmp, strerror(errno));
	if (err) {
		thpsim_trace_abort(tf);
		return err;
	}
	fchmod(tf->fd, 0644);
	close(tf->fd);
	if (rename(tf->tmp, tf->path)) {
		err = thpsim__err(-THPSIM_EINVAL, "trace: renaming to '%s': %s",
				  tf->path, strerror(errno));
		unlink(tf->tmp);
	}
	trace_file_free(tf);
	return err;
}
