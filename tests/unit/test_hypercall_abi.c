/* Which domctl interface each Xen version speaks: the table that decides
 * which hypercall ABI spore uses at run time. No hypervisor needed. The
 * structure layouts and numbers spore relies on are _Static_asserts beside
 * the code that relies on them (hypercall.c, domctl.c, foreignmem.c). */
#include "hypercall.h"

#include "tap.h"

int main(void)
{
	is_int(spore_xc_domctl_iv_for(4, 17), 0x15, "4.17 uses domctl 0x15");
	is_int(spore_xc_domctl_iv_for(4, 18), 0x16, "4.18 uses domctl 0x16");
	is_int(spore_xc_domctl_iv_for(4, 19), 0x17, "4.19 uses domctl 0x17");
	is_int(spore_xc_domctl_iv_for(4, 16), 0, "4.16 is refused");
	is_int(spore_xc_domctl_iv_for(4, 20), 0, "4.20 is refused");
	is_int(spore_xc_domctl_iv_for(5, 17), 0, "5.17 is refused");
	return tap_done();
}
