/* spore-runc create --bundle B --pid-file P [--console-socket S] ID: the
 * guest is built, its workload held until start; the pid file names the
 * container's host process, which relays the console to the caller's
 * stdout and exits with the container's status. Nothing is printed on
 * success: the caller's pipes are the container's streams. */
#include "rootfs_image.h"
#include "runc_cli.h"
#include "runc_guest.h"
#include "runc_state.h"
#include "oci_spec.h"

#include <spore/log.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char help[] =
	"Usage: spore-runc create --bundle DIR --pid-file FILE [--console-socket SOCK] ID\n\n"
	"Build the container's guest from DIR/config.json and its root directory; the\n"
	"workload waits for `start`. FILE gets the pid of the container's host process,\n"
	"which exits with the container's status. Accepted and ignored: --no-pivot,\n"
	"--no-new-keyring, --preserve-fds N.\n";

/* The host process: the launcher that stays attached. With a terminal,
 * the pty's slave is its stdin, stdout and stderr (the caller's own fds
 * must go: containerd waits for their end before create counts as done);
 * without, its stdin is not the container's (a console has no end-of-file
 * to pass on). */
static _Noreturn void host_process(const struct runc_ctx *c, const struct spore_oci_spec *spec,
				   const char *image, int notify_fd, int tty)
{
	struct spore_err err = {0};
	int fd = tty >= 0 ? tty : open("/dev/null", O_RDONLY | O_CLOEXEC), r;
	bool notified = false;

	if (fd >= 0) {
		for (int i = 0; i <= (tty >= 0 ? 2 : 0); i++)
			dup2(fd, i);
		if (fd > 2)
			close(fd);
	}
	/* The caller's stderr is the container's: spore's warnings stay out. */
	if (!getenv("SPORE_LOG"))
		spore_log_set_level(SPORE_LOG_ERROR);
	r = runc_guest_run(spec, image, notify_fd, &notified, &err);
	if (r < 0) {
		/* Before the guest ran create reports it; after, the log does. */
		char line[sizeof(err.msg) + 4];
		int n = snprintf(line, sizeof(line), "E %s\n", err.msg);
		if (notified || write(notify_fd, line, (size_t)n) != n)
			runc_log_line(c, "error", err.msg);
		_exit(1);
	}
	_exit(r);
}

/* CRI's sandbox (pause) container holds the pod's namespaces for runc; a
 * pod of spore guests needs none of them, so its process is only a host
 * process that ends, as pause does, with 0 on SIGTERM, SIGINT or SIGHUP. */
static _Noreturn void pause_process(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	while (sigwait(&set, &sig) != 0) {
	}
	_exit(0);
}

/* What the host process said: "OK <uuid>" or "E <message>". */
static int await_guest(int fd, pid_t child, char *uuid, size_t n, struct spore_err *err)
{
	char buf[SPORE_ERR_MSG_MAX + 64];
	size_t got = 0;
	ssize_t k;

	while (got < sizeof(buf) - 1 && ((k = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0 ||
					 (k < 0 && errno == EINTR)))
		got += k > 0 ? (size_t)k : 0;
	buf[got] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!strncmp(buf, "OK ", 3) && strlen(buf + 3) == 36) {
		snprintf(uuid, n, "%s", buf + 3);
		return 0;
	}
	waitpid(child, NULL, 0);
	if (!strncmp(buf, "E ", 2))
		return spore_err_setx(err, EIO, "%s", buf + 2);
	return spore_err_setx(err, EIO, "the container's host process ended before its guest ran");
}

int cmd_create(const struct runc_ctx *c, int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {
		{"bundle", required_argument, 0, 'b'},     {"pid-file", required_argument, 0, 'p'},
		{"console-socket", required_argument, 0, 's'}, {"no-pivot", no_argument, 0, 'n'},
		{"no-new-keyring", no_argument, 0, 'n'},   {"preserve-fds", required_argument, 0, 'n'},
		{0, 0, 0, 0},
	};
	const char *bundle = ".", *pid_file = NULL, *console = NULL, *id;
	struct spore_oci_spec spec = {0};
	struct spore_runc_state st = {0};
	struct runc_rootfs_image img = {0};
	char bundle_real[PATH_MAX], rootfs[PATH_MAX];
	bool claimed = false;
	int o, r, p[2] = {-1, -1}, tty = -1;
	pid_t child;

	if (runc_help(argc, argv, help))
		return 0;
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+b:", opts, NULL)) != -1) {
		switch (o) {
		case 'b': bundle = optarg; break;
		case 'p': pid_file = optarg; break;
		case 's': console = optarg; break;
		case 'n': break;
		default:
			return runc_usage(err, "create: usage: spore-runc create --bundle DIR --pid-file FILE ID");
		}
	}
	if (optind != argc - 1)
		return runc_usage(err, "create: usage: spore-runc create --bundle DIR --pid-file FILE ID");
	id = argv[optind];
	if (!spore_runc_id_ok(id))
		return runc_usage(err, "create: invalid container ID '%.*s'", SPORE_RUNC_ID_MAX, id);
	if (!realpath(bundle, bundle_real))
		return spore_err_set(err, errno, "create: bundle %s", bundle);
	if ((r = spore_oci_spec_load(bundle_real, &spec, err)) < 0)
		goto out;
	if (spec.terminal != !!console) {
		r = spore_err_setx(err, EINVAL, spec.terminal ? "create: process.terminal needs --console-socket"
							      : "create: --console-socket without process.terminal");
		goto out;
	}
	if ((size_t)snprintf(rootfs, sizeof(rootfs), "%s%s%s", spec.root_path[0] == '/' ? "" : bundle_real,
			     spec.root_path[0] == '/' ? "" : "/", spec.root_path) >= sizeof(rootfs)) {
		r = spore_err_setx(err, ENAMETOOLONG, "create: root.path too long");
		goto out;
	}
	if ((r = spore_runc_state_claim(c->root, id, err)) < 0)
		goto out;
	claimed = true;
	if (spec.sandbox) {
		if ((child = fork()) < 0) {
			r = spore_err_set(err, errno, "create: fork");
			goto out;
		}
		if (child == 0)
			pause_process();
		st.no_guest = true;
		goto record;
	}
	if ((r = runc_rootfs_image(rootfs, id, &img, err)) < 0)
		goto out;
	if (console && (r = runc_console_send(console, &tty, err)) < 0) {
		spore_err_wrap(err, "create");
		goto out;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = spore_err_set(err, errno, "create: pipe");
		goto out;
	}
	if ((child = fork()) < 0) {
		r = spore_err_set(err, errno, "create: fork");
		goto out;
	}
	if (child == 0) {
		close(p[0]);
		host_process(c, &spec, img.path, p[1], tty);
	}
	close(p[1]);
	p[1] = -1;
	if ((r = await_guest(p[0], child, st.uuid, sizeof(st.uuid), err)) < 0) {
		spore_err_wrap(err, "create %s", id);
		goto out;
	}
record:
	snprintf(st.id, sizeof(st.id), "%s", id);
	snprintf(st.bundle, sizeof(st.bundle), "%s", bundle_real);
	snprintf(st.rootfs, sizeof(st.rootfs), "%s", rootfs);
	snprintf(st.image, sizeof(st.image), "%s", img.path);
	st.image_shared = img.shared;
	spore_runc_now(st.created, sizeof(st.created));
	st.pid = child;
	st.pid_start = spore_runc_pid_start(child);
	st.status = SPORE_RUNC_CREATED;
	/* The state, then the pid file last: containerd reads it as soon as
	 * create returns, and anything after it could fail without a pid to
	 * clean up after. */
	if ((r = spore_runc_state_write(c->root, &st, err)) < 0 ||
	    (pid_file && (r = spore_runc_pidfile_write(pid_file, child, err)) < 0)) {
		struct spore_err e = {0};
		if (!st.no_guest)
			runc_guest_destroy(st.uuid, &e);
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
out:
	if (r < 0 && claimed) {
		struct spore_err e = {0};
		if (img.path[0] && !img.shared)
			unlink(img.path);
		spore_runc_state_remove(c->root, id, &e);
	}
	if (tty >= 0)
		close(tty);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	spore_oci_spec_free(&spec);
	return r;
}
