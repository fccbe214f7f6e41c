/* The image worker's seccomp allowlist, as classic BPF written by hand
 * (sporenet's worker, network/worker/seccomp.c, is the model); see
 * confine.h for what it allows. */
#include "confine.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH to controller/confine/seccomp.c"
#endif

/* Allowed whatever their arguments. Paths go through Landlock and the
 * worker's user; chmod, chown and utimes are left out (Landlock does not
 * cover them). Measured with strace -f on pulls from a registry, an OCI
 * layout and a docker archive, tar2sqfs included. */
static const int allowed[] = {
	/* descriptors */
	SYS_read, SYS_write, SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64, SYS_preadv,
	SYS_pwritev, SYS_close, SYS_close_range, SYS_dup, SYS_dup3, SYS_fcntl, SYS_lseek,
	SYS_fstat, SYS_newfstatat, SYS_statx, SYS_ftruncate, SYS_fsync, SYS_fdatasync,
	SYS_fallocate, SYS_flock, SYS_pipe2, SYS_memfd_create, SYS_copy_file_range,
	SYS_sendfile, SYS_splice, SYS_getdents64, SYS_ppoll, SYS_pselect6, SYS_epoll_create1,
	SYS_epoll_ctl, SYS_epoll_pwait, SYS_eventfd2,
	/* paths (Landlock decides) */
	SYS_openat, SYS_faccessat, SYS_faccessat2, SYS_readlinkat, SYS_mkdirat, SYS_unlinkat,
	SYS_renameat, SYS_renameat2, SYS_getcwd, SYS_chdir, SYS_fchdir, SYS_execve,
	/* memory */
	SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise, SYS_brk,
	/* threads and the one child (no signals to others: kill, tgkill below) */
	SYS_futex, SYS_set_robust_list, SYS_get_robust_list, SYS_rseq, SYS_set_tid_address,
	SYS_exit, SYS_exit_group, SYS_wait4, SYS_waitid,
	SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_sigaltstack,
	SYS_restart_syscall, SYS_sched_yield, SYS_sched_getaffinity, SYS_getpid, SYS_gettid,
	SYS_getppid, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid, SYS_getresuid,
	SYS_getresgid, SYS_getrandom, SYS_prlimit64, SYS_getrusage, SYS_sysinfo, SYS_uname,
	SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday, SYS_nanosleep,
	SYS_clock_nanosleep,
	/* network (socket() itself is checked below) */
	SYS_socketpair, SYS_connect, SYS_bind, SYS_getsockname, SYS_getpeername,
	SYS_setsockopt, SYS_getsockopt, SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg,
	SYS_sendmmsg, SYS_recvmmsg, SYS_shutdown,
#ifdef __x86_64__
	SYS_arch_prctl, SYS_access, SYS_readlink, SYS_mkdir, SYS_rmdir, SYS_unlink, SYS_rename,
	SYS_open, SYS_stat, SYS_lstat, SYS_poll, SYS_select, SYS_pipe, SYS_dup2, SYS_getdents,
	SYS_epoll_wait, SYS_time,
#endif
};

#define MAX_INSNS 512
#define DENY_ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

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
/* Low 32 bits of an argument: the int-typed ones checked here. */
#define LD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]) + \
					 (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

/* if (nr == sys) { A = arg; if (A & bits) return deny; allow } */
static void allow_unless_bits(struct prog *p, int sys, int arg, uint32_t bits, uint32_t deny)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0, 4));
	emit(p, (struct sock_filter)LD_ARG(arg));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, 0, 1));
	emit(p, (struct sock_filter)RET(deny));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
	emit(p, (struct sock_filter)LD_NR);
}

/* if (nr == sys) { A = arg; if (A is one of v[]) allow; return deny } */
static void allow_if_arg(struct prog *p, int sys, int arg, const uint32_t *v, unsigned nv,
			 uint32_t deny)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0,
					     (uint8_t)(nv + 3)));
	emit(p, (struct sock_filter)LD_ARG(arg));
	for (unsigned i = 0; i < nv; i++)
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v[i],
						     (uint8_t)(nv - i), 0));
	emit(p, (struct sock_filter)RET(deny));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
	emit(p, (struct sock_filter)LD_NR);
}

static void build(struct prog *p)
{
	static const uint32_t families[] = {AF_INET, AF_INET6, AF_NETLINK};
	static const uint32_t abort_sig[] = {SIGABRT};
	static const uint32_t ioctls[] = {TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX};
	static const uint32_t prctls[] = {PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_SET_NAME,
					  PR_GET_NAME, PR_GET_DUMPABLE};
	const uint32_t namespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
				    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

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
		emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
	}
	/* clone3 passes its flags in memory a filter cannot read: ENOSYS
	 * sends glibc back to clone, whose flags it can. */
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
	emit(p, (struct sock_filter)RET(DENY_ERRNO(ENOSYS)));
	allow_unless_bits(p, SYS_clone, 0, namespaces, DENY_ERRNO(EPERM));
	allow_if_arg(p, SYS_socket, 0, families, 3, DENY_ERRNO(EACCES));
	allow_if_arg(p, SYS_ioctl, 1, ioctls, 5, DENY_ERRNO(EPERM));
	allow_if_arg(p, SYS_prctl, 0, prctls, 5, DENY_ERRNO(EPERM));
	/* abort() signals itself; no other signal is sent anywhere (a worker
	 * shares its user with others, with sporenet's too under nobody). */
	allow_if_arg(p, SYS_tgkill, 2, abort_sig, 1, DENY_ERRNO(EPERM));
	emit(p, (struct sock_filter)RET(DENY_ERRNO(EPERM)));
}

int spore_confine_seccomp(struct spore_err *err)
{
	static struct prog p;
	memset(&p, 0, sizeof(p));
	build(&p);
	if (p.overflow)
		return spore_err_setx(err, E2BIG, "seccomp program too long");
	struct sock_fprog fprog = {.len = (unsigned short)p.n, .filter = p.insn};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) < 0)
		return spore_err_set(err, errno, "installing the seccomp filter");
	return 0;
}
