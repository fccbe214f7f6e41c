/* The worker's seccomp allowlist, installed for real in forked children:
 * what the worker needs works, the rest fails softly or kills. */
#include "net_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/sys/evtchn.h>
#include <xen/sys/gntdev.h>

#include "tap.h"

enum { SECCOMP_DEATH = 159 }; /* the SIGSYS handler's exit status */

/* Runs fn in a child under the filter; returns its exit status (or 128+sig). */
static int run(int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct spore_err err = {0};
		if (net_seccomp_install(&err) < 0) {
			printf("# %s\n", err.msg);
			_exit(99);
		}
		/* _exit: no atexit handlers (LeakSanitizer's need ptrace). */
		_exit(fn());
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int inet_socket(void)
{
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET6, SOCK_STREAM, 0);
	return a >= 0 && b >= 0 ? 0 : 1;
}

static int unix_socket(void)
{
	return socket(AF_UNIX, SOCK_DGRAM, 0) < 0 && errno == EACCES ? 0 : 1;
}

static int packet_socket(void)
{
	return socket(AF_PACKET, SOCK_RAW, 0) < 0 && errno == EACCES ? 0 : 1;
}

static int read_only_open(void)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	char c;
	return fd >= 0 && read(fd, &c, 1) == 1 ? 0 : 1;
}

static int write_open(void)
{
	open("/dev/null", O_WRONLY);
	return 0;
}

static int create_open(void)
{
	open("/tmp/spore-seccomp-test", O_RDONLY | O_CREAT, 0600);
	return 0;
}

static int exec_shell(void)
{
	char *argv[] = {"/bin/true", NULL};
	execve("/bin/true", argv, NULL);
	return 0;
}

static int do_fork(void)
{
	return fork() >= 0 ? 2 : 0;
}

static int exec_mapping(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 0;
}

static int rw_mapping(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p != MAP_FAILED && munmap(p, 4096) == 0 ? 0 : 1;
}

static int kill_parent(void)
{
	kill(getppid(), 0);
	return 0;
}

/* A userspace vif's ioctls pass the filter (and fail on a procfs file,
 * which is no Xen device); mapping a grant or binding a channel does not. */
static int vif_ioctls(void)
{
	struct ioctl_gntdev_grant_copy c = {0};
	struct ioctl_evtchn_notify n = {0};
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 2;
	int a = ioctl(fd, IOCTL_GNTDEV_GRANT_COPY, &c), b = ioctl(fd, IOCTL_EVTCHN_NOTIFY, &n),
	    d = ioctl(fd, IOCTL_EVTCHN_RESET, NULL);
	return a < 0 && b < 0 && d < 0 && errno == ENOTTY ? 0 : 1;
}

static int map_grant(void)
{
	struct ioctl_gntdev_map_grant_ref m = {.count = 1};
	ioctl(0, IOCTL_GNTDEV_MAP_GRANT_REF, &m);
	return 0;
}

static int bind_channel(void)
{
	struct ioctl_evtchn_bind_interdomain b = {0};
	ioctl(0, IOCTL_EVTCHN_BIND_INTERDOMAIN, &b);
	return 0;
}

static int do_abort(void)
{
	abort();
}

int main(void)
{
	is_int(run(inet_socket), 0, "AF_INET/AF_INET6 sockets allowed");
	is_int(run(unix_socket), 0, "AF_UNIX sockets fail with EACCES");
	is_int(run(packet_socket), 0, "AF_PACKET sockets fail with EACCES");
	is_int(run(read_only_open), 0, "read-only open and read allowed");
	is_int(run(rw_mapping), 0, "read/write mappings allowed");
	is_int(run(write_open), SECCOMP_DEATH, "open for writing kills");
	is_int(run(create_open), SECCOMP_DEATH, "O_CREAT kills");
	is_int(run(exec_shell), SECCOMP_DEATH, "execve kills");
	is_int(run(do_fork), SECCOMP_DEATH, "fork kills");
	is_int(run(exec_mapping), SECCOMP_DEATH, "executable mappings kill");
	is_int(run(kill_parent), SECCOMP_DEATH, "signalling another process kills");
	is_int(run(do_abort), 128 + SIGABRT, "abort() still works");
	is_int(run(vif_ioctls), 0, "grant copy, notify and evtchn reset ioctls allowed");
	is_int(run(map_grant), SECCOMP_DEATH, "mapping a grant kills");
	is_int(run(bind_channel), SECCOMP_DEATH, "binding an event channel kills");
	return tap_done();
}
