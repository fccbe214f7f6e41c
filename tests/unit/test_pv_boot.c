#include "pv_boot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

#define MiB (1024ULL * 1024)
#define VB  0xffffffff80000000ULL

int main(void)
{
	struct pv_layout_input in = {
		.virt_base = VB, .virt_kstart = VB + 16 * MiB, .virt_kend = VB + 30 * MiB,
		.init_p2m = 0x8000000000ULL, .nr_pages = 64 * MiB / 4096,
		.initrd_len = 1000, .mod_start_pfn = true,
	};
	struct pv_layout l;
	struct spore_err e = {0};
	is_int(pv_layout_compute(&in, &l, &e), 0, "layout");

	uint64_t *p2m = malloc(in.nr_pages * 8);
	for (uint64_t i = 0; i < in.nr_pages; i++)
		p2m[i] = 0x50000 + i * 3;
	struct pv_boot_params p = {
		.layout = &l, .nr_pages = in.nr_pages, .p2m = p2m, .shared_info_mfn = 0x1234,
		.store_port = 1, .console_port = 2, .virt_entry = VB + 16 * MiB + 0x1c0,
		.initrd_len = 1000, .cmdline = "console=hvc0 quiet",
	};
	static struct start_info si;
	is_int(pv_start_info_fill(&si, &p, &e), 0, "start_info filled");
	is_str(si.magic, "xen-3.0-x86_64", "magic");
	is_int(si.shared_info, 0x1234000, "shared_info is a machine address");
	is_int(si.store_mfn, p2m[l.xenstore.pfn], "store mfn");
	is_int(si.console.domU.mfn, p2m[l.console.pfn], "console mfn");
	is_int(si.store_evtchn, 1, "store port");
	is_int(si.console.domU.evtchn, 2, "console port");
	is_int(si.pt_base, VB + (l.tables.pfn << 12), "pt_base is the L4's vaddr");
	is_int(si.nr_pt_frames, l.tables.pages, "nr_pt_frames");
	is_int(si.mfn_list, 0x8000000000ULL, "mfn_list at INIT_P2M");
	ok(si.flags & SIF_MOD_START_PFN, "initrd given by pfn");
	is_int(si.mod_start, l.initrd.pfn, "mod_start is a pfn");
	is_int(si.mod_len, 1000, "mod_len is the initrd's size");
	is_int(si.first_p2m_pfn, l.p2m.pfn, "first_p2m_pfn");
	is_int(si.nr_p2m_frames, l.p2m.pages + l.p2m_tables.pages, "nr_p2m_frames incl. tables");
	is_str((char *)si.cmd_line, "console=hvc0 quiet", "command line");

	char longline[1100];
	memset(longline, 'x', sizeof(longline) - 1);
	longline[1023] = '\0';
	p.cmdline = longline;
	is_int(pv_start_info_fill(&si, &p, &e), 0, "1023-byte command line fits");
	longline[1023] = 'x';
	longline[1024] = '\0';
	is_int(pv_start_info_fill(&si, &p, &e), -E2BIG, "1024-byte command line rejected");
	ok(strstr(e.msg, "1024 bytes") && strstr(e.msg, "1023"), "error says why: %s", e.msg);

	static struct vcpu_guest_context c;
	p.cmdline = NULL;
	pv_vcpu_context_fill(&c, &p);
	is_int(c.user_regs.rip, VB + 16 * MiB + 0x1c0, "rip = entry");
	is_int(c.user_regs.rsp, VB + ((l.stack.pfn + 1) << 12), "rsp = top of the boot stack");
	is_int(c.kernel_sp, c.user_regs.rsp, "kernel_sp = rsp");
	is_int(c.user_regs.rsi, VB + (l.start_info.pfn << 12), "rsi = start_info vaddr");
	is_int(c.ctrlreg[3], p2m[l.tables.pfn] << 12, "cr3 = L4 mfn");
	is_int(c.user_regs.cs, 0xe033, "kernel cs");
	is_int(c.user_regs.ss, 0xe02b, "kernel ss");
	is_int(c.flags, VGCF_in_kernel | VGCF_online, "flags");
	free(p2m);
	return tap_done();
}
