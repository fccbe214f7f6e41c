/* Classic BPF seccomp programs by hand; see <spore/seccomp_bpf.h>. */
#include <spore/seccomp_bpf.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH to common/seccomp_bpf.c"
#endif

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
/* Low 32 bits of an argument: enough for the int-typed ones checked (the
 * kernel truncates them the same way). */
#define LD_ARG(i) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]) + \
					 (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

static void emit(struct spore_bpf *p, struct sock_filter f)
{
	if (p->n < SPORE_BPF_MAX)
		p->insn[p->n++] = f;
	else
		p->overflow = 1;
}

void spore_bpf_prologue(struct spore_bpf *p)
{
	p->n = 0;
	p->overflow = 0;
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
}

void spore_bpf_ret_for(struct spore_bpf *p, int sys, uint32_t verdict)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0, 1));
	emit(p, (struct sock_filter)RET(verdict));
}

void spore_bpf_allow(struct spore_bpf *p, const int *nrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		spore_bpf_ret_for(p, nrs[i], SECCOMP_RET_ALLOW);
}

void spore_bpf_allow_unless_bits(struct spore_bpf *p, int sys, int arg, uint32_t bits,
				 uint32_t deny)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0, 4));
	emit(p, (struct sock_filter)LD_ARG(arg));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, 0, 1));
	emit(p, (struct sock_filter)RET(deny));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
	emit(p, (struct sock_filter)LD_NR);
}

void spore_bpf_allow_if_arg(struct spore_bpf *p, int sys, int arg, const uint32_t *v,
			    unsigned nv, uint32_t deny)
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

void spore_bpf_ret(struct spore_bpf *p, uint32_t verdict)
{
	emit(p, (struct sock_filter)RET(verdict));
}

int spore_bpf_install(const struct spore_bpf *p, struct spore_err *err)
{
	if (p->overflow)
		return spore_err_setx(err, E2BIG, "seccomp program too long");
	struct sock_fprog fprog = {.len = (unsigned short)p->n, .filter = (struct sock_filter *)p->insn};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog) < 0)
		return spore_err_set(err, errno, "installing the seccomp filter");
	return 0;
}
