/* The worker's seccomp allowlist, as classic BPF written by hand; see
 * net_sandbox.h. */
#include "net_sandbox.h"

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

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#else
#error "sporenet: add this architecture's AUDIT_ARCH to seccomp.c"
#endif

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

#define MAX_INSNS 256

struct prog {
	struct sock_filter insn[MAX_INSNS];
	unsigned n;
	int overflow;
};

static void emit(struct prog *p, struct sock_filter f)
{
	if (p->n < MAX_INSNS)
		p->insn[p->n++] = f;
	else
		p->overflow = 1;
}

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
/* Low 32 bits of an argument: enough for the int-typed ones checked here
 * (the kernel truncates them the same way). */
#define LD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]) + \
					 (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW RET(SECCOMP_RET_ALLOW)
#define DENY RET(SECCOMP_RET_TRAP)

/* if (nr == sys) { A = arg; if (A & bits) deny; allow } */
static void allow_unless_bits(struct prog *p, int sys, int arg, uint32_t bits)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0, 4));
	emit(p, (struct sock_filter)LD_ARG(arg));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, 0, 1));
	emit(p, (struct sock_filter)DENY);
	emit(p, (struct sock_filter)ALLOW);
}

/* if (nr == sys) { A = arg; if (A == v1 || A == v2) allow; return otherwise } */
static void allow_if_arg_else(struct prog *p, int sys, int arg, uint32_t v1, uint32_t v2,
			      uint32_t otherwise)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0, 5));
	emit(p, (struct sock_filter)LD_ARG(arg));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v1, 2, 0));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v2, 1, 0));
	emit(p, (struct sock_filter)RET(otherwise));
	emit(p, (struct sock_filter)ALLOW);
}

/* if (nr == sys) { A = arg; if (A is one of v[0..n)) allow; deny } */
static void allow_if_arg_in(struct prog *p, int sys, int arg, const uint32_t *v, unsigned n)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0,
					     (uint8_t)(n + 3)));
	emit(p, (struct sock_filter)LD_ARG(arg));
	for (unsigned i = 0; i < n; i++)
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v[i],
						     (uint8_t)(n - i), 0));
	emit(p, (struct sock_filter)DENY);
	emit(p, (struct sock_filter)ALLOW);
}

static void allow_if_arg(struct prog *p, int sys, int arg, uint32_t v1, uint32_t v2)
{
	allow_if_arg_else(p, sys, arg, v1, v2, SECCOMP_RET_TRAP);
}

static void build(struct prog *p)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
	emit(p, (struct sock_filter)LD_NR);
#ifdef __x86_64__
	/* x32 system calls share the arch value: refuse them outright. */
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
#endif
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)allowed[i],
						     0, 1));
		emit(p, (struct sock_filter)ALLOW);
	}
	/* Each arg check leaves A clobbered: reload nr before the next. */
	/* Other socket families fail softly: glibc's syslog() tries to
	 * reconnect with a new AF_UNIX socket after a syslogd restart. */
	allow_if_arg_else(p, SYS_socket, 0, AF_INET, AF_INET6, SECCOMP_RET_ERRNO | EACCES);
	emit(p, (struct sock_filter)LD_NR);
	/* A userspace vif's data path: grant copies with its guest, kicks,
	 * and the event ring's reset. The devices were opened and the rings
	 * mapped before the sandbox; mapping more (IOCTL_GNTDEV_MAP_GRANT_REF)
	 * or binding another channel is refused. */
	static const uint32_t ioctls[] = {FIONREAD, FIONBIO, IOCTL_GNTDEV_GRANT_COPY,
					  IOCTL_EVTCHN_NOTIFY, IOCTL_EVTCHN_RESET};
	allow_if_arg_in(p, SYS_ioctl, 1, ioctls, sizeof(ioctls) / sizeof(ioctls[0]));
	emit(p, (struct sock_filter)LD_NR);
	allow_unless_bits(p, SYS_openat, 2,
			  O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY));
	emit(p, (struct sock_filter)LD_NR);
#ifdef SYS_open
	allow_unless_bits(p, SYS_open, 1,
			  O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY));
	emit(p, (struct sock_filter)LD_NR);
#endif
	allow_unless_bits(p, SYS_mmap, 2, PROT_EXEC);
	emit(p, (struct sock_filter)LD_NR);
	allow_unless_bits(p, SYS_mprotect, 2, PROT_EXEC);
	emit(p, (struct sock_filter)LD_NR);
	/* abort() raises SIGABRT at itself; no other signals may be sent. */
	allow_if_arg(p, SYS_rt_sigaction, 0, SIGABRT, SIGSYS);
	emit(p, (struct sock_filter)LD_NR);
	allow_if_arg(p, SYS_tgkill, 2, SIGABRT, SIGABRT);
	emit(p, (struct sock_filter)DENY);
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
	static struct prog p;
	memset(&p, 0, sizeof(p));
	build(&p);
	if (p.overflow)
		return spore_err_setx(err, E2BIG, "seccomp program too long");

	struct sigaction sa = {0};
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return spore_err_set(err, errno, "sigaction SIGSYS");

	struct sock_fprog fprog = {.len = (unsigned short)p.n, .filter = p.insn};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return spore_err_set(err, errno, "PR_SET_NO_NEW_PRIVS");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) < 0)
		return spore_err_set(err, errno, "install seccomp filter");
	return 0;
}
