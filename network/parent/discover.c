/* Guest discovery through xenstore; see net_discover.h. */
#include "net_discover.h"
#include "net_record.h"
#include <spore/guest_record.h>
#include <spore/vif_backend.h>
#include <spore/xenstore.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN "sporenet"
/* The watches on userspace vifs' frontend states. */
#define FE_TOKEN "sporenet-fe"

struct net_discover {
	struct spore_xs *xs;
};

int net_discover_open(struct net_discover **dp, struct spore_err *err)
{
	struct net_discover *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return spore_err_set(err, ENOMEM, "discovery");
	if ((r = spore_xs_open(&d->xs, err)) < 0)
		goto fail;
	/* A watch on a path that does not exist yet is fine: it fires when the
	 * first record is written. */
	if ((r = spore_xs_watch(d->xs, SPORE_XS_GUESTS, TOKEN, err)) < 0)
		goto fail;
	*dp = d;
	return 0;
fail:
	net_discover_close(d);
	return r;
}

void net_discover_close(struct net_discover *d)
{
	if (!d)
		return;
	if (d->xs)
		spore_xs_close(d->xs);
	free(d);
}

int net_discover_fd(const struct net_discover *d)
{
	return spore_xs_watch_fd(d->xs);
}

/* A record's name as a path component: what a uuid may look like. */
static bool uuid_ok(const char *s, size_t n)
{
	if (n == 0 || n >= sizeof(net_uuid))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F') || s[i] == '-'))
			return false;
	return true;
}

static int add_uuid(net_uuid **v, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < *n; i++)
		if (strlen((*v)[i]) == len && !memcmp((*v)[i], s, len))
			return 0;
	net_uuid *p = realloc(*v, (*n + 1) * sizeof(**v));
	if (!p)
		return -ENOMEM;
	*v = p;
	memcpy(p[*n], s, len);
	p[*n][len] = '\0';
	(*n)++;
	return 0;
}

int net_discover_events(struct net_discover *d, net_uuid **uuids, size_t *n, bool *all,
			bool *frontends, struct spore_err *err)
{
	static const char prefix[] = SPORE_XS_GUESTS "/";
	struct spore_xs_event *ev;
	int r;

	while ((r = spore_xs_read_watch(d->xs, &ev, 0, err)) == 0) {
		const char *p = ev->path;
		if (!strcmp(ev->token, FE_TOKEN)) {
			*frontends = true;
		} else if (strcmp(ev->token, TOKEN)) {
			/* not ours */
		} else if (strncmp(p, prefix, sizeof(prefix) - 1)) {
			*all = true; /* the watch's first firing, or /spore/guests itself */
		} else {
			p += sizeof(prefix) - 1;
			size_t len = strcspn(p, "/");
			if (uuid_ok(p, len) && add_uuid(uuids, n, p, len) < 0) {
				free(ev);
				return spore_err_set(err, ENOMEM, "watch events");
			}
		}
		free(ev);
	}
	return r == -EAGAIN ? 0 : r;
}

int net_discover_list(struct net_discover *d, net_uuid **uuids, size_t *n, struct spore_err *err)
{
	char **names = NULL;
	size_t nn = 0;
	int r = spore_xs_directory(d->xs, 0, SPORE_XS_GUESTS, &names, &nn, err);

	*uuids = NULL;
	*n = 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (size_t i = 0; i < nn; i++)
		if (uuid_ok(names[i], strlen(names[i])) &&
		    add_uuid(uuids, n, names[i], strlen(names[i])) < 0) {
			r = spore_err_set(err, ENOMEM, "guest list");
			free(*uuids);
			*uuids = NULL;
			*n = 0;
			break;
		}
	free(names);
	return r < 0 ? r : 0;
}

/* Per record: the record node (absent: no record), then each key. */
enum { PER = NET_RECORD_NKEYS + 1 };

/* A read's value as a string: NULL when absent; a value with a NUL inside
 * is not a string the contract knows: garbage, not its prefix. */
static const char *value(const struct spore_xs_op *o)
{
	if (o->result < 0)
		return NULL;
	return o->out && strlen(o->out) == o->out_len ? o->out : "\x01";
}

/* Reads backend/vif/<domid>/<n>/mac for every result marked ATTACH (*bops:
 * n ops, type 0 where not read). */
static int read_backend_macs(struct net_discover *d, const struct spore_xs_op *ops, size_t n,
			     const struct net_record_result *res, struct spore_xs_op **bops,
			     struct spore_err *err)
{
	size_t vif_key = 0, nb_key = 0;
	for (size_t k = 0; k < NET_RECORD_NKEYS; k++) {
		if (!strcmp(net_record_keys[k], SPORE_REC_VIF))
			vif_key = k + 1;
		if (!strcmp(net_record_keys[k], SPORE_REC_NET_BACKEND))
			nb_key = k + 1;
	}
	struct spore_xs_op *b = calloc(n + 1, sizeof(*b));
	char (*paths)[96] = calloc(n + 1, sizeof(*paths));
	struct spore_xs_op *list = calloc(n + 1, sizeof(*list));
	size_t *at = calloc(n + 1, sizeof(*at)), m = 0;
	int r = 0;

	*bops = b;
	if (!b || !paths || !list || !at) {
		r = spore_err_set(err, ENOMEM, "reading vif backends");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned dom, dev;
		if (res[i].state != NET_RECORD_ATTACH ||
		    net_vif_parse(value(&ops[i * PER + vif_key]), &dom, &dev) < 0)
			continue;
		const char *kind = value(&ops[i * PER + nb_key]);
		bool user = kind && !strcmp(kind, SPORE_NET_BACKEND_USERSPACE);
		snprintf(paths[m], sizeof(paths[m]), "/local/domain/0/%s/vif/%u/%u/mac",
			 user ? SPORE_VIF_ROOT_USERSPACE : SPORE_VIF_ROOT_KERNEL, dom, dev);
		list[m] = (struct spore_xs_op){.type = XS_READ, .path = paths[m], .may_fail = true};
		at[m++] = i;
	}
	if (m && (r = spore_xs_batch(d->xs, 0, list, m, err)) < 0)
		goto out;
	for (size_t j = 0; j < m; j++) {
		b[at[j]] = list[j]; /* takes over the value */
		list[j].out = NULL;
	}
out:
	if (list)
		spore_xs_batch_free(list, m);
	free(list);
	free(paths);
	free(at);
	return r;
}


int net_discover_read(struct net_discover *d, const net_uuid *uuids, size_t n,
		      struct net_record_result *res, struct spore_err *err)
{
	struct spore_xs_op *ops = calloc(n * PER + 1, sizeof(*ops)), *bops = NULL;
	char (*paths)[128] = calloc(n * PER + 1, sizeof(*paths));
	int r = 0;

	if (!ops || !paths) {
		r = spore_err_set(err, ENOMEM, "reading guest records");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < PER; k++) {
			char *path = paths[i * PER + k];
			if (k == 0)
				snprintf(path, 128, SPORE_XS_GUESTS "/%s", uuids[i]);
			else
				snprintf(path, 128, SPORE_XS_GUESTS "/%s/%s", uuids[i],
					 net_record_keys[k - 1]);
			ops[i * PER + k] = (struct spore_xs_op){
				.type = XS_READ, .path = path, .may_fail = true};
		}
	if ((r = spore_xs_batch(d->xs, 0, ops, n * PER, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct spore_xs_op *o = &ops[i * PER];
		struct net_record rec;
		const char **f = (const char **)&rec;

		memset(&res[i], 0, sizeof(res[i]));
		res[i].state = NET_RECORD_NONE;
		if (o[0].result < 0)
			continue; /* no record (or not ours to read) */
		memset(&rec, 0, sizeof(rec));
		for (size_t k = 0; k < NET_RECORD_NKEYS; k++)
			f[k] = value(&o[k + 1]);
		if (!rec.vif || !*rec.vif)
			continue; /* no network, or not (or no longer) up */
		res[i].state = NET_RECORD_ATTACH; /* provisionally: backend mac next */
	}
	/* Second round trip: each vif's backend mac, which ties the interface
	 * to the record (the domid may not be recorded yet). */
	if ((r = read_backend_macs(d, ops, n, res, &bops, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct spore_xs_op *o = &ops[i * PER];
		struct net_record rec;
		const char **f = (const char **)&rec;
		struct spore_err e = {0};

		if (res[i].state != NET_RECORD_ATTACH)
			continue;
		memset(&rec, 0, sizeof(rec));
		for (size_t k = 0; k < NET_RECORD_NKEYS; k++)
			f[k] = value(&o[k + 1]);
		rec.backend_mac = bops && bops[i].type ? value(&bops[i]) : NULL;
		if (net_attach_from_record(uuids[i], &rec, &res[i].attach, &e) < 0) {
			res[i].state = NET_RECORD_INVALID;
			size_t l = strnlen(e.msg, sizeof(res[i].msg) - 1);
			memcpy(res[i].msg, e.msg, l);
			res[i].msg[l] = '\0';
		}
	}
out:
	if (bops) {
		for (size_t i = 0; i < n; i++)
			free(bops[i].out);
		free(bops);
	}
	if (ops)
		spore_xs_batch_free(ops, n * PER);
	free(ops);
	free(paths);
	return r;
}

static void frontend_dir(unsigned domid, unsigned dev, char *buf, size_t n)
{
	snprintf(buf, n, "/local/domain/%u/device/vif/%u", domid, dev);
}

int net_discover_frontend(struct net_discover *d, unsigned domid, unsigned dev,
			  struct net_frontend *fe, struct spore_err *err)
{
	struct spore_xs_op ops[NET_FRONTEND_NKEYS];
	char paths[NET_FRONTEND_NKEYS][96], dir[64];
	const char *vals[NET_FRONTEND_NKEYS];
	int r;

	frontend_dir(domid, dev, dir, sizeof(dir));
	for (size_t i = 0; i < NET_FRONTEND_NKEYS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, net_frontend_keys[i]);
		ops[i] = (struct spore_xs_op){.type = XS_READ, .path = paths[i], .may_fail = true};
	}
	if ((r = spore_xs_batch(d->xs, 0, ops, NET_FRONTEND_NKEYS, err)) < 0)
		return r;
	for (size_t i = 0; i < NET_FRONTEND_NKEYS; i++)
		vals[i] = value(&ops[i]);
	if (!vals[0])
		r = spore_err_setx(err, ENOENT, "no frontend at %s", dir);
	else
		r = net_frontend_parse(vals, fe, err);
	spore_xs_batch_free(ops, NET_FRONTEND_NKEYS);
	return r;
}

int net_discover_backend_state(struct net_discover *d, unsigned domid, unsigned dev,
			       unsigned state, struct spore_err *err)
{
	char path[96], val[4];
	snprintf(path, sizeof(path), "/local/domain/0/" SPORE_VIF_ROOT_USERSPACE "/vif/%u/%u/state",
		 domid, dev);
	snprintf(val, sizeof(val), "%u", state);
	/* Only while the directory exists: a torn-down guest's is not
	 * recreated (the write would make it again, owned by us). */
	char *old = NULL;
	size_t len;
	int r = spore_xs_read(d->xs, 0, path, &old, &len, err);
	free(old);
	if (r < 0)
		return r;
	return spore_xs_write_str(d->xs, 0, path, val, err);
}

int net_discover_watch_frontend(struct net_discover *d, unsigned domid, unsigned dev, bool on,
				struct spore_err *err)
{
	char path[96];
	frontend_dir(domid, dev, path, sizeof(path));
	strcat(path, "/state");
	return on ? spore_xs_watch(d->xs, path, FE_TOKEN, err)
		  : spore_xs_unwatch(d->xs, path, FE_TOKEN, err);
}
