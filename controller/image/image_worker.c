/* The confined image worker and the privileged side's half of its
 * protocol; see image_worker.h. */
#include "image_worker.h"
#include "confine.h"
#include "oci_digest.h"
#include <spore/log.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKER_USER "spore-image"

enum { MSG_COMMIT = 1, MSG_DONE };

/* One SOCK_SEQPACKET message each way. */
struct msg {
	uint32_t type;
	int32_t r;
	char tmp[128];  /* MSG_COMMIT: ./tmp/NAME */
	char dest[128]; /* ./blobs/sha256/HEX or ./rootfs/HEX.sqfs */
	struct spore_err err;
	uint32_t out_len; /* MSG_DONE: the result's bytes */
	unsigned char out[SPORE_WORKER_OUT_MAX];
};

/* The worker's end of the socket; commits from fetch threads take turns. */
static int chan = -1;
static pthread_mutex_t chan_lock = PTHREAD_MUTEX_INITIALIZER;

static int worker_commit(const struct spore_store *s, const char *tmp, const char *dest,
			 struct spore_err *err)
{
	struct msg *m = calloc(1, sizeof(*m));
	int r;
	(void)s;
	if (!m)
		return spore_err_set(err, ENOMEM, "storing %s", dest);
	m->type = MSG_COMMIT;
	if (snprintf(m->tmp, sizeof(m->tmp), "%s", tmp) >= (int)sizeof(m->tmp) ||
	    snprintf(m->dest, sizeof(m->dest), "%s", dest) >= (int)sizeof(m->dest)) {
		free(m);
		unlink(tmp);
		return spore_err_setx(err, ENAMETOOLONG, "storing %s: name too long", dest);
	}
	pthread_mutex_lock(&chan_lock);
	if (send(chan, m, sizeof(*m), MSG_NOSIGNAL) != (ssize_t)sizeof(*m) ||
	    recv(chan, m, sizeof(*m), 0) != (ssize_t)sizeof(*m))
		r = spore_err_set(err, errno ? errno : EPIPE, "storing %s: asking sporectl", dest);
	else if ((r = m->r) < 0)
		*err = m->err;
	pthread_mutex_unlock(&chan_lock);
	free(m);
	return r;
}

/* HEX (64 lowercase hex digits) at p followed by suffix, and nothing else. */
static bool hex_then(const char *p, const char *suffix, char digest[SPORE_DIGEST_LEN + 1])
{
	snprintf(digest, SPORE_DIGEST_LEN + 1, "sha256:%.64s", p);
	return strlen(p) == 64 + strlen(suffix) && !strcmp(p + 64, suffix) && spore_digest_valid(digest);
}

/* The privileged side of MSG_COMMIT: only tmp/NAME, only to a blob or a
 * root filesystem named by a digest; paths rebuilt from s, never taken
 * from the worker. */
static int do_commit(const struct spore_store *s, struct msg *m, struct spore_err *err)
{
	char tmp[PATH_MAX], dest[PATH_MAX], digest[SPORE_DIGEST_LEN + 1];
	const char *name = m->tmp + 6;
	int r;

	m->tmp[sizeof(m->tmp) - 1] = m->dest[sizeof(m->dest) - 1] = '\0';
	if (strncmp(m->tmp, "./tmp/", 6) || !*name || strchr(name, '/') || name[0] == '.')
		return spore_err_setx(err, EPERM, "the image worker asked to store a file outside its directory");
	if (!strncmp(m->dest, "./blobs/sha256/", 15) && hex_then(m->dest + 15, "", digest))
		r = spore_store_blob_path(s, digest, dest, sizeof(dest));
	else if (!strncmp(m->dest, "./rootfs/", 9) && hex_then(m->dest + 9, ".sqfs", digest))
		r = spore_store_rootfs_path(s, digest, dest, sizeof(dest));
	else
		return spore_err_setx(err, EPERM, "the image worker asked to store a file outside the cache");
	if (r < 0 || snprintf(tmp, sizeof(tmp), "%s/tmp/%s", s->dir, name) >= (int)sizeof(tmp))
		return spore_err_setx(err, ENAMETOOLONG, "image cache path too long");
	return spore_store_commit_file(tmp, dest, err);
}

/* PT_INTERP of the ELF executable at path (the dynamic loader exec opens
 * too, so Landlock must let it be executed). */
static int elf_interp(const char *path, char *out, size_t n)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = -ENOENT;
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(ph))
		goto out;
	for (unsigned i = 0; i < eh.e_phnum && i < 64; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
			break;
		if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > n)
			continue;
		if (pread(fd, out, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz &&
		    out[ph.p_filesz - 1] == '\0')
			r = 0;
		break;
	}
out:
	close(fd);
	return r;
}

/* tar2sqfs as PATH finds it, and its loader: the only files the worker may
 * execute. */
static int allow_tar2sqfs(int rs, struct spore_err *err)
{
	const char *path = getenv("PATH");
	char file[PATH_MAX], interp[PATH_MAX];
	for (const char *p = path && *path ? path : "/usr/bin:/bin"; *p;) {
		size_t k = strcspn(p, ":");
		if (k && snprintf(file, sizeof(file), "%.*s/tar2sqfs", (int)k, p) < (int)sizeof(file) &&
		    access(file, X_OK) == 0) {
			int r = spore_landlock_allow(rs, file, SPORE_LL_EXEC, err);
			if (r == 0 && elf_interp(file, interp, sizeof(interp)) == 0)
				r = spore_landlock_allow(rs, interp, SPORE_LL_EXEC, err);
			return r == -ENOENT ? 0 : r;
		}
		p += k;
		p += *p == ':';
	}
	return 0; /* none: the worker's exec fails, saying to install it */
}

/* The worker's Landlock rules: the store (read), its tmp/ (write), the
 * libraries, loader cache, resolver and CA files (read), tar2sqfs (exec),
 * and a directory the caller names (read). -EOPNOTSUPP without Landlock. */
static int ruleset(const struct spore_store *s, int read_dirfd, struct spore_err *err)
{
	static const char *const readable[] = {
		"/usr", "/lib", "/lib64", "/etc/ld.so.cache", "/etc/resolv.conf", "/etc/hosts",
		"/etc/nsswitch.conf", "/etc/host.conf", "/etc/gai.conf", "/etc/ssl",
		"/etc/ca-certificates", "/etc/localtime", "/sys/devices/system/cpu", "/dev/null",
	};
	char tmp[PATH_MAX];
	int rs = spore_landlock_new(err), r = 0;
	if (rs < 0)
		return rs;
	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]) && r >= 0; i++)
		if ((r = spore_landlock_allow(rs, readable[i], SPORE_LL_READ, err)) == -ENOENT)
			r = 0;
	snprintf(tmp, sizeof(tmp), "%s/tmp", s->dir);
	if (r >= 0)
		r = spore_landlock_allow(rs, s->dir, SPORE_LL_READ, err);
	if (r >= 0)
		r = spore_landlock_allow(rs, tmp, SPORE_LL_WRITE, err);
	if (r >= 0 && read_dirfd >= 0)
		r = spore_landlock_allow_fd(rs, read_dirfd, SPORE_LL_READ, err);
	if (r >= 0)
		r = allow_tar2sqfs(rs, err);
	if (r < 0) {
		close(rs);
		return r;
	}
	return rs;
}

/* As root, the worker's user must reach the store: images/, blobs/ and
 * rootfs/ may be traversed (not listed) by anyone, and tmp/ is the
 * worker's. Files stay root's: blobs 0444, records 0444 under 0700 refs/. */
static int prepare_store(const struct spore_store *s, uid_t uid, gid_t gid, struct spore_err *err)
{
	static const char *const walk[] = {"", "/blobs", "/blobs/sha256", "/rootfs"};
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof(walk) / sizeof(walk[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", s->dir, walk[i]);
		if (chmod(path, 0711) < 0)
			return spore_err_set(err, errno, "preparing %s for the image worker", path);
	}
	snprintf(path, sizeof(path), "%s/tmp", s->dir);
	if (chown(path, uid, gid) < 0 || chmod(path, 0700) < 0)
		return spore_err_set(err, errno, "preparing %s for the image worker", path);
	return 0;
}

/* Closes every descriptor from 3 up but the n in keep (-1 entries ignored). */
static void close_others(const int *keep, size_t n)
{
	int k[8];
	size_t m = 0;
	unsigned lo = 3;

	for (size_t i = 0; i < n && m < 8; i++)
		if (keep[i] >= 3)
			k[m++] = keep[i];
	for (size_t i = 1; i < m; i++) /* insertion sort: a handful */
		for (size_t j = i; j > 0 && k[j - 1] > k[j]; j--) {
			int t = k[j];
			k[j] = k[j - 1];
			k[j - 1] = t;
		}
	for (size_t i = 0; i < m; i++) {
		if ((unsigned)k[i] > lo)
			close_range(lo, (unsigned)k[i] - 1, 0);
		if ((unsigned)k[i] + 1 > lo)
			lo = (unsigned)k[i] + 1;
	}
	close_range(lo, ~0U, 0);
}

/* In the forked child: never returns. */
static void worker(struct spore_store *s, int sock, int rs, uid_t uid, gid_t gid, pid_t parent,
		   spore_worker_fn fn, void *arg, const struct spore_worker_opts *o)
{
	const int keep[] = {sock, rs, o->read_dirfd, o->keep_fd};
	size_t out_len = o->out_len;
	struct spore_confine c = {.uid = uid, .gid = gid, .ruleset = rs, .parent = parent};
	struct spore_store ws = *s;
	struct msg *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		_exit(70);
	close_others(keep, sizeof(keep) / sizeof(keep[0]));
	chan = sock;
	m->type = MSG_DONE;
	/* Paths relative to images/: its parents need not be reachable. */
	if (chdir(s->dir) < 0)
		r = spore_err_set(&m->err, errno, "entering %s", s->dir);
	else
		r = spore_confine_enter(&c, &m->err);
	if (r == 0) {
		snprintf(ws.dir, sizeof(ws.dir), ".");
		ws.commit = worker_commit;
		r = fn(&ws, arg, m->out, &m->err);
	} else {
		spore_err_wrap(&m->err, "confining the image worker");
	}
	m->r = r;
	m->out_len = (uint32_t)out_len;
	if (send(sock, m, sizeof(*m), MSG_NOSIGNAL) != (ssize_t)sizeof(*m))
		_exit(71);
	_exit(0);
}

/* The worker's message reaches a terminal: its bytes come from image data
 * (entry names, registry replies) and from a process that may be
 * compromised, so anything but printable ASCII becomes '?'. */
static void printable(char *msg, size_t n)
{
	for (size_t i = 0; i < n && msg[i]; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
			msg[i] = '?';
}

/* The privileged side: serves commits until the worker reports or dies. */
static int serve(const struct spore_store *s, int sock, pid_t pid, const struct spore_worker_opts *o,
		 struct spore_err *err)
{
	struct msg *m = calloc(1, sizeof(*m));
	int r = -EIO, status = 0;
	bool done = false;
	ssize_t got;

	if (!m) {
		kill(pid, SIGKILL);
		r = spore_err_set(err, ENOMEM, "running the image worker");
		goto wait;
	}
	while (!done && (got = recv(sock, m, sizeof(*m), 0)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof(*m) || (m->type != MSG_COMMIT && m->type != MSG_DONE)) {
			kill(pid, SIGKILL);
			r = spore_err_setx(err, EPROTO, "the image worker sent a malformed message");
			done = true;
		} else if (m->type == MSG_DONE) {
			m->err.msg[sizeof(m->err.msg) - 1] = '\0';
			printable(m->err.msg, sizeof(m->err.msg));
			r = m->r < 0 ? m->r : 0;
			if (r < 0) {
				*err = m->err;
				err->code = -r;
			} else if (o->out && m->out_len == o->out_len && o->out_len <= sizeof(m->out)) {
				memcpy(o->out, m->out, o->out_len);
			} else if (o->out) {
				r = spore_err_setx(err, EPROTO, "the image worker sent a malformed result");
			}
			done = true;
		} else {
			memset(&m->err, 0, sizeof(m->err));
			m->r = do_commit(s, m, &m->err);
			if (send(sock, m, sizeof(*m), MSG_NOSIGNAL) != (ssize_t)sizeof(*m)) {
				kill(pid, SIGKILL);
				done = true;
			}
		}
	}
wait:
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!done)
		r = spore_err_setx(err, EIO, "the image worker died (%s %d)",
				   WIFEXITED(status) ? "exit" : "signal",
				   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	free(m);
	return r;
}

int spore_image_worker_run(struct spore_store *s, spore_worker_fn fn, void *arg,
			   const struct spore_worker_opts *o, struct spore_err *err)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int sv[2] = {-1, -1}, rs = -1, r = 0;
	pid_t pid;

	if (o->out_len > SPORE_WORKER_OUT_MAX)
		return spore_err_setx(err, EINVAL, "image worker result too large");
	if (geteuid() == 0 && ((r = spore_confine_user(WORKER_USER, &uid, &gid, err)) < 0 ||
			       (r = prepare_store(s, uid, gid, err)) < 0))
		return r;
	rs = ruleset(s, o->read_dirfd, err);
	if (rs < 0 && rs != -EOPNOTSUPP)
		return rs;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = spore_err_set(err, errno, "starting the image worker");
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	/* Taken before the fork: a child asking getppid() after its parent
	 * died would get init's pid and pass the confinement's check. */
	pid_t parent = getpid();
	if ((pid = fork()) < 0) {
		r = spore_err_set(err, errno, "starting the image worker");
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		worker(s, sv[1], rs, uid, gid, parent, fn, arg, o);
	}
	close(sv[1]);
	sv[1] = -1;
	log_debug("image worker %d started", (int)pid);
	r = serve(s, sv[0], pid, o, err);
out:
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (rs >= 0)
		close(rs);
	return r;
}
