/* start_info and vCPU context for x86_64 PV guests; see pv_boot.h. */
#include "pv_boot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int pv_start_info_fill(struct start_info *si, const struct pv_boot_params *p,
		       struct spore_err *err)
{
	const struct pv_layout *l = p->layout;
	size_t cl = p->cmdline ? strlen(p->cmdline) : 0;

	if (cl >= MAX_GUEST_CMDLINE)
		return spore_err_setx(err, E2BIG,
				      "kernel command line is %zu bytes; Xen allows at most %d",
				      cl, MAX_GUEST_CMDLINE - 1);
	memset(si, 0, sizeof(*si));
	snprintf(si->magic, sizeof(si->magic), "xen-3.0-x86_64");
	si->nr_pages = p->nr_pages;
	si->shared_info = p->shared_info_mfn << PV_PAGE_SHIFT;
	si->store_mfn = p->p2m[l->xenstore.pfn];
	si->store_evtchn = p->store_port;
	si->console.domU.mfn = p->p2m[l->console.pfn];
	si->console.domU.evtchn = p->console_port;
	si->pt_base = l->virt_base + (l->tables.pfn << PV_PAGE_SHIFT);
	si->nr_pt_frames = l->tables.pages;
	si->mfn_list = l->p2m_vaddr;
	if (p->initrd_len) {
		if (l->initrd_mapped) {
			si->mod_start = l->virt_base + (l->initrd.pfn << PV_PAGE_SHIFT);
		} else {
			si->mod_start = l->initrd.pfn;
			si->flags |= SIF_MOD_START_PFN;
		}
		si->mod_len = p->initrd_len;
	}
	if (l->p2m_at_init_p2m) {
		si->first_p2m_pfn = l->p2m.pfn;
		si->nr_p2m_frames = l->p2m.pages + l->p2m_tables.pages;
	}
	if (cl)
		memcpy(si->cmd_line, p->cmdline, cl);
	return 0;
}

void pv_vcpu_context_fill(struct vcpu_guest_context *c, const struct pv_boot_params *p)
{
	const struct pv_layout *l = p->layout;
	uint64_t stack_top = l->virt_base + ((l->stack.pfn + 1) << PV_PAGE_SHIFT);

	memset(c, 0, sizeof(*c));
	c->user_regs.rip = p->virt_entry;
	c->user_regs.rsp = stack_top;
	c->user_regs.rsi = l->virt_base + (l->start_info.pfn << PV_PAGE_SHIFT);
	c->user_regs.rflags = 1 << 9; /* IF: the guest masks through vcpu_info */
	c->user_regs.cs = FLAT_KERNEL_CS;
	c->user_regs.ss = FLAT_KERNEL_SS;
	c->user_regs.ds = c->user_regs.es = FLAT_KERNEL_DS;
	c->user_regs.fs = c->user_regs.gs = FLAT_KERNEL_DS;
	c->kernel_ss = FLAT_KERNEL_SS;
	c->kernel_sp = stack_top;
	c->debugreg[6] = 0xffff0ff0;
	c->debugreg[7] = 0x00000400;
	c->flags = VGCF_in_kernel | VGCF_online;
	c->ctrlreg[3] = p->p2m[l->tables.pfn] << PV_PAGE_SHIFT; /* cr3 = L4's mfn */
}
