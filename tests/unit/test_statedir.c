/* controller/statedir/: the state directory's shared mechanics (mkdir -p,
 * the store lock, process-named temps and their sweep) and helper programs
 * run as children (exit status, last output line, exec failures, stdin). */
#include "child.h"
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static char base[256];

static int exists(const char *dir, const char *name)
{
	char p[PATH_MAX * 2];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

static void touch(const char *dir, const char *name)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
}

/* A pid whose process has exited and been reaped. */
static int dead_pid(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return (int)p;
}

static void dirs(void)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/a/b/c", base);
	is_int(spore_state_mkdir_p(p, 0700), 0, "mkdir -p makes every level");
	ok(stat(p, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	   "the last level is a 0700 directory");
	snprintf(q, sizeof(q), "%s/a/b/c", base);
	ok(!strcmp(p, q), "the path is given back unchanged");
	is_int(spore_state_mkdir_p(p, 0700), 0, "an existing tree is fine");
	snprintf(q, sizeof(q), "%s/a/file", base);
	touch(base, "a/file");
	snprintf(p, sizeof(p), "%s/a/file/x", base);
	is_int(spore_state_mkdir_p(p, 0700), -ENOTDIR, "a file in the way is an error");

	setenv("SPORE_ROOT", "/some/root", 1);
	is_str(spore_state_default_root(), "/some/root", "$SPORE_ROOT is the root");
	setenv("SPORE_ROOT", "", 1);
	is_str(spore_state_default_root(), SPORE_DEFAULT_ROOT, "an empty $SPORE_ROOT is not");
	unsetenv("SPORE_ROOT");
	is_str(spore_state_default_root(), "/var/lib/spore", "else /var/lib/spore");
}

static void temps(void)
{
	static const char *const kinds[] = {"pull", ".rm", NULL};
	char dir[300], name[PATH_MAX], want[64];
	int dead = dead_pid(), me = (int)getpid();

	snprintf(dir, sizeof(dir), "%s/tmp", base);
	mkdir(dir, 0700);
	is_int(spore_state_tmpname(name, sizeof(name), dir, "pull"), 0, "a temp name");
	snprintf(want, sizeof(want), "/pull-%d-XXXXXX", me);
	ok(strlen(name) > strlen(want) && !strcmp(name + strlen(name) - strlen(want), want),
	   "is DIR/KIND-PID-XXXXXX: %s", name);
	is_int(spore_state_tmpname(name, 20, dir, "pull"), -ENAMETOOLONG, "too long is refused");

	char a[64], b[64], c[64], d[64], e[64], f[64];
	snprintf(a, sizeof(a), "pull-%d-abc", dead);
	snprintf(b, sizeof(b), "pull-%d-abc", me);
	snprintf(c, sizeof(c), ".rm-%d-vol", dead);
	snprintf(d, sizeof(d), "partial-%d-x", dead);
	snprintf(e, sizeof(e), "pull-%d", dead);
	snprintf(f, sizeof(f), "pull-+%d-x", dead);
	touch(dir, a);
	touch(dir, b);
	touch(dir, d);
	touch(dir, e);
	touch(dir, f);
	snprintf(name, sizeof(name), "%s/%s", dir, c);
	mkdir(name, 0700);
	touch(name, "inside");
	spore_state_sweep(dir, kinds, "test");
	ok(!exists(dir, a), "a dead process's temp file is swept");
	ok(!exists(dir, c), "a dead process's temp tree is swept");
	ok(exists(dir, b), "a live process's is kept");
	ok(exists(dir, d), "another kind is kept");
	ok(exists(dir, e) && exists(dir, f), "names not of the form KIND-PID-... are kept");
}

static void rm_tree(void)
{
	char t[300], outside[300], p[700];
	struct stat st;

	snprintf(t, sizeof(t), "%s/rm", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	mkdir(outside, 0700);
	touch(outside, "precious");
	snprintf(p, sizeof(p), "%s/a/b/c", t);
	spore_state_mkdir_p(p, 0700);
	touch(t, "a/b/c/f");
	touch(t, "a/f");
	snprintf(p, sizeof(p), "%s/a/b/link", t);
	ok(symlink(outside, p) == 0, "a tree with a symlink to a directory outside it");
	spore_state_rm_tree(t);
	ok(lstat(t, &st) < 0 && errno == ENOENT, "the tree is removed");
	ok(exists(outside, "precious"), "the linked directory's content is not");
	snprintf(p, sizeof(p), "%s/dirlink", base);
	ok(symlink(outside, p) == 0, "a symlink to a directory");
	spore_state_rm_tree(p);
	ok(lstat(p, &st) < 0 && exists(outside, "precious"), "removing it removes the link only");
}

static void lock(void)
{
	char p[PATH_MAX];
	struct spore_err err = {0};
	snprintf(p, sizeof(p), "%s/lock", base);
	int a = spore_state_lock(p, "test store", false, &err);
	int b = spore_state_lock(p, "test store", false, &err);
	ok(a >= 0 && b >= 0, "two shared locks coexist");
	int c = open(p, O_RDWR | O_CLOEXEC);
	ok(flock(c, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK, "and keep an exclusive one out");
	close(a);
	close(b);
	ok(flock(c, LOCK_EX | LOCK_NB) == 0, "closing them unlocks");
	close(c);
	snprintf(p, sizeof(p), "%s/nodir/lock", base);
	ok(spore_state_lock(p, "test store", true, &err) == -ENOENT && strstr(err.msg, "test store lock"),
	   "a lock that cannot be made says which: %s", err.msg);
}

static void children(void)
{
	struct spore_child c;
	struct spore_err err = {0};
	char *const t[] = {"true", NULL};
	char *const f[] = {"sh", "-c", "echo first; printf 'last \\033[2J line\\n\\n' >&2; exit 3", NULL};
	char *const missing[] = {"spore-no-such-tool", NULL};
	char *const cat[] = {"sh", "-c", "read x; test \"$x\" = hello || exit 9", NULL};
	static const char *const fallback[] = {"/nonexistent/tool", "/bin/true", NULL};

	ok(spore_child_start(&c, t, -1, NULL, NULL, &err) == 0 && spore_child_wait(&c, false, &err) == 0,
	   "a child that succeeds");
	is_int(spore_child_start(&c, f, -1, NULL, NULL, &err), 0, "a child that fails starts");
	is_int(spore_child_wait(&c, false, &err), -EIO, "and its failure is -EIO");
	is_str(err.msg, "sh failed (exit 3): last ?[2J line",
	       "naming it, its status and its last output line, control bytes replaced");
	is_int(spore_child_start(&c, missing, -1, NULL, "install it", &err), -ENOENT,
	       "a missing program is its exec errno");
	ok(strstr(err.msg, "running spore-no-such-tool (install it)") != NULL, "with the hint: %s", err.msg);
	ok(spore_child_start(&c, missing, -1, fallback, NULL, &err) == 0 &&
		   spore_child_wait(&c, false, &err) == 0,
	   "a fallback path is tried when PATH has none");

	int p[2];
	ok(pipe2(p, O_CLOEXEC) == 0, "a pipe for stdin");
	is_int(spore_child_start(&c, cat, p[0], NULL, NULL, &err), 0, "a child reading stdin");
	close(p[0]);
	ok(write(p[1], "hello\n", 6) == 6, "gets its input");
	close(p[1]);
	is_int(spore_child_wait(&c, false, &err), 0, "from the descriptor given");

	char *const sleeper[] = {"sleep", "60", NULL};
	is_int(spore_child_start(&c, sleeper, -1, NULL, NULL, &err), 0, "a slow child");
	is_int(spore_child_wait(&c, true, &err), 0, "abandoned: killed, nothing reported");
}

int main(void)
{
	snprintf(base, sizeof(base), "%s/test-statedir-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	dirs();
	temps();
	rm_tree();
	lock();
	children();
	spore_state_rm_tree(base);
	return tap_done();
}
