/* The seccomp filters' shared instructions; see seccomp_bpf.h. */
#include <spore/seccomp_bpf.h>

#include <errno.h>
#include <linux/audit.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define SECCOMP_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SECCOMP_ARCH AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH to common/seccomp_bpf.c"
#endif

void spore_bpf_emit(struct spore_bpf_prog *p, struct sock_filter f)
{
	if (p->n < SPORE_BPF_MAX_INSNS)
		p->insn[p->n++] = f;
	else
		p->overflow = 1;
}

void spore_bpf_prologue(struct spore_bpf_prog *p)
{
	spore_bpf_emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						       offsetof(struct seccomp_data, arch)));
	spore_bpf_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_ARCH, 1, 0));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(SECCOMP_RET_KILL_PROCESS));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_LD_NR);
#ifdef __x86_64__
	/* x32 system calls share the arch value: refuse them outright. */
	spore_bpf_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(SECCOMP_RET_KILL_PROCESS));
#endif
}

void spore_bpf_allow_all(struct spore_bpf_prog *p, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		spore_bpf_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							       (uint32_t)list[i], 0, 1));
		spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(SECCOMP_RET_ALLOW));
	}
}

void spore_bpf_allow_unless_bits(struct spore_bpf_prog *p, int sys, int arg, uint32_t bits,
				 uint32_t deny)
{
	spore_bpf_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0, 4));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_LD_ARG(arg));
	spore_bpf_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, bits, 0, 1));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(deny));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(SECCOMP_RET_ALLOW));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_LD_NR);
}

void spore_bpf_allow_if_arg(struct spore_bpf_prog *p, int sys, int arg, const uint32_t *v,
			    unsigned nv, uint32_t deny)
{
	if (nv > 250) {
		p->overflow = 1;
		return;
	}
	spore_bpf_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sys, 0,
						       (uint8_t)(nv + 3)));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_LD_ARG(arg));
	for (unsigned i = 0; i < nv; i++)
		spore_bpf_emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v[i],
							       (uint8_t)(nv - i), 0));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(deny));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_RET(SECCOMP_RET_ALLOW));
	spore_bpf_emit(p, (struct sock_filter)SPORE_BPF_LD_NR);
}

int spore_bpf_install(const struct spore_bpf_prog *p, unsigned flags)
{
	struct sock_fprog fprog = {.len = (unsigned short)p->n,
				   .filter = (struct sock_filter *)p->insn};

	if (p->overflow)
		return -E2BIG;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog) < 0 ? -errno : 0;
}
