/* The worker's seccomp allowlist, as classic BPF written by hand; see
 * net_sandbox.h. */
#include "net_sandbox.h"
#include <spore/seccomp_bpf.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
/* The Xen headers do not include what their types need. */
#include <xen/xen.h>
#include <xen/sys/evtchn.h>
#include <xen/sys/gntdev.h>

/* System calls allowed whatever their arguments. */
static const int allowed[] = {
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_close, SYS_fstat, SYS_newfstatat,
	SYS_lseek, SYS_statx, SYS_ppoll, SYS_munmap, SYS_mremap, SYS_brk, SYS_madvise,
	SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack, SYS_futex, SYS_getpid, SYS_gettid,
	SYS_getppid, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getrandom,
	SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday, SYS_nanosleep,
	SYS_clock_nanosleep, SYS_exit, SYS_exit_group, SYS_restart_syscall, SYS_sched_yield,
	SYS_connect, SYS_accept, SYS_accept4, SYS_bind, SYS_listen, SYS_shutdown,
	SYS_getsockname, SYS_getpeername, SYS_setsockopt, SYS_getsockopt, SYS_sendto,
	SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_sendmmsg, SYS_recvmmsg, SYS_fcntl,
	SYS_timerfd_settime, SYS_timerfd_gettime, SYS_epoll_pwait, SYS_uname,
#ifdef SYS_poll
	SYS_poll,
#endif
#ifdef SYS_stat
	SYS_stat, SYS_lstat,
#endif
#ifdef SYS_epoll_wait
	SYS_epoll_wait,
#endif
#ifdef SYS_time
	SYS_time,
#endif
};

static void build(struct spore_bpf_prog *p)
{
	/* A userspace vif's data path: grant copies with its guest, kicks,
	 * and the event ring's reset. The devices were opened and the rings
	 * mapped before the sandbox; mapping more (IOCTL_GNTDEV_MAP_GRANT_REF)
	 * or binding another channel is refused. */
	static const uint32_t families[] = {AF_INET, AF_INET6},
			      ioctls[] = {FIONREAD, FIONBIO, IOCTL_GNTDEV_GRANT_COPY,
					  IOCTL_EVTCHN_NOTIFY, IOCTL_EVTCHN_RESET},
			      sigactions[] = {SIGABRT, SIGSYS}, abort_sig[] = {SIGABRT};
	const uint32_t writes = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND |
				(O_TMPFILE & ~O_DIRECTORY);

	spore_bpf_prologue(p);
	spore_bpf_allow_all(p, allowed, sizeof(allowed) / sizeof(allowed[0]));
	/* Other socket families fail softly: glibc's syslog() tries to
	 * reconnect with a new AF_UNIX socket after a syslogd restart. */
	spore_bpf_allow_if_arg(p, SYS_socket, 0, families, 2, SECCOMP_RET_ERRNO | EACCES);
	spore_bpf_allow_if_arg(p, SYS_ioctl, 1, ioctls, sizeof(ioctls) / sizeof(ioctls[0]),
			       SECCOMP_RET_TRAP);
	spore_bpf_allow_unless_bits(p, SYS_openat, 2, writes, SECCOMP_RET_TRAP);
#ifdef SYS_open
	spore_bpf_allow_unless_bits(p, SYS_open, 1, writes, SECCOMP_RET_TRAP);
#endif
	spore_bpf_allow_unless_bits(p, SYS_mmap, 2, PROT_EXEC, SECCOMP_RET_TRAP);
	spore_bpf_allow_unless_bits(p, SYS_mprotect, 2, PROT_EXEC, SECCOMP_RET_TRAP);
	/* abort() raises SIGABRT at itself; no other signals may be sent. */
	spore_bpf_allow_if_arg(p, SYS_rt_sigaction, 0, sigactions, 2, SECCOMP_RET_TRAP);
	spore_bpf_allow_if_arg(p, SYS_tgkill, 2, abort_sig, 1, SECCOMP_RET_TRAP);
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(SECCOMP_RET_TRAP));
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char msg[96] = "sporenet worker: seccomp refused system call ";
	char num[16];
	int n = 0, nr = si->si_syscall;
	size_t len = strlen(msg);
	if (nr < 0)
		nr = 0;
	do
		num[n++] = (char)('0' + nr % 10);
	while ((nr /= 10) && n < 15);
	while (n && len < sizeof(msg) - 2)
		msg[len++] = num[--n];
	msg[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, msg, len);
	(void)w;
	_exit(159);
}

int net_seccomp_install(struct spore_err *err)
{
	static struct spore_bpf_prog p;
	memset(&p, 0, sizeof(p));
	build(&p);

	struct sigaction sa = {0};
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return spore_err_set(err, errno, "sigaction SIGSYS");

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return spore_err_set(err, errno, "PR_SET_NO_NEW_PRIVS");
	int r = spore_bpf_install(&p, SECCOMP_FILTER_FLAG_TSYNC);
	return r < 0 ? spore_err_set(err, -r, "install seccomp filter") : 0;
}
