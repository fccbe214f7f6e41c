/* The image worker's seccomp allowlist, as classic BPF written by hand
 * (sporenet's worker, network/worker/seccomp.c, is the model); see
 * confine.h for what it allows. */
#include "confine.h"
#include <spore/seccomp_bpf.h>

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

#define DENY_ERRNO(e) (SECCOMP_RET_ERRNO | ((e) & SECCOMP_RET_DATA))

static void build(struct spore_bpf_prog *p)
{
	static const uint32_t families[] = {AF_INET, AF_INET6, AF_NETLINK};
	static const uint32_t abort_sig[] = {SIGABRT};
	static const uint32_t ioctls[] = {TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIOCLEX};
	static const uint32_t prctls[] = {PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_SET_NAME,
					  PR_GET_NAME, PR_GET_DUMPABLE};
	const uint32_t namespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER |
				    CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP;

	spore_bpf_prologue(p);
	spore_bpf_allow_all(p, allowed, sizeof(allowed) / sizeof(allowed[0]));
	/* clone3 passes its flags in memory a filter cannot read: ENOSYS
	 * sends glibc back to clone, whose flags it can. */
	spore_bpf_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(DENY_ERRNO(ENOSYS)));
	spore_bpf_allow_unless_bits(p, SYS_clone, 0, namespaces, DENY_ERRNO(EPERM));
	spore_bpf_allow_if_arg(p, SYS_socket, 0, families, 3, DENY_ERRNO(EACCES));
	spore_bpf_allow_if_arg(p, SYS_ioctl, 1, ioctls, 5, DENY_ERRNO(EPERM));
	spore_bpf_allow_if_arg(p, SYS_prctl, 0, prctls, 5, DENY_ERRNO(EPERM));
	/* abort() signals itself; no other signal is sent anywhere (a worker
	 * shares its user with others, with sporenet's too under nobody). */
	spore_bpf_allow_if_arg(p, SYS_tgkill, 2, abort_sig, 1, DENY_ERRNO(EPERM));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(DENY_ERRNO(EPERM)));
}

int spore_confine_seccomp(struct spore_err *err)
{
	static struct spore_bpf_prog p;
	memset(&p, 0, sizeof(p));
	build(&p);
	int r = spore_bpf_install(&p, SECCOMP_FILTER_FLAG_TSYNC);
	return r < 0 ? spore_err_set(err, -r, "installing the seccomp filter") : 0;
}
