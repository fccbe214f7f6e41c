/* The container process: user, environment, working directory, terminal,
 * PATH lookup and exec, with docker's exit codes (126 not executable, 127
 * not found) when the exec cannot happen. */
#include "init.h"

#include "pathsearch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define ETC_MAX (1u << 20)

static size_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while (got < cap && (n = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got == cap)
		die("%s is larger than %u bytes", path, ETC_MAX);
	return got;
}

int resolve_userspec(const char *spec, struct userspec_ids *ids, char *err, size_t errlen)
{
	static char passwd[ETC_MAX], group[ETC_MAX];
	size_t pn = slurp("/etc/passwd", passwd, sizeof(passwd));
	size_t gn = slurp("/etc/group", group, sizeof(group));

	return userspec_resolve(spec, passwd, pn, group, gn, ids, err, errlen);
}

void resolve_user(const struct spore_bundle *b, struct userspec_ids *ids)
{
	char err[200];

	if (resolve_userspec(b->user, ids, err, sizeof(err)) < 0)
		die("%s", err);
}

static const char *getenv_in(const char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static bool same_key(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");
	return !strncmp(a, b, n) && (b[n] == '=' || b[n] == '\0');
}

const char *const *build_env(const struct spore_bundle *b, const struct userspec_ids *ids,
			     const char *const *extra, unsigned nextra)
{
	static const char *env[SPORE_BUNDLE_MAX_ENV + EXEC_MAX_ENV + 4];
	static char home[sizeof(ids->home) + 8];
	unsigned n = 0;

	/* exec's -e replaces the container's variable of that name. */
	for (unsigned i = 0; i < b->envc; i++) {
		bool replaced = false;
		for (unsigned k = 0; k < nextra && !replaced; k++)
			replaced = same_key(extra[k], b->envp[i]);
		if (!replaced)
			env[n++] = b->envp[i];
	}
	for (unsigned k = 0; k < nextra && k < EXEC_MAX_ENV; k++)
		env[n++] = extra[k];
	env[n] = NULL;
	if (!getenv_in(env, "PATH"))
		env[n++] = "PATH=" PATHSEARCH_DEFAULT;
	env[n] = NULL;
	if (!getenv_in(env, "HOME")) {
		snprintf(home, sizeof(home), "HOME=%s", ids->home);
		env[n++] = home;
	}
	env[n] = NULL;
	if (b->tty && !getenv_in(env, "TERM"))
		env[n++] = "TERM=xterm";
	env[n] = NULL;
	return env;
}

/* One write: on a console the kernel also prints to, the line must not be
 * split around one of its messages. */
_Noreturn void child_fail(int code, const char *fmt, const char *arg, int err)
{
	char msg[600], line[700];

	snprintf(msg, sizeof(msg), fmt, arg);
	int n = snprintf(line, sizeof(line), "sporeinit: %s%s%s\n", msg, err ? ": " : "",
			 err ? strerror(err) : "");
	if (n > (int)sizeof(line) - 1) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(2, line, (size_t)n) < 0) {
		/* nowhere else to say it */
	}
	_exit(code);
}

static void setup_terminal(const struct spore_bundle *b)
{
	struct termios t;
	int fd;

	if (b->tty) {
		/* A session of its own with the console as controlling tty, so
		 * that ^C and job control reach the container. */
		fd = open("/dev/hvc0", O_RDWR);
		if (fd < 0)
			fd = open("/dev/console", O_RDWR);
		if (fd < 0 || ioctl(fd, TIOCSCTTY, 1) < 0)
			child_fail(125, "controlling terminal %s", "/dev/hvc0", errno);
		if (tcgetattr(fd, &t) == 0) {
			t.c_iflag |= ICRNL | IXON;
			t.c_oflag |= OPOST | ONLCR;
			t.c_lflag |= ICANON | ECHO | ECHOE | ECHOK | ISIG | IEXTEN;
			tcsetattr(fd, TCSANOW, &t);
		}
		for (int i = 0; i < 3; i++)
			dup2(fd, i);
		if (fd > 2)
			close(fd);
		return;
	}
	/* No tty: bytes pass unchanged (no echo, no CR insertion), as a
	 * docker pipe would carry them. */
	if (tcgetattr(1, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(1, TCSANOW, &t);
	}
	if (!b->stdin_open) {
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != 0) {
			dup2(fd, 0);
			close(fd);
		}
	}
}

/* WorkingDir is created as root, like docker does, before a --read-only
 * root is sealed. */
void make_workdir(const struct spore_bundle *b)
{
	const char *wd = b->workdir;

	if (wd) {
		char p[4096];
		size_t n = strlen(wd);
		memcpy(p, wd, n + 1);
		for (char *c = p + 1;; c++) {
			if (*c == '/' || *c == '\0') {
				char was = *c;
				*c = '\0';
				if (mkdir(p, 0755) < 0 && errno != EEXIST)
					die("create working directory %s: %s", p, strerror(errno));
				*c = was;
				if (!was)
					break;
			}
		}
	}
}

pid_t start_container(const struct spore_bundle *b, const struct userspec_ids *ids)
{
	const char *const *env = build_env(b, ids, NULL, 0);
	const char *wd = b->workdir ? b->workdir : "/";
	sigset_t none;
	pid_t pid;
	int errw = -1;

	/* Without a tty, stderr apart (errout.c); with one, all is the tty's. */
	if (!b->tty && errout_pipe(&errw) < 0)
		warn("no pipe for the container's stderr: it shares the console");
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		if (errw >= 0)
			close(errw);
		return pid;
	}

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	setup_terminal(b);
	if (errw >= 0 && dup2(errw, 2) < 0)
		child_fail(125, "stderr %s", "pipe", errno);
	become_and_exec(ids, b->user, wd, b->argv, env);
}

void become_and_exec(const struct userspec_ids *ids, const char *user, const char *wd,
		     const char *const *argv, const char *const *env)
{
	if (setgroups((size_t)ids->ngroups, ids->groups) < 0 || setgid(ids->gid) < 0 ||
	    setuid(ids->uid) < 0)
		child_fail(125, "set user %s", user ? user : "root", errno);
	if (chdir(wd) < 0)
		child_fail(126, "chdir to %s", wd, errno);

	static char path[4096];
	int r = pathsearch(argv[0], getenv_in(env, "PATH"), path, sizeof(path));
	if (r == 127)
		child_fail(127, "exec: \"%s\": executable file not found in $PATH", argv[0], 0);
	if (r == 126)
		child_fail(126, "exec: \"%s\": permission denied", argv[0], 0);
	execve(path, (char *const *)argv, (char *const *)env);
	child_fail(errno == ENOENT ? 127 : 126, "exec %s", path, errno);
}
