/* The xenstore skeleton of a new PV domain; see xs_skeleton.h. */
#include "xs_skeleton.h"

#include <spore/xenstore.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xs_node_add(struct xs_node_list *l, const char *value, int nperms, const struct spore_xs_perm *perms,
		const char *fmt, ...)
{
	struct xs_node n = {0};
	va_list ap;

	if (nperms < 0 || nperms > 2)
		return -EINVAL;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct xs_node *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	va_start(ap, fmt);
	int r = vasprintf(&n.path, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	n.value = strdup(value ? value : "");
	if (!n.value) {
		free(n.path);
		return -ENOMEM;
	}
	memcpy(n.perms, perms, nperms * sizeof(*perms));
	n.nperms = nperms;
	l->v[l->n++] = n;
	return 0;
}

const struct xs_node *xs_node_find(const struct xs_node_list *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].path, path))
			return &l->v[i];
	return NULL;
}

void xs_node_list_free(struct xs_node_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].value);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

int spore_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > 64 || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int uuid_valid(const char *u)
{
	if (!u || strlen(u) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return 0;
		} else if (!((u[i] >= '0' && u[i] <= '9') || (u[i] >= 'a' && u[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

int xs_skeleton_build(struct xs_node_list *l, const struct dom_skeleton *d, struct spore_err *err)
{
	uint32_t n = d->domid, b = d->backend_domid;
	/* dom0 owns, guest reads / guest owns (reads and writes) / dom0 only */
	const struct spore_xs_perm ro[2] = {{b, 'n'}, {n, 'r'}};
	const struct spore_xs_perm rw[1] = {{n, 'n'}};
	const struct spore_xs_perm rw_b[2] = {{n, 'n'}, {b, 'r'}};
	char dp[64], vm[64], num[64];
	int r = 0;

	if (!spore_name_valid(d->name))
		return spore_err_setx(err, EINVAL, "invalid guest name '%s'",
				      d->name ? d->name : "");
	if (!uuid_valid(d->uuid))
		return spore_err_setx(err, EINVAL, "invalid uuid '%s'", d->uuid ? d->uuid : "");
	snprintf(dp, sizeof(dp), "/local/domain/%" PRIu32, n);
	snprintf(vm, sizeof(vm), "/vm/%s", d->uuid);

#define ADD(val, np, pp, ...)                                                                      \
	do {                                                                                        \
		if (r >= 0)                                                                         \
			r = xs_node_add(l, (val), (np), (pp), __VA_ARGS__);                         \
	} while (0)
#define NUM(v) (snprintf(num, sizeof(num), "%" PRIu64, (uint64_t)(v)), num)

	ADD("", 2, ro, "%s", dp);
	ADD("", 2, ro, "%s", vm);
	ADD(d->uuid, 2, ro, "%s/uuid", vm);
	ADD(d->name, 2, ro, "%s/name", vm);
	ADD(vm, 2, ro, "%s/vm", dp);
	ADD(d->name, 2, ro, "%s/name", dp);
	ADD(NUM(n), 2, ro, "%s/domid", dp);
	ADD("", 2, ro, "%s/cpu", dp);
	for (uint32_t i = 0; i < d->vcpus && r >= 0; i++)
		ADD("online", 2, ro, "%s/cpu/%" PRIu32 "/availability", dp, i);
	ADD("", 2, ro, "%s/memory", dp);
	ADD(NUM(d->max_kb), 2, ro, "%s/memory/static-max", dp);
	ADD(NUM(d->target_kb), 2, ro, "%s/memory/target", dp);
	ADD("0", 2, ro, "%s/memory/videoram", dp);
	ADD("", 2, ro, "%s/device", dp);
	ADD("", 2, ro, "%s/control", dp);
	/* The guest answers shutdown requests and announces what it supports. */
	ADD("", 1, rw, "%s/control/shutdown", dp);
	ADD("", 1, rw, "%s/control/feature-poweroff", dp);
	ADD("", 1, rw, "%s/control/feature-reboot", dp);
	ADD("", 1, rw, "%s/control/feature-suspend", dp);
	ADD("", 1, rw, "%s/control/sysrq", dp);
	ADD("1", 2, ro, "%s/control/platform-feature-multiprocessor-suspend", dp);
	ADD("1", 2, ro, "%s/control/platform-feature-xs_reset_watches", dp);
	ADD("", 1, rw, "%s/data", dp);
	ADD("", 1, rw, "%s/drivers", dp);
	ADD("", 1, rw, "%s/feature", dp);
	ADD("", 1, rw, "%s/attr", dp);
	ADD("", 1, rw, "%s/error", dp);
	ADD("", 2, ro, "%s/store", dp);
	ADD(NUM(d->store_port), 2, ro, "%s/store/port", dp);
	ADD(NUM(d->store_mfn), 2, ro, "%s/store/ring-ref", dp);
	/* Console 0, served by xenconsoled. */
	ADD("", 2, ro, "%s/console", dp);
	ADD("xenconsoled", 2, ro, "%s/console/type", dp);
	ADD("pty", 2, ro, "%s/console/output", dp);
	ADD("1048576", 2, ro, "%s/console/limit", dp);
	ADD(NUM(d->console_port), 2, ro, "%s/console/port", dp);
	ADD(NUM(d->console_mfn), 2, ro, "%s/console/ring-ref", dp);
	ADD(NUM(b), 2, rw_b, "%s/console/backend-id", dp);
	if (d->kernel)
		ADD(d->kernel, 2, ro, "%s/image/kernel", vm);
	if (d->ramdisk)
		ADD(d->ramdisk, 2, ro, "%s/image/ramdisk", vm);
	if (d->cmdline)
		ADD(d->cmdline, 2, ro, "%s/image/cmdline", vm);
	ADD("linux", 2, ro, "%s/image/ostype", vm);
#undef ADD
#undef NUM
	if (r < 0)
		return spore_err_set(err, -r, "building the xenstore skeleton of domain %" PRIu32, n);
	return 0;
}

static bool same_perms_as_parent(const struct xs_node_list *l, const struct xs_node *n)
{
	const char *slash = strrchr(n->path, '/');
	if (!slash || slash == n->path)
		return false;
	for (size_t i = 0; i < l->n && &l->v[i] != n; i++) {
		const struct xs_node *p = &l->v[i];
		if (strlen(p->path) == (size_t)(slash - n->path) &&
		    !strncmp(p->path, n->path, slash - n->path))
			return p->nperms == n->nperms &&
			       !memcmp(p->perms, n->perms, n->nperms * sizeof(n->perms[0]));
	}
	return false; /* parent not written here: be explicit */
}

int spore_xs_write_nodes(struct spore_xs *xs, uint32_t tx, const struct xs_node_list *l,
			 struct spore_err *err)
{
	struct spore_xs_op *ops = calloc(2 * l->n + 1, sizeof(*ops));
	size_t n = 0;

	if (!ops)
		return spore_err_set(err, ENOMEM, "writing %zu xenstore nodes", l->n);
	for (size_t i = 0; i < l->n; i++) {
		const struct xs_node *nd = &l->v[i];
		ops[n++] = (struct spore_xs_op){.type = XS_WRITE, .path = nd->path,
						.val = nd->value, .len = strlen(nd->value)};
		/* A new node inherits its parent's permissions: set them only
		 * where they differ, halving the requests. */
		if (!same_perms_as_parent(l, nd))
			ops[n++] = (struct spore_xs_op){.type = XS_SET_PERMS, .path = nd->path,
							.perms = nd->perms,
							.nperms = (size_t)nd->nperms};
	}
	/* Pipelined: one round trip per batch instead of one per request. */
	int r = spore_xs_batch(xs, tx, ops, n, err);
	spore_xs_batch_free(ops, n);
	free(ops);
	return r;
}
