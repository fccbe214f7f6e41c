/* The xenstore nodes a new PV domain needs before it is introduced: the
 * domain's own directory, /vm/<uuid>, the control keys the guest may write,
 * memory and cpu keys, store and console. No I/O: it fills a node list
 * (include/spore/xenstore.h), which the builder writes with
 * spore_xs_write_nodes, so its contents are unit tested. */
#ifndef SPORE_XS_SKELETON_H
#define SPORE_XS_SKELETON_H

#include <spore/err.h>
#include <spore/xenstore.h>

#include <stdint.h>

struct dom_skeleton {
	uint32_t domid;
	const char *uuid;      /* 36 chars, lower case */
	const char *name;
	uint32_t vcpus;
	uint64_t max_kb, target_kb;
	uint32_t store_port, console_port;
	uint64_t store_mfn, console_mfn;
	const char *kernel, *ramdisk, *cmdline; /* for /vm/<uuid>/image; may be NULL */
	uint32_t backend_domid; /* xenstored and xenconsoled's domain, normally 0 */
};

/* Appends the skeleton's nodes. -ENOMEM or -EINVAL (bad name/uuid). */
int xs_skeleton_build(struct xs_node_list *out, const struct dom_skeleton *d, struct spore_err *err);

#endif
