/* The hypercall layer's ABI assumptions, checked against the installed Xen
 * headers (domctl.c also asserts the sizes at compile time), and the
 * version table. No hypervisor needed. */
#include "hypercall.h"
#include "domctl.h"

#include <stddef.h>

#include <xen/event_channel.h>
#include <xen/io/xs_wire.h>
#include <xen/memory.h>

#include "tap.h"

int main(void)
{
	is_int(XEN_DOMCTL_INTERFACE_VERSION, 0x15, "headers are Xen 4.17's (domctl 0x15)");
	is_int(XEN_SYSCTL_INTERFACE_VERSION, 0x15, "sysctl 0x15");
	is_int(spore_xc_domctl_iv_for(4, 17), 0x15, "4.17 uses domctl 0x15");
	is_int(spore_xc_domctl_iv_for(4, 18), 0x16, "4.18 uses domctl 0x16");
	is_int(spore_xc_domctl_iv_for(4, 19), 0x17, "4.19 uses domctl 0x17");
	is_int(spore_xc_domctl_iv_for(4, 16), 0, "4.16 is refused");
	is_int(spore_xc_domctl_iv_for(4, 20), 0, "4.20 is refused");
	is_int(spore_xc_domctl_iv_for(5, 17), 0, "5.17 is refused");

	is_int(sizeof(struct xen_domctl), 144, "xen_domctl is 144 bytes");
	is_int(offsetof(struct xen_domctl, u), 16, "its union at offset 16");
	is_int(sizeof(struct xen_domctl_createdomain), 64, "createdomain is 64 bytes");
	is_int(offsetof(struct xen_domctl_createdomain, max_vcpus), 28, "max_vcpus at 28");
	is_int(offsetof(struct xen_domctl_createdomain, grant_opts), 44, "grant_opts at 44");
	is_int(offsetof(struct xen_domctl_createdomain, arch), 56, "arch at 56");
	is_int(sizeof(struct xen_domctl_getdomaininfo), 112, "getdomaininfo is 112 bytes");
	is_int(sizeof(struct xen_sysctl), 136, "xen_sysctl is 136 bytes");
	is_int(sizeof(vcpu_guest_context_t), 5168, "vcpu_guest_context is 5168 bytes");
	is_int(sizeof(privcmd_hypercall_t), 48, "privcmd_hypercall is 48 bytes");
	is_int(IOCTL_PRIVCMD_HYPERCALL, 0x00305000, "IOCTL_PRIVCMD_HYPERCALL");
	is_int(IOCTL_PRIVCMD_MMAPBATCH_V2, 0x00205004, "IOCTL_PRIVCMD_MMAPBATCH_V2");
	is_int(IOCTL_PRIVCMD_MMAP_RESOURCE, 0x00205007, "IOCTL_PRIVCMD_MMAP_RESOURCE");
	is_int(sizeof(struct spore_e820), 20, "e820 entries are 20 bytes");
	is_int(sizeof(struct evtchn_alloc_unbound), 8, "evtchn_alloc_unbound is 8 bytes");
	is_int(sizeof(struct xsd_sockmsg), 16, "xsd_sockmsg is 16 bytes");
	is_int(__HYPERVISOR_domctl, 36, "domctl is hypercall 36");
	is_int(__HYPERVISOR_sysctl, 35, "sysctl is hypercall 35");
	is_int(XENMEM_populate_physmap, 6, "populate_physmap is memory op 6");
	is_int(XENMEM_resource_grant_table, 1, "grant table resource type 1");
	return tap_done();
}
