/* Building a seccomp allowlist as classic BPF, by hand (no libseccomp): what
 * sporenet's worker (network/worker/seccomp.c) and sporectl's image worker
 * (controller/confine/seccomp.c) share. A program starts with
 * spore_bpf_prologue (wrong architecture or an x32 call: the process is
 * killed), allows calls whatever their arguments or by one int argument,
 * and ends with a spore_bpf_ret of its default verdict. Each argument check
 * leaves the accumulator holding the call's number again, so checks chain. */
#ifndef SPORE_SECCOMP_BPF_H
#define SPORE_SECCOMP_BPF_H

#include <spore/err.h>

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#define SPORE_BPF_MAX 512

struct spore_bpf {
	struct sock_filter insn[SPORE_BPF_MAX];
	unsigned n;
	int overflow; /* more than SPORE_BPF_MAX instructions: install refuses */
};

/* Empties p and checks the architecture; leaves the call number loaded. */
void spore_bpf_prologue(struct spore_bpf *p);
/* Allows each of the n calls in nrs whatever their arguments. */
void spore_bpf_allow(struct spore_bpf *p, const int *nrs, size_t n);
/* Allows sys unless argument arg (its low 32 bits) has any of bits set;
 * then returns deny. */
void spore_bpf_allow_unless_bits(struct spore_bpf *p, int sys, int arg, uint32_t bits,
				 uint32_t deny);
/* Allows sys when argument arg (low 32 bits) is one of the nv values;
 * otherwise returns deny. */
void spore_bpf_allow_if_arg(struct spore_bpf *p, int sys, int arg, const uint32_t *v,
			    unsigned nv, uint32_t deny);
/* Returns verdict for sys whatever its arguments. */
void spore_bpf_ret_for(struct spore_bpf *p, int sys, uint32_t verdict);
/* Returns verdict: the program's last instruction, for every other call. */
void spore_bpf_ret(struct spore_bpf *p, uint32_t verdict);
/* Installs the program on every thread (TSYNC); needs no_new_privs. */
int spore_bpf_install(const struct spore_bpf *p, struct spore_err *err);

#endif
