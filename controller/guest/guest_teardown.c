/* Guest teardown; see guest_teardown.h. The order follows pv_build_abort:
 * destroy the domain before removing its xenstore nodes, and never
 * XS_RELEASE it (xenstored fires @releaseDomain for a dying domain by
 * itself, which is what makes spored (or xenconsoled) unmap the console ring; released
 * early, the domain stays a zombie).
 *
 * No Closing handshake (backend state 5, wait for the frontend): a guest is
 * torn down once its frontends are gone (it powered off, or destroy asked
 * it to and then destroyed it), so nothing would answer. Removing the
 * backend nodes makes blkback/netback disconnect at once and unmap the
 * grants, after which Xen frees the dying domain. */
#include "guest_teardown.h"
#include "guest_status.h"
#include "loopdev.h"
#include "uuid.h"
#include <spore/log.h>
#include <spore/vif_backend.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xen/sched.h>

const char *spore_shutdown_reason_name(unsigned reason)
{
	switch (reason) {
	case SHUTDOWN_poweroff: return "poweroff";
	case SHUTDOWN_reboot: return "reboot";
	case SHUTDOWN_suspend: return "suspend";
	case SHUTDOWN_crash: return "crash";
	case SHUTDOWN_watchdog: return "watchdog";
	default: return "shutdown";
	}
}

static bool handle_is(const struct spore_dominfo *d, const struct spore_guest *g)
{
	char u[37];
	spore_uuid_format(d->handle, u);
	return !strcmp(u, g->uuid);
}

int spore_guest_match_domain(const struct spore_guest *g, const struct spore_dominfo *doms,
			     size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (doms[i].domid != 0 && handle_is(&doms[i], g))
			return (int)i;
	return -1;
}

int spore_domain_snapshot(struct spore_xc *xc, struct spore_dominfo **out, size_t *n,
			  struct spore_err *err)
{
	size_t cap = 64, have = 0;
	struct spore_dominfo *v = malloc(cap * sizeof(*v));
	uint32_t next = 0;

	if (!v)
		return spore_err_set(err, ENOMEM, "listing domains");
	for (;;) {
		if (cap - have < 64) {
			struct spore_dominfo *nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv) {
				free(v);
				return spore_err_set(err, ENOMEM, "listing domains");
			}
			v = nv;
			cap *= 2;
		}
		int r = spore_xc_domain_getinfolist(xc, next, v + have, 64, err);
		if (r < 0) {
			free(v);
			return r;
		}
		have += (size_t)r;
		if (r < 64)
			break;
		next = v[have - 1].domid + 1;
	}
	*out = v;
	*n = have;
	return 0;
}

const struct spore_dominfo *spore_domain_in(const struct spore_dominfo *doms, size_t n, uint32_t domid,
					    const uint8_t handle[16])
{
	for (size_t k = 0; k < n; k++)
		if (doms[k].domid == domid && !memcmp(doms[k].handle, handle, 16))
			return &doms[k];
	return NULL;
}

int spore_guest_find_domain(struct spore_xc *xc, const struct spore_guest *g,
			    struct spore_dominfo *info, struct spore_err *err)
{
	struct spore_dominfo *doms = NULL;
	size_t n = 0;
	int r;

	if (g->domid > 0 && g->domid < DOMID_FIRST_RESERVED) {
		r = spore_xc_domain_getinfo(xc, (uint32_t)g->domid, info, err);
		if (r >= 0 && handle_is(info, g))
			return 1;
		if (r < 0 && r != -ESRCH)
			return r;
	}
	/* The recorded domid is unset or now someone else's: look by handle. */
	if ((r = spore_domain_snapshot(xc, &doms, &n, err)) < 0)
		return r;
	int i = spore_guest_match_domain(g, doms, n);
	if (i >= 0)
		*info = doms[i];
	free(doms);
	return i >= 0;
}

/* Removes xenstore path, quietly if it is already gone. */
static void rm_quiet(struct spore_xs *xs, const char *path, const char *guest)
{
	struct spore_err e = {0};
	int r = spore_xs_rm(xs, 0, path, &e);
	if (r < 0 && r != -ENOENT)
		log_warn("guest %s: removing %s: %s", guest, path, e.msg);
}

static void rm_backends(struct spore_xs *xs, uint32_t domid, const char *guest)
{
	char **kinds = NULL, path[128];
	size_t n = 0;
	struct spore_err e = {0};

	if (spore_xs_directory(xs, 0, "/local/domain/0/backend", &kinds, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/local/domain/0/backend/%s/%" PRIu32, kinds[i], domid);
		rm_quiet(xs, path, guest);
	}
	free(kinds);
	/* A vif sporenet serves (--net-backend userspace): its worker unmaps
	 * the rings when the record's vif is cleared, as netback does when
	 * its nodes go. */
	snprintf(path, sizeof(path), "/local/domain/0/" SPORE_VIF_ROOT_USERSPACE "/vif/%" PRIu32,
		 domid);
	rm_quiet(xs, path, guest);
}

#define ERROR_DIR "/local/domain/0/error"

/* Removes dir if it has no children, in the transaction (a driver writing
 * a child meanwhile makes it retry, so no one's error is lost). */
static int rm_if_empty(struct spore_xs *xs, uint32_t tx, const char *dir, struct spore_err *err)
{
	char **names = NULL;
	size_t n = 0;
	int r = spore_xs_directory(xs, tx, dir, &names, &n, err);

	free(names);
	if (r == -ENOENT) {
		spore_err_clear(err);
		return 0;
	}
	if (r < 0 || n)
		return r < 0 ? r : 1;
	return spore_xs_rm(xs, tx, dir, err);
}

/* The directories a backend's errors left, emptied by rm_errors: gone too,
 * innermost first, each only if empty. */
static int prune_errors_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	char **kinds = NULL, path[160];
	size_t n = 0;
	int r;

	(void)arg;
	r = spore_xs_directory(xs, tx, ERROR_DIR "/backend", &kinds, &n, err);
	if (r == -ENOENT) {
		spore_err_clear(err);
		r = 0;
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		snprintf(path, sizeof(path), ERROR_DIR "/backend/%s", kinds[i]);
		r = rm_if_empty(xs, tx, path, err);
	}
	free(kinds);
	if (r >= 0)
		r = rm_if_empty(xs, tx, ERROR_DIR "/backend", err);
	if (r >= 0)
		r = rm_if_empty(xs, tx, ERROR_DIR, err);
	return r < 0 ? r : 0;
}

/* dom0's backend drivers report a frontend's misbehaviour (a bogus state,
 * protocol or ring) in dom0's own directory, error/backend/KIND/DOMID/...:
 * a guest could otherwise leave nodes behind in dom0's xenstore for every
 * launch. */
static void rm_errors(struct spore_xs *xs, uint32_t domid, const char *guest)
{
	char **kinds = NULL, path[160];
	size_t n = 0;
	struct spore_err e = {0};

	if (spore_xs_directory(xs, 0, ERROR_DIR "/backend", &kinds, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), ERROR_DIR "/backend/%s/%" PRIu32, kinds[i], domid);
		rm_quiet(xs, path, guest);
	}
	free(kinds);
	if (spore_xs_transact(xs, prune_errors_tx, NULL, &e) < 0)
		log_warn("guest %s: removing empty %s: %s", guest, ERROR_DIR, e.msg);
}

bool spore_error_dir_stale(const char *name, const struct spore_dominfo *doms, size_t n)
{
	char *end;
	errno = 0;
	unsigned long domid = strtoul(name, &end, 10);

	if (errno || end == name || *end || name[0] < '0' || name[0] > '9' || domid == 0 ||
	    domid >= DOMID_FIRST_RESERVED)
		return false; /* not a guest's: left alone */
	for (size_t i = 0; i < n; i++)
		if (doms[i].domid == domid)
			return spore_dominfo_dying(&doms[i]);
	return true;
}

int spore_guest_prune_errors(struct spore_xc *xc, struct spore_xs *xs, struct spore_err *err)
{
	struct spore_dominfo *doms = NULL;
	char **kinds = NULL, path[160];
	size_t nd = 0, nk = 0, removed = 0;
	int r = spore_xs_directory(xs, 0, ERROR_DIR "/backend", &kinds, &nk, err);

	if (r == -ENOENT) {
		spore_err_clear(err);
		return 0;
	}
	if (r < 0 || (r = spore_domain_snapshot(xc, &doms, &nd, err)) < 0) {
		free(kinds);
		return r;
	}
	for (size_t i = 0; i < nk; i++) {
		char **ids = NULL;
		size_t ni = 0;
		struct spore_err e = {0};
		snprintf(path, sizeof(path), ERROR_DIR "/backend/%s", kinds[i]);
		if (spore_xs_directory(xs, 0, path, &ids, &ni, &e) < 0)
			continue;
		for (size_t k = 0; k < ni; k++) {
			if (!spore_error_dir_stale(ids[k], doms, nd))
				continue;
			snprintf(path, sizeof(path), ERROR_DIR "/backend/%s/%s", kinds[i], ids[k]);
			rm_quiet(xs, path, ids[k]);
			removed++;
		}
		free(ids);
	}
	free(kinds);
	free(doms);
	if (removed && (r = spore_xs_transact(xs, prune_errors_tx, NULL, err)) < 0)
		return r;
	return (int)removed;
}

/* By the guest's tag rather than the record's list: that finds devices a
 * killed launch bound but never recorded, and never one that another guest
 * has been given since. */
static void detach_loops(const struct spore_guest *g)
{
	char tag[64];
	struct spore_err e = {0};
	snprintf(tag, sizeof(tag), SPORE_LOOP_TAG_FMT, g->uuid);
	if (spore_loop_detach_tagged(tag, &e) < 0)
		log_warn("guest %s: %s", g->name, e.msg);
}

struct record_update {
	const char *uuid;
	const char *status; /* sporeinit's, or NULL */
	const char *reason; /* Xen's shutdown reason, or NULL */
	int64_t now;
};

static int read_key(struct spore_xs *xs, uint32_t tx, const char *uuid, const char *key,
		    char **val, struct spore_err *err)
{
	char path[160];
	size_t len;
	snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/%s", uuid, key);
	return spore_xs_read(xs, tx, path, val, &len, err);
}

static int update_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	const struct record_update *u = arg;
	char path[160], *old = NULL;
	int r;

	/* A record someone removed meanwhile stays removed. */
	r = read_key(xs, tx, u->uuid, SPORE_REC_STATE, &old, err);
	free(old);
	old = NULL;
	if (r == -ENOENT) {
		spore_err_clear(err);
		return 0;
	}
	if (r < 0)
		return r;
#define SET(key, val)                                                                      \
	do {                                                                               \
		snprintf(path, sizeof(path), SPORE_XS_GUESTS "/%s/" key, u->uuid);         \
		if ((r = spore_xs_write_str(xs, tx, path, val, err)) < 0)                  \
			return r;                                                          \
	} while (0)
	SET(SPORE_REC_STATE, "exited");
	SET(SPORE_REC_DOMID, "-1");
	SET(SPORE_REC_LOOPS, "");
	SET(SPORE_REC_VIF, ""); /* sporenet detaches */
	/* Its volumes are free for the next launch once it is exited (the
	 * record keeps listing them, for list and inspect). */
	if (read_key(xs, tx, u->uuid, SPORE_REC_VOLUMES, &old, err) >= 0)
		r = spore_guest_volumes_release(xs, tx, u->uuid, old, err);
	free(old);
	old = NULL;
	if (r < 0)
		return r;
	/* The first teardown to see the exit decides its time and status. */
	if (read_key(xs, tx, u->uuid, SPORE_REC_EXITED, &old, err) < 0 || strtoll(old, NULL, 10) <= 0) {
		char t[24];
		snprintf(t, sizeof(t), "%" PRId64, u->now);
		SET(SPORE_REC_EXITED, t);
	}
	free(old);
	old = NULL;
	if (u->status) {
		SET(SPORE_REC_EXIT_STATUS, u->status);
	} else if (u->reason) {
		if (read_key(xs, tx, u->uuid, SPORE_REC_EXIT_STATUS, &old, err) < 0 || !old[0]) {
			free(old);
			SET(SPORE_REC_EXIT_STATUS, u->reason);
			old = NULL;
		}
		free(old);
	}
#undef SET
	spore_err_clear(err);
	return 0;
}

void spore_guest_exit_status_path(uint32_t domid, char *buf, size_t n)
{
	snprintf(buf, n, "/local/domain/%" PRIu32 "/data/spore/exit-status", domid);
}

int spore_guest_read_exit_status(struct spore_xs *xs, uint32_t domid, char *out, size_t n)
{
	char path[96], *val = NULL;
	size_t len;
	struct spore_err e = {0};
	int r;

	out[0] = '\0';
	spore_guest_exit_status_path(domid, path, sizeof(path));
	if ((r = spore_xs_read(xs, 0, path, &val, &len, &e)) >= 0) {
		/* The guest writes it: anything but sporeinit's formats is
		 * replaced here, before any caller stores, parses or prints it. */
		bool ok = len && !memchr(val, '\0', len) && spore_exit_status_reported(val);
		snprintf(out, n, "%s", ok ? val : SPORE_EXIT_STATUS_INVALID);
		r = 0;
	}
	free(val);
	return r;
}

int spore_guest_teardown(struct spore_xc *xc, struct spore_xs *xs, const struct spore_guest *g,
			 struct spore_err *err)
{
	struct spore_dominfo info;
	char path[160], status[sizeof(((struct spore_guest *)0)->exit_status)] = "";
	const char *reason = NULL;
	int64_t domid = -1;
	int r, found = spore_guest_find_domain(xc, g, &info, err);

	if (found < 0)
		return spore_err_wrap(err, "guest %s", g->name);
	if (found) {
		domid = info.domid;
		spore_guest_read_exit_status(xs, info.domid, status, sizeof(status));
		if (spore_dominfo_shutdown(&info))
			reason = spore_shutdown_reason_name(spore_dominfo_shutdown_reason(&info));
		r = spore_xc_domain_destroy(xc, (uint32_t)domid, err);
		/* A dying domain may refuse a second destroy; Xen finishes it. */
		if (r < 0 && r != -ESRCH && !spore_dominfo_dying(&info))
			return spore_err_wrap(err, "guest %s", g->name);
		spore_err_clear(err);
	} else if (g->domid > 0) {
		/* Gone already: its domid-keyed nodes are ours to remove only if no
		 * other domain has taken the id since. */
		struct spore_err e = {0};
		if (spore_xc_domain_getinfo(xc, (uint32_t)g->domid, &info, &e) == -ESRCH)
			domid = g->domid;
	}
	if (domid > 0) {
		snprintf(path, sizeof(path), "/local/domain/%" PRId64, domid);
		rm_quiet(xs, path, g->name);
		rm_backends(xs, (uint32_t)domid, g->name);
		rm_errors(xs, (uint32_t)domid, g->name);
	}
	snprintf(path, sizeof(path), "/vm/%s", g->uuid);
	rm_quiet(xs, path, g->name);
	detach_loops(g);

	struct record_update u = {g->uuid, status[0] ? status : NULL, reason, (int64_t)time(NULL)};
	r = spore_xs_transact(xs, update_tx, &u, err);
	if (r < 0)
		return spore_err_wrap(err, "guest %s: updating its record", g->name);
	if (found)
		log_info("guest %s (domain %" PRId64 ") torn down", g->name, domid);
	return 0;
}
