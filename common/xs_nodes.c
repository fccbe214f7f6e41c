/* Node lists and their pipelined writer; see xenstore.h. */
#include <spore/xenstore.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int node_add(struct xs_node_list *l, const char *value, int nperms,
		    const struct spore_xs_perm *perms, const char *fmt, va_list ap)
{
	struct xs_node n = {0};

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
	if (vasprintf(&n.path, fmt, ap) < 0)
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

int xs_node_add(struct xs_node_list *l, const char *value, int nperms,
		const struct spore_xs_perm *perms, const char *fmt, ...)
{
	va_list ap;

	if (l->err)
		return l->err;
	va_start(ap, fmt);
	l->err = node_add(l, value, nperms, perms, fmt, ap);
	va_end(ap);
	return l->err;
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
