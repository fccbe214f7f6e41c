/* The image worker's confinement (controller/image/image_worker.c,
 * controller/confine/): code run in the worker tries what a compromised
 * libarchive or decompressor would, and each attempt must be refused; what
 * the pull needs must still work. Run as root it also checks the user
 * switch (spore-image, else nobody); as another user, the rest. */
#include "child.h"
#include "image_store.h"
#include "image_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

struct probe {
	int shadow, outside, cache_write, exec_sh, tar2sqfs, unix_sock, inet_sock, ptrace_r,
	    mount_r, unshare_r, setuid_r, chmod_r, kill_r, tmp_write, blob_read, escape, escape_dest,
	    commit_ok, inherited;
	uid_t uid, euid;
	char outside_path[200];
	char tar2sqfs_msg[200];
};

/* 0 if the call succeeded, else its errno. */
static int try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* execve in a child: its exit status is the errno, 0 if the program ran. */
static int try_exec(const char *path)
{
	pid_t p = fork();
	if (p == 0) {
		char *const argv[] = {(char *)path, "-c", "exit 0", NULL};
		execv(path, argv);
		_exit(errno);
	}
	int st = -1;
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static const char *outside;

static int probe(struct spore_store *ws, void *arg, void *out, struct spore_err *err)
{
	struct probe *p = out;
	char tmp[PATH_MAX];
	memset(p, 0, sizeof(*p));
	p->inherited = fcntl(*(int *)arg, F_GETFD) < 0 ? errno : 0;
	p->uid = getuid();
	p->euid = geteuid();
	p->shadow = try_open("/etc/shadow", O_RDONLY);
	p->outside = try_open(outside, O_WRONLY | O_CREAT);
	snprintf(p->outside_path, sizeof(p->outside_path), "%s", outside);
	p->cache_write = try_open("./blobs/sha256/planted", O_WRONLY | O_CREAT);
	p->exec_sh = try_exec("/bin/sh");
	struct spore_child c;
	char *const argv[] = {"tar2sqfs", "--version", NULL};
	p->tar2sqfs = spore_child_start(&c, argv, -1, NULL, NULL, err) == 0 ? spore_child_wait(&c, false, err) : -1;
	if (p->tar2sqfs)
		snprintf(p->tar2sqfs_msg, sizeof(p->tar2sqfs_msg), "%.150s", err->msg);
	spore_err_clear(err);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	p->unix_sock = s < 0 ? errno : 0;
	s = socket(AF_INET, SOCK_STREAM, 0);
	p->inet_sock = s < 0 ? errno : 0;
	p->ptrace_r = ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0 ? errno : 0;
	p->mount_r = mount("none", "./tmp", "tmpfs", 0, NULL) < 0 ? errno : 0;
	p->unshare_r = unshare(CLONE_NEWUSER) < 0 ? errno : 0;
	p->setuid_r = setuid(0) < 0 ? errno : 0;
	p->chmod_r = chmod("./tmp", 0777) < 0 ? errno : 0;
	p->kill_r = kill(getppid(), SIGTERM) < 0 ? errno : 0;
	/* What a pull needs. */
	int fd = spore_store_tmpfile(ws, tmp, sizeof(tmp), err);
	p->tmp_write = fd >= 0 && write(fd, "x", 1) == 1 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	p->blob_read = try_open("./blobs/sha256/" "0000000000000000000000000000000000000000000000000000000000000000",
				O_RDONLY);
	/* The protocol refuses names outside tmp/ and outside the cache. */
	struct spore_err e2 = {0};
	p->escape = spore_store_commit(ws, "./tmp/../refs/x", "./blobs/sha256/" "0000000000000000000000000000000000000000000000000000000000000001", &e2);
	p->escape_dest = ws->commit(ws, tmp, "../../outside", &e2);
	fd = spore_store_tmpfile(ws, tmp, sizeof(tmp), err);
	if (fd >= 0)
		close(fd);
	p->commit_ok = spore_store_commit(ws, tmp, "./blobs/sha256/" "1111111111111111111111111111111111111111111111111111111111111111", err);
	return 0;
}

static int escapes(struct spore_store *ws, void *arg, void *out, struct spore_err *err)
{
	(void)ws, (void)arg, (void)out;
	return spore_err_setx(err, EINVAL, "entry '\033]0;pwned\007\2332J' refused");
}

static int crash(struct spore_store *ws, void *arg, void *out, struct spore_err *err)
{
	(void)ws, (void)arg, (void)out, (void)err;
	abort();
}

int main(void)
{
	char root[] = "/tmp/test-image-worker-XXXXXX", path[PATH_MAX + 100], outside_file[PATH_MAX];
	struct spore_store s;
	struct spore_err err = {0};
	struct probe p;
	struct stat st;
	struct spore_worker_opts o = {.read_dirfd = -1, .keep_fd = -1, .out = &p, .out_len = sizeof(p)};

	if (!mkdtemp(root))
		return 1;
	chmod(root, 0700);
	ok(spore_store_open(&s, root, false, &err) == 0, "a store: %s", err.msg);
	snprintf(path, sizeof(path), "%s/blobs/sha256/" "0000000000000000000000000000000000000000000000000000000000000000", s.dir);
	close(open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0444));
	snprintf(outside_file, sizeof(outside_file), "%s/outside", root);
	outside = outside_file;

	/* Stands for a caller's xenstore connection or privcmd. */
	int secret = open("/dev/null", O_RDONLY);
	int r = spore_image_worker_run(&s, probe, &secret, &o, &err);
	close(secret);
	is_int(r, 0, "the probe ran in the worker: %s", r ? err.msg : "");
	if (geteuid() == 0) {
		ok(p.uid != 0 && p.euid != 0, "as root, the worker runs as another user (uid %u)", (unsigned)p.uid);
		is_int(p.setuid_r, EPERM, "and cannot get root back");
	} else {
		ok(1, "# SKIP not root: the user switch is not tested");
		ok(1, "# SKIP not root: nor getting root back");
	}
	is_int(p.inherited, EBADF, "a descriptor the caller had open is closed in the worker");
	is_int(p.shadow, EACCES, "/etc/shadow cannot be opened");
	ok(p.outside != 0 && stat(outside_file, &st) < 0, "no file can be made outside the cache's tmp/ (%s): %s",
	   p.outside_path, strerror(p.outside));
	ok(p.cache_write != 0, "nor written into the cache directly: %s", strerror(p.cache_write));
	ok(p.exec_sh != 0 && p.exec_sh != -1, "/bin/sh cannot be executed: %s", strerror(p.exec_sh));
	is_int(p.tar2sqfs, 0, "tar2sqfs, the one helper, can %s", p.tar2sqfs_msg);
	is_int(p.unix_sock, EACCES, "no AF_UNIX socket");
	is_int(p.inet_sock, 0, "an AF_INET socket (for the registry)");
	is_int(p.ptrace_r, EPERM, "no ptrace");
	is_int(p.mount_r, EPERM, "no mount");
	is_int(p.unshare_r, EPERM, "no new namespaces");
	is_int(p.chmod_r, EPERM, "no chmod");
	is_int(p.kill_r, EPERM, "no signals to other processes (sporectl here)");
	is_int(p.tmp_write, 0, "a temp file can be written");
	is_int(p.blob_read, 0, "a cached blob can be read");
	is_int(p.escape, -EPERM, "storing a file from outside tmp/ is refused by sporectl");
	is_int(p.escape_dest, -EPERM, "storing a file outside the cache is refused by sporectl");
	is_int(p.commit_ok, 0, "storing a temp file as a blob is done by sporectl");
	snprintf(path, sizeof(path), "%s/blobs/sha256/" "1111111111111111111111111111111111111111111111111111111111111111", s.dir);
	ok(stat(path, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 07777) == 0444,
	   "the stored blob is sporectl's and read-only");

	o.out = NULL;
	o.out_len = 0;
	r = spore_image_worker_run(&s, escapes, NULL, &o, &err);
	ok(r == -EINVAL && !strcmp(err.msg, "entry '?]0;pwned??2J' refused"),
	   "the worker's error comes back with control bytes replaced: %s", err.msg);
	r = spore_image_worker_run(&s, crash, NULL, &o, &err);
	ok(r < 0 && strstr(err.msg, "the image worker died (signal 6)"), "a crashing worker is an error: %s",
	   err.msg);
	spore_store_close(&s);
	spore_state_rm_tree(root);
	return tap_done();
}
