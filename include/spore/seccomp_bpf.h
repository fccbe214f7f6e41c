/* Building a seccomp allowlist in classic BPF: what sporenet's workers and
 * the image worker share (each keeps its own list and argument checks).
 * Written by hand: libseccomp would be one more library in both confined
 * processes for some forty instructions. */
#ifndef SPORE_SECCOMP_BPF_H
#define SPORE_SECCOMP_BPF_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

#define SPORE_BPF_MAX_INSNS 512

struct spore_bpf_prog {
	struct sock_filter insn[SPORE_BPF_MAX_INSNS];
	unsigned n;
	int overflow; /* an instruction did not fit: do not install */
};

#define SPORE_BPF_LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
/* Low 32 bits of an argument: enough for the int-typed ones the filters
 * check (the kernel truncates them the same way). */
#define SPORE_BPF_LD_ARG(i)                                                                      \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS,                                                       \
		 offsetof(struct seccomp_data, args[i]) + (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 0 : 4))
#define SPORE_BPF_RET(v) BPF_STMT(BPF_RET | BPF_K, (v))

void spore_bpf_emit(struct spore_bpf_prog *p, struct sock_filter f);

/* The start of every filter: kill a process calling in with another
 * architecture's numbering (or x32's), then load the call's number. */
void spore_bpf_prologue(struct spore_bpf_prog *p);

/* nr == list[i]: allow, for each of the n calls (the number stays loaded). */
void spore_bpf_allow_all(struct spore_bpf_prog *p, const int *list, size_t n);

/* nr == sys: load argument arg; if any of bits is set, return deny, else
 * allow. The number is loaded again after it, for the next check. */
void spore_bpf_allow_unless_bits(struct spore_bpf_prog *p, int sys, int arg, uint32_t bits,
				 uint32_t deny);

/* nr == sys: load argument arg; if it is one of the nv values v, allow,
 * else return deny (nv at most 250). The number is loaded again after it. */
void spore_bpf_allow_if_arg(struct spore_bpf_prog *p, int sys, int arg, const uint32_t *v,
			    unsigned nv, uint32_t deny);

/* Installs p on the calling thread (every thread with tsync); -errno. */
int spore_bpf_install(const struct spore_bpf_prog *p, unsigned flags);

#endif
