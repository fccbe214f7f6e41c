/* spore-runc's state directory (runc_state.h). */
#include "runc_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE "state.json"
#define STATE_MAX (256u << 10)

static const char *const status_names[] = {
	[SPORE_RUNC_CREATING] = "creating", [SPORE_RUNC_CREATED] = "created",
	[SPORE_RUNC_RUNNING] = "running",   [SPORE_RUNC_PAUSED] = "paused",
	[SPORE_RUNC_STOPPED] = "stopped",
};

bool spore_runc_id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > SPORE_RUNC_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-") == n;
}

const char *spore_runc_status_name(enum spore_runc_status s)
{
	return (unsigned)s <= SPORE_RUNC_STOPPED ? status_names[s] : "unknown";
}

enum spore_runc_status spore_runc_status_live(enum spore_runc_status recorded, bool pid_alive)
{
	if (recorded == SPORE_RUNC_STOPPED)
		return recorded;
	if (!pid_alive && recorded != SPORE_RUNC_CREATING)
		return SPORE_RUNC_STOPPED;
	/* podman rejects "creating": a create still under way shows as created. */
	return recorded == SPORE_RUNC_CREATING ? SPORE_RUNC_CREATED : recorded;
}

static json_t *annotations_of(const struct spore_runc_state *st)
{
	json_t *a = st->annotations ? json_loads(st->annotations, 0, NULL) : NULL;

	if (!json_is_object(a)) {
		json_decref(a);
		a = json_object();
	}
	return a;
}

int spore_runc_state_encode(const struct spore_runc_state *st, char **out)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:o}", "ociVersion",
			      SPORE_RUNC_OCI_VERSION, "id", st->id, "pid", (json_int_t)st->pid,
			      "pidStart", (json_int_t)st->pid_start, "status",
			      spore_runc_status_name(st->status), "bundle", st->bundle, "rootfs",
			      st->rootfs, "created", st->created, "uuid", st->uuid, "image", st->image,
			      "imageShared", st->image_shared, "noGuest", st->no_guest, "annotations",
			      annotations_of(st));

	*out = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return *out ? 0 : -ENOMEM;
}

int spore_runc_state_oci(const struct spore_runc_state *st, enum spore_runc_status status,
			 char **out)
{
	json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:o}", "ociVersion",
			      SPORE_RUNC_OCI_VERSION, "id", st->id, "pid",
			      (json_int_t)(status == SPORE_RUNC_STOPPED ? 0 : st->pid), "status",
			      spore_runc_status_name(status), "bundle", st->bundle, "rootfs",
			      st->rootfs, "created", st->created, "owner", "", "annotations",
			      annotations_of(st));

	*out = o ? json_dumps(o, JSON_INDENT(2)) : NULL;
	json_decref(o);
	return *out ? 0 : -ENOMEM;
}

static int copy_str(json_t *o, const char *key, char *dst, size_t n, bool required,
		    struct spore_err *err)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	if (!v && !required) {
		*dst = 0;
		return 0;
	}
	if (!s || strlen(s) != json_string_length(v) || strlen(s) >= n)
		return spore_err_setx(err, EINVAL, "state: %s: not a string of at most %zu bytes", key,
				      n - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int spore_runc_state_parse(const char *buf, size_t len, struct spore_runc_state *st,
			   struct spore_err *err)
{
	json_t *o = json_loadb(buf, len, 0, NULL), *v, *ann;
	const char *status;
	int r = -EINVAL;

	memset(st, 0, sizeof(*st));
	if (!json_is_object(o)) {
		spore_err_setx(err, EINVAL, "state: not a JSON object");
		goto out;
	}
	if (copy_str(o, "id", st->id, sizeof(st->id), true, err) < 0 ||
	    copy_str(o, "bundle", st->bundle, sizeof(st->bundle), true, err) < 0 ||
	    copy_str(o, "rootfs", st->rootfs, sizeof(st->rootfs), false, err) < 0 ||
	    copy_str(o, "created", st->created, sizeof(st->created), false, err) < 0 ||
	    copy_str(o, "uuid", st->uuid, sizeof(st->uuid), false, err) < 0 ||
	    copy_str(o, "image", st->image, sizeof(st->image), false, err) < 0)
		goto out;
	st->image_shared = json_is_true(json_object_get(o, "imageShared"));
	st->no_guest = json_is_true(json_object_get(o, "noGuest"));
	if (!spore_runc_id_ok(st->id)) {
		spore_err_setx(err, EINVAL, "state: bad id");
		goto out;
	}
	v = json_object_get(o, "pid");
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX) {
		spore_err_setx(err, EINVAL, "state: pid: not a pid");
		goto out;
	}
	st->pid = (pid_t)json_integer_value(v);
	v = json_object_get(o, "pidStart");
	st->pid_start = json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
	status = json_string_value(json_object_get(o, "status"));
	st->status = SPORE_RUNC_STOPPED + 1;
	for (unsigned i = 0; status && i <= SPORE_RUNC_STOPPED; i++)
		if (!strcmp(status, status_names[i]))
			st->status = i;
	if (st->status > SPORE_RUNC_STOPPED) {
		spore_err_setx(err, EINVAL, "state: status: unknown");
		goto out;
	}
	ann = json_object_get(o, "annotations");
	if (json_is_object(ann) && !(st->annotations = json_dumps(ann, JSON_COMPACT))) {
		r = spore_err_set(err, ENOMEM, "state");
		goto out;
	}
	r = 0;
out:
	json_decref(o);
	return r;
}

void spore_runc_state_free(struct spore_runc_state *st)
{
	free(st->annotations);
	st->annotations = NULL;
}

int spore_runc_state_path(const char *root, const char *id, const char *file, char *out,
			  size_t n)
{
	int k = file ? snprintf(out, n, "%s/%s/%s", root, id, file) : snprintf(out, n, "%s/%s", root, id);

	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

static int mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		int r = mkdir(path, mode);
		*p = '/';
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	return mkdir(path, mode) < 0 && errno != EEXIST ? -errno : 0;
}

int spore_runc_state_claim(const char *root, const char *id, struct spore_err *err)
{
	char path[PATH_MAX];
	int r;

	if (strlen(root) >= sizeof(path))
		return spore_err_setx(err, ENAMETOOLONG, "state root %s: path too long", root);
	strcpy(path, root);
	if ((r = mkdir_p(path, 0711)) < 0)
		return spore_err_set(err, -r, "state root %s", root);
	if (spore_runc_state_path(root, id, NULL, path, sizeof(path)) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "container %s: state path too long", id);
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return spore_err_setx(err, EEXIST, "container %s already exists", id);
		return spore_err_set(err, errno, "container %s: %s", id, path);
	}
	return 0;
}

/* DIR/.NAME.XXXXXX, written whole and fsync'd, then renamed onto DIR/NAME. */
static int write_atomic(const char *path, const char *data, size_t len, mode_t mode,
			struct spore_err *err)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd = -1, r = 0;
	size_t off = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0,
			     path, slash ? slash + 1 : path) >= sizeof(tmp))
		return spore_err_setx(err, ENAMETOOLONG, "%s: path too long", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return spore_err_set(err, errno, "%s", path);
	while (off < len && r == 0) {
		ssize_t k = write(fd, data + off, len - off);
		if (k < 0 && errno != EINTR)
			r = spore_err_set(err, errno, "%s: write", tmp);
		else if (k > 0)
			off += (size_t)k;
	}
	if (r == 0 && fchmod(fd, mode) < 0)
		r = spore_err_set(err, errno, "%s: chmod", tmp);
	if (r == 0 && fsync(fd) < 0)
		r = spore_err_set(err, errno, "%s: fsync", tmp);
	if (close(fd) < 0 && r == 0)
		r = spore_err_set(err, errno, "%s: close", tmp);
	if (r == 0 && rename(tmp, path) < 0)
		r = spore_err_set(err, errno, "%s", path);
	if (r < 0)
		unlink(tmp);
	return r;
}

int spore_runc_state_write(const char *root, const struct spore_runc_state *st,
			   struct spore_err *err)
{
	char path[PATH_MAX], *text = NULL;
	int r;

	if (spore_runc_state_path(root, st->id, STATE_FILE, path, sizeof(path)) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "container %s: state path too long", st->id);
	if ((r = spore_runc_state_encode(st, &text)) < 0)
		return spore_err_set(err, -r, "container %s: state", st->id);
	r = write_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return r;
}

int spore_runc_state_read(const char *root, const char *id, struct spore_runc_state *st,
			  struct spore_err *err)
{
	char path[PATH_MAX], buf[STATE_MAX];
	ssize_t n = 0, k;
	int fd, r;

	memset(st, 0, sizeof(*st));
	if (!spore_runc_id_ok(id) || spore_runc_state_path(root, id, STATE_FILE, path, sizeof(path)) < 0)
		return spore_err_setx(err, ENOENT, "container %s does not exist", id);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return spore_err_setx(err, ENOENT, "container %s does not exist", id);
		return spore_err_set(err, errno, "container %s: %s", id, path);
	}
	while ((k = read(fd, buf + n, sizeof(buf) - (size_t)n)) > 0 || (k < 0 && errno == EINTR))
		n += k > 0 ? k : 0;
	r = k < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return spore_err_set(err, -r, "container %s: %s", id, path);
	if ((size_t)n == sizeof(buf))
		return spore_err_setx(err, EINVAL, "container %s: %s: too large", id, path);
	if ((r = spore_runc_state_parse(buf, (size_t)n, st, err)) < 0)
		return spore_err_wrap(err, "container %s", id);
	if (strcmp(st->id, id)) {
		spore_runc_state_free(st);
		return spore_err_setx(err, EINVAL, "container %s: %s names another id", id, path);
	}
	return 0;
}

int spore_runc_state_remove(const char *root, const char *id, struct spore_err *err)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int r = 0;

	if (spore_runc_state_path(root, id, NULL, path, sizeof(path)) < 0)
		return spore_err_setx(err, ENAMETOOLONG, "container %s: state path too long", id);
	if (!(d = opendir(path)))
		return errno == ENOENT ? 0 : spore_err_set(err, errno, "container %s: %s", id, path);
	/* Only spore-runc's own flat files live there. */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT && r == 0)
			r = spore_err_set(err, errno, "container %s: %s/%s", id, path, de->d_name);
	closedir(d);
	if (r == 0 && rmdir(path) < 0 && errno != ENOENT)
		r = spore_err_set(err, errno, "container %s: %s", id, path);
	return r;
}

int spore_runc_pidfile_write(const char *path, pid_t pid, struct spore_err *err)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);

	return write_atomic(path, buf, (size_t)n, 0644, err) < 0 ? spore_err_wrap(err, "pid file") : 0;
}

uint64_t spore_runc_pid_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	char state = 0;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* comm may hold spaces and parentheses: the fields start after the last ')'. */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &start) != 2)
		return 0;
	/* A zombie has exited: its status waits for the caller's wait(). */
	return state == 'Z' || state == 'X' ? 0 : (uint64_t)start;
}

bool spore_runc_pid_alive(pid_t pid, uint64_t start)
{
	uint64_t now = spore_runc_pid_start(pid);

	return now != 0 && (start == 0 || now == start);
}

void spore_runc_now(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}
