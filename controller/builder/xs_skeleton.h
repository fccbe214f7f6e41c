/* The xenstore nodes a new PV domain needs before it is introduced: the
 * domain's own directory, /vm/<uuid>, the control keys the guest may write,
 * memory and cpu keys, store and console. Pure: produces a node list the
 * builder writes in one transaction, so its contents are unit tested. */
#ifndef SPORE_XS_SKELETON_H
#define SPORE_XS_SKELETON_H

#include <spore/err.h>
#include <spore/xs_wire.h>

#include <stddef.h>
#include <stdint.h>

struct xs_node {
	char *path;
	char *value;     /* "" for a directory-like node */
	struct spore_xs_perm perms[2];
	int nperms;
};

struct xs_node_list {
	struct xs_node *v;
	size_t n, cap;
};

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

/* Appends one node; value may be NULL for "". */
int xs_node_add(struct xs_node_list *l, const char *value, int nperms, const struct spore_xs_perm *perms,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
const struct xs_node *xs_node_find(const struct xs_node_list *l, const char *path);
void xs_node_list_free(struct xs_node_list *l);

struct spore_xs;
/* Writes the nodes (with their permissions, only where they differ from
 * the parent's) inside xenstore transaction tx. */
int spore_xs_write_nodes(struct spore_xs *xs, uint32_t tx, const struct xs_node_list *l,
			 struct spore_err *err);

/* A guest name is 1..64 of [A-Za-z0-9_.-], not starting with '.' or '-':
 * it ends up in xenstore paths, interface names and log lines. */
int spore_name_valid(const char *name);

#endif
