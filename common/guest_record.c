/* Guest records in xenstore; see guest_record.h. */
#include <spore/guest_record.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_str(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

struct field {
	const char *key;
	enum { F_STR, F_I64, F_U64, F_U32 } type;
	size_t off, size;
};

#define FS(k, m) {k, F_STR, offsetof(struct spore_guest, m), sizeof(((struct spore_guest *)0)->m)}
#define FN(k, t, m) {k, t, offsetof(struct spore_guest, m), 0}
static const struct field fields[] = {
	FS(SPORE_REC_NAME, name),
	FN(SPORE_REC_DOMID, F_I64, domid),
	FS(SPORE_REC_IMAGE, image),
	FS(SPORE_REC_DIGEST, digest),
	FN(SPORE_REC_CREATED, F_I64, created),
	FN(SPORE_REC_EXITED, F_I64, exited),
	FS(SPORE_REC_STATE, state),
	FS(SPORE_REC_EXIT_STATUS, exit_status),
	FS(SPORE_REC_LOOPS, loops),
	FS(SPORE_REC_KERNEL, kernel),
	FN(SPORE_REC_MEMORY, F_U64, memory_mib),
	FN(SPORE_REC_VCPUS, F_U32, vcpus),
	FS(SPORE_REC_IPV4, ipv4),
	FS(SPORE_REC_IPV6, ipv6),
	FS(SPORE_REC_MAC, mac),
	FN(SPORE_REC_OWNER_PID, F_I64, owner_pid),
	FS(SPORE_REC_GATEWAY4, gateway4),
	FS(SPORE_REC_DNS4, dns4),
	FS(SPORE_REC_GATEWAY6, gateway6),
	FS(SPORE_REC_DNS6, dns6),
	FN(SPORE_REC_MTU, F_U32, mtu),
	FS(SPORE_REC_PORTS, ports),
	FN(SPORE_REC_ALLOW_DOM0, F_U32, allow_dom0),
	FS(SPORE_REC_VIF, vif),
	FS(SPORE_REC_NET_BACKEND, net_backend),
	FS(SPORE_REC_VOLUMES, volumes),
	FS(SPORE_REC_MOUNTS, mounts),
	FS(SPORE_REC_ANONYMOUS, anonymous),
	FS(SPORE_REC_CONFIG, config),
	FS(SPORE_REC_RESTART, restart),
	FN(SPORE_REC_RESTART_COUNT, F_U32, restart_count),
	FN(SPORE_REC_STOPPED, F_U32, stopped),
	FN(SPORE_REC_STARTED, F_I64, started),
	FN(SPORE_REC_BACKOFF_MS, F_U32, backoff_ms),
	FN(SPORE_REC_RESTART_AT, F_I64, restart_at),
};

static void field_format(const struct spore_guest *g, const struct field *f, char *buf, size_t n)
{
	const char *p = (const char *)g + f->off;
	switch (f->type) {
	case F_STR: copy_str(buf, n, p); break;
	case F_I64: snprintf(buf, n, "%" PRId64, *(const int64_t *)p); break;
	case F_U64: snprintf(buf, n, "%" PRIu64, *(const uint64_t *)p); break;
	case F_U32: snprintf(buf, n, "%" PRIu32, *(const uint32_t *)p); break;
	}
}

static void field_parse(struct spore_guest *g, const struct field *f, const char *val)
{
	char *p = (char *)g + f->off;
	switch (f->type) {
	case F_STR: copy_str(p, f->size, val); break;
	case F_I64: *(int64_t *)p = strtoll(val, NULL, 10); break;
	case F_U64: *(uint64_t *)p = strtoull(val, NULL, 10); break;
	case F_U32: *(uint32_t *)p = (uint32_t)strtoul(val, NULL, 10); break;
	}
}

/* Record keys whose values are unique across guests. Each value is claimed
 * at SPORE_XS_CLAIMS/<key>/<value up to any '/'> = uuid in the record's own
 * transaction, so uniqueness costs one read per key, not a scan of every
 * record, and two concurrent launches cannot both win. */
static const char *const claimed_keys[] = {SPORE_REC_NAME, SPORE_REC_IPV4, SPORE_REC_MAC};

/* SPORE_XS_CLAIMS/key/value up to any '/', with '.' and ':' (not allowed in
 * xenstore paths; in no name, so no clash) as '@'. 0 if value is unset. */
static int claim_value_path(const char *key, const char *v, char *path, size_t n)
{
	size_t len = strcspn(v, "/"), at;
	if (!len)
		return 0;
	at = (size_t)snprintf(path, n, SPORE_XS_CLAIMS "/%s/", key);
	for (size_t i = 0; i < len && at + 1 < n; i++)
		path[at++] = v[i] == '.' || v[i] == ':' ? '@' : v[i];
	path[at < n ? at : n - 1] = '\0';
	return 1;
}

static int claim_path(const struct spore_guest *g, const char *key, char *path, size_t n)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].key, key))
			return claim_value_path(key, (const char *)g + fields[i].off, path, n);
	return 0;
}

#define N_CLAIMED (sizeof(claimed_keys) / sizeof(claimed_keys[0]))

/* Adds to ops a read of each of g's claims; paths[i] is claim i's path
 * ("" if key i is unset), idx[k] the claim read by the k-th op added.
 * Returns how many ops were added. */
static size_t claims_reads(const struct spore_guest *g, char paths[][320], struct spore_xs_op *ops,
			   size_t idx[])
{
	size_t n = 0;

	for (size_t i = 0; i < N_CLAIMED; i++) {
		paths[i][0] = 0;
		if (claim_path(g, claimed_keys[i], paths[i], 320)) {
			idx[n] = i;
			ops[n++] = (struct spore_xs_op){.type = XS_READ, .path = paths[i],
							.may_fail = true};
		}
	}
	return n;
}

/* Judges the claim reads claims_reads() added: -EEXIST naming the value if
 * another guest holds one. */
static int claims_verdict(const struct spore_guest *g, char paths[][320],
			  const struct spore_xs_op *ops, const size_t idx[], size_t n,
			  struct spore_err *err)
{
	for (size_t k = 0; k < n; k++) {
		const char *key = claimed_keys[idx[k]], *v = strrchr(paths[idx[k]], '/') + 1;
		if (ops[k].result == -ENOENT || (!ops[k].result && !strcmp(ops[k].out, g->uuid)))
			continue;
		if (ops[k].result < 0)
			return spore_err_set(err, -ops[k].result, "reading %s", paths[idx[k]]);
		if (!strcmp(key, SPORE_REC_NAME))
			return spore_err_setx(err, EEXIST, "a guest named '%s' already exists", v);
		return spore_err_setx(err, EEXIST, "%s %s is already another guest's", key, v);
	}
	return 0;
}

/* Drops the claims g holds (those naming its uuid). */
static int claims_drop(struct spore_xs *xs, uint32_t tx, const struct spore_guest *g,
		       struct spore_err *err)
{
	for (size_t i = 0; i < sizeof(claimed_keys) / sizeof(claimed_keys[0]); i++) {
		char path[320], *owner = NULL;
		size_t len;
		struct spore_err e = {0};
		int r = 0;

		if (!claim_path(g, claimed_keys[i], path, sizeof(path)))
			continue;
		if (spore_xs_read(xs, tx, path, &owner, &len, &e) >= 0 && !strcmp(owner, g->uuid))
			r = spore_xs_rm(xs, tx, path, err);
		free(owner);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

int spore_guest_claim_owner(struct spore_xs *xs, const char *key, const char *value, char *uuid,
			    size_t n, struct spore_err *err)
{
	char path[320], *owner = NULL;
	size_t len;

	if (!claim_value_path(key, value, path, sizeof(path)))
		return spore_err_setx(err, ENOENT, "no %s given", key);
	int r = spore_xs_read(xs, 0, path, &owner, &len, err);
	if (r >= 0)
		copy_str(uuid, n, owner);
	free(owner);
	return r;
}

/* A guest's volumes (SPORE_REC_VOLUMES: NAME or NAME:ro, space-separated)
 * are claimed too, at SPORE_XS_CLAIMS/volume/NAME, read-only ones included
 * (ext4 replays its journal even when mounted read-only). Unlike a name, a
 * volume is held only until the guest exits: the teardown drops the claims
 * when it marks the record exited (spore_guest_volumes_release), and a claim
 * whose owner's record is exited or gone (a teardown that did not get that
 * far) counts as free. */
#define VOLUME_CLAIM_KEY "volume"
enum { MAX_VOLUME_CLAIMS = 16 };

struct volume_claims {
	size_t n;
	char name[MAX_VOLUME_CLAIMS][72];
	char path[MAX_VOLUME_CLAIMS][320];
};

static void volume_claims(const char *list, struct volume_claims *c)
{
	c->n = 0;
	for (const char *p = list; c->n < MAX_VOLUME_CLAIMS;) {
		p += strspn(p, " ");
		size_t len = strcspn(p, " "), nlen = strcspn(p, ": ");
		if (!len)
			break;
		snprintf(c->name[c->n], sizeof(c->name[0]), "%.*s", (int)(nlen < len ? nlen : len), p);
		if (claim_value_path(VOLUME_CLAIM_KEY, c->name[c->n], c->path[c->n], sizeof(c->path[0])))
			c->n++;
		p += len;
	}
}

/* Whether the guest uuid still holds its volumes: its record exists and
 * has not exited. Fills name (n bytes) with its name when it does. */
static int holder_live(struct spore_xs *xs, uint32_t tx, const char *uuid, char *name, size_t n,
		       struct spore_err *err)
{
	char path[128], *val = NULL;
	size_t len;
	struct spore_err e = {0};
	int r;

	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" SPORE_REC_STATE, uuid);
	if ((r = spore_xs_read(xs, tx, path, &val, &len, &e)) == -ENOENT)
		return 0;
	if (r < 0)
		return spore_err_set(err, -r, "reading %s", path);
	bool live = strcmp(val, "exited") != 0;
	free(val);
	val = NULL;
	snprintf(name, n, "%s", uuid);
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" SPORE_REC_NAME, uuid);
	if (live && spore_xs_read(xs, tx, path, &val, &len, &e) >= 0)
		snprintf(name, n, "%s", val);
	free(val);
	return live;
}

/* Judges the volume claim reads (ops[0..c->n)): -EBUSY naming the volume
 * and its guest if a live guest other than g holds one. */
static int volume_claims_verdict(struct spore_xs *xs, uint32_t tx, const struct spore_guest *g,
				 const struct volume_claims *c, const struct spore_xs_op *ops,
				 struct spore_err *err)
{
	for (size_t k = 0; k < c->n; k++) {
		char holder[80];
		int r;

		if (ops[k].result == -ENOENT || (!ops[k].result && !strcmp(ops[k].out, g->uuid)))
			continue;
		if (ops[k].result < 0)
			return spore_err_set(err, -ops[k].result, "reading %s", c->path[k]);
		if ((r = holder_live(xs, tx, ops[k].out, holder, sizeof(holder), err)) < 0)
			return r;
		if (r)
			return spore_err_setx(err, EBUSY, "volume '%s' is in use by guest '%s'",
					      c->name[k], holder);
	}
	return 0;
}

int spore_guest_volumes_release(struct spore_xs *xs, uint32_t tx, const char *uuid,
				const char *volumes, struct spore_err *err)
{
	struct volume_claims c;

	volume_claims(volumes, &c);
	for (size_t i = 0; i < c.n; i++) {
		char *owner = NULL;
		size_t len;
		struct spore_err e = {0};
		int r = 0;

		if (spore_xs_read(xs, tx, c.path[i], &owner, &len, &e) >= 0 && !strcmp(owner, uuid))
			r = spore_xs_rm(xs, tx, c.path[i], err);
		free(owner);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

static int write_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	const struct spore_guest *g = arg;
	static const struct spore_xs_perm dom0_only = {0, 'n'};
	enum { NF = sizeof(fields) / sizeof(fields[0]) };
	/* Values as long as the longest field (config); on the heap. */
	enum { VAL_MAX = sizeof(((struct spore_guest *)0)->config) };
	char claims[N_CLAIMED][320], dir[200], paths[NF][256], (*vals)[VAL_MAX] = malloc(NF * VAL_MAX);
	struct spore_xs_op ops[2 + 3 * N_CLAIMED + 3 * MAX_VOLUME_CLAIMS + NF];
	struct volume_claims vc;
	size_t idx[N_CLAIMED], nreads, n;
	int r;

	if (!vals)
		return spore_err_set(err, ENOMEM, "writing a guest record");
	/* One pipelined batch: the claims are read, then taken and the record
	 * written; a claim another guest holds fails the transaction, which
	 * then commits nothing (the reads see the state before the writes). */
	n = nreads = claims_reads(g, claims, ops, idx);
	volume_claims(g->volumes, &vc);
	for (size_t i = 0; i < vc.n; i++)
		ops[n++] = (struct spore_xs_op){.type = XS_READ, .path = vc.path[i], .may_fail = true};
	for (size_t i = 0; i < N_CLAIMED; i++) {
		if (!claims[i][0])
			continue;
		ops[n++] = (struct spore_xs_op){.type = XS_WRITE, .path = claims[i], .val = g->uuid,
						.len = strlen(g->uuid)};
		ops[n++] = (struct spore_xs_op){.type = XS_SET_PERMS, .path = claims[i],
						.perms = &dom0_only, .nperms = 1};
	}
	for (size_t i = 0; i < vc.n; i++) {
		ops[n++] = (struct spore_xs_op){.type = XS_WRITE, .path = vc.path[i], .val = g->uuid,
						.len = strlen(g->uuid)};
		ops[n++] = (struct spore_xs_op){.type = XS_SET_PERMS, .path = vc.path[i],
						.perms = &dom0_only, .nperms = 1};
	}
	/* The record's keys inherit its dom0-only permissions. */
	snprintf(dir, sizeof(dir), SPORE_XS_GUESTS "/%s", g->uuid);
	ops[n++] = (struct spore_xs_op){.type = XS_MKDIR, .path = dir};
	ops[n++] = (struct spore_xs_op){.type = XS_SET_PERMS, .path = dir, .perms = &dom0_only,
					.nperms = 1};
	for (size_t i = 0; i < NF; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, fields[i].key);
		field_format(g, &fields[i], vals[i], sizeof(vals[i]));
		ops[n++] = (struct spore_xs_op){.type = XS_WRITE, .path = paths[i], .val = vals[i],
						.len = strlen(vals[i])};
	}
	r = spore_xs_batch(xs, tx, ops, n, err);
	if (r >= 0)
		r = claims_verdict(g, claims, ops, idx, nreads, err);
	if (r >= 0)
		r = volume_claims_verdict(xs, tx, g, &vc, ops + nreads, err);
	spore_xs_batch_free(ops, n);
	free(vals);
	return r;
}

int spore_guest_write(struct spore_xs *xs, const struct spore_guest *g, struct spore_err *err)
{
	if (strlen(g->uuid) != 36 || strchr(g->uuid, '/'))
		return spore_err_setx(err, EINVAL, "bad guest uuid '%s'", g->uuid);
	return spore_xs_transact(xs, write_tx, (void *)g, err);
}

struct set_arg {
	const char *uuid, *key, *value;
};

static int set_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	const struct set_arg *a = arg;
	char path[256], *state = NULL;
	size_t len;
	/* A removed record is not brought back as a key of its own. */
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" SPORE_REC_STATE, a->uuid);
	int r = spore_xs_read(xs, tx, path, &state, &len, err);
	free(state);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/%s", a->uuid, a->key);
	return spore_xs_write_str(xs, tx, path, a->value, err);
}

int spore_guest_set(struct spore_xs *xs, const char *uuid, const char *key, const char *value,
		    struct spore_err *err)
{
	struct set_arg a = {uuid, key, value};
	return spore_xs_transact(xs, set_tx, &a, err);
}

/* Read ops for one record: the record node itself (so a missing record is
 * -ENOENT), then each field (absent fields stay zero). paths holds NF+1. */
enum { NF_READ = sizeof(fields) / sizeof(fields[0]) + 1 };

static void read_ops(const char *uuid, char paths[][256], struct spore_xs_op *ops)
{
	snprintf(paths[0], 256, SPORE_XS_GUESTS "/%s", uuid);
	ops[0] = (struct spore_xs_op){.type = XS_READ, .path = paths[0], .may_fail = true};
	for (size_t i = 1; i < NF_READ; i++) {
		snprintf(paths[i], 256, SPORE_XS_GUESTS "/%s/%s", uuid, fields[i - 1].key);
		ops[i] = (struct spore_xs_op){.type = XS_READ, .path = paths[i], .may_fail = true};
	}
}

/* Fills g from the results of read_ops: -ENOENT if the record is gone. */
static int read_fill(const char *uuid, const struct spore_xs_op *ops, struct spore_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->domid = -1;
	copy_str(g->uuid, sizeof(g->uuid), uuid);
	if (ops[0].result < 0)
		return ops[0].result;
	for (size_t i = 1; i < NF_READ; i++)
		if (!ops[i].result)
			field_parse(g, &fields[i - 1], ops[i].out);
	return 0;
}

int spore_guest_read(struct spore_xs *xs, const char *uuid, struct spore_guest *g,
		     struct spore_err *err)
{
	char paths[NF_READ][256], id[37];
	struct spore_xs_op ops[NF_READ];

	copy_str(id, sizeof(id), uuid); /* uuid may be g->uuid, which g's fill clears */
	read_ops(id, paths, ops);
	int r = spore_xs_batch(xs, 0, ops, NF_READ, err);
	if (r >= 0 && (r = read_fill(id, ops, g)) < 0)
		spore_err_set(err, -r, "reading guest record %s", id);
	spore_xs_batch_free(ops, NF_READ);
	return r;
}

int spore_guest_read_many(struct spore_xs *xs, char *const *uuids, size_t n,
			  struct spore_guest *out, int *res, struct spore_err *err)
{
	char(*paths)[256] = NULL;
	struct spore_xs_op *ops = NULL;
	int r = 0;

	if (!n)
		return 0;
	/* Every record's reads in one pipelined batch: the cost barely grows
	 * with the number of guests. */
	ops = calloc(n * NF_READ, sizeof(*ops));
	paths = calloc(n * NF_READ, sizeof(*paths));
	if (!ops || !paths) {
		r = spore_err_set(err, ENOMEM, "reading guest records");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		read_ops(uuids[i], paths + i * NF_READ, ops + i * NF_READ);
	if ((r = spore_xs_batch(xs, 0, ops, n * NF_READ, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		res[i] = read_fill(uuids[i], ops + i * NF_READ, &out[i]);
out:
	if (ops)
		spore_xs_batch_free(ops, n * NF_READ);
	free(ops);
	free(paths);
	return r < 0 ? r : 0;
}

int spore_guest_list(struct spore_xs *xs, struct spore_guest **out, size_t *n,
		     struct spore_err *err)
{
	char **ids = NULL;
	struct spore_guest *v = NULL;
	int *res = NULL;
	size_t nids = 0, k = 0;
	int r = spore_xs_directory(xs, 0, SPORE_XS_GUESTS, &ids, &nids, err);

	*out = NULL;
	*n = 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	v = calloc(nids ? nids : 1, sizeof(*v));
	res = calloc(nids ? nids : 1, sizeof(*res));
	if (!v || !res) {
		r = spore_err_set(err, ENOMEM, "listing guests");
		goto out;
	}
	if ((r = spore_guest_read_many(xs, ids, nids, v, res, err)) < 0)
		goto out;
	for (size_t i = 0; i < nids; i++)
		/* A record removed meanwhile is simply skipped. */
		if (res[i] >= 0 && k++ != i)
			v[k - 1] = v[i];
	*out = v;
	*n = k;
	v = NULL;
out:
	free(res);
	free(v);
	free(ids);
	return r;
}

static int remove_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	const struct spore_guest *g = arg;
	char path[256];
	int r;

	if ((r = claims_drop(xs, tx, g, err)) < 0 ||
	    (r = spore_guest_volumes_release(xs, tx, g->uuid, g->volumes, err)) < 0)
		return r;
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s", g->uuid);
	r = spore_xs_rm(xs, tx, path, err);
	return r == -ENOENT ? 0 : r;
}

int spore_guest_remove(struct spore_xs *xs, const char *uuid, struct spore_err *err)
{
	struct spore_guest g;
	struct spore_err e = {0};

	/* The claimed values come from the record itself; a record that is
	 * already gone leaves nothing of its own to drop. */
	if (spore_guest_read(xs, uuid, &g, &e) == -ENOENT)
		return 0;
	copy_str(g.uuid, sizeof(g.uuid), uuid);
	return spore_xs_transact(xs, remove_tx, &g, err);
}

int spore_guest_match(const struct spore_guest *list, size_t n, const char *id)
{
	size_t idlen = strlen(id);
	int found = -ENOENT;
	char *end;
	long domid = strtol(id, &end, 10);
	bool numeric = idlen && *end == '\0' && idlen < 6;

	if (!idlen)
		return -ENOENT;
	/* Exact matches first: uuid, then name, then domid. */
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].uuid, id) || !strcmp(list[i].name, id))
			return (int)i;
	for (size_t i = 0; i < n && numeric; i++)
		if (list[i].domid >= 0 && list[i].domid == domid)
			return (int)i;
	for (size_t i = 0; i < n; i++) {
		if (!strncmp(list[i].uuid, id, idlen)) {
			if (found >= 0)
				return -EEXIST;
			found = (int)i;
		}
	}
	return found;
}

int spore_guest_resolve(struct spore_xs *xs, const char *id, struct spore_guest *g,
			struct spore_err *err)
{
	struct spore_guest *list = NULL;
	size_t n = 0;
	int r = spore_guest_list(xs, &list, &n, err);
	if (r < 0)
		return r;
	int i = spore_guest_match(list, n, id);
	if (i == -ENOENT)
		r = spore_err_setx(err, ENOENT, "no such guest: '%s'", id);
	else if (i == -EEXIST)
		r = spore_err_setx(err, EEXIST, "'%s' matches more than one guest: give more of the UUID",
				   id);
	else
		*g = list[i];
	free(list);
	return r < 0 ? r : 0;
}
