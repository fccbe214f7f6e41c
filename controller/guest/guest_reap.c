/* Reaping guests: per event or in one pass over all records; see guest_reap.h. */
#include "guest_reap.h"
#include "guest_teardown.h"
#include "uuid.h"
#include <spore/log.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum spore_reap_action spore_reap_decide(const struct spore_guest *g,
					 const struct spore_dominfo *dom, bool owner_alive)
{
	if (!strcmp(g->state, "running")) {
		/* An attached sporectl (boot/launch --attach) owns the guest and
		 * tears it down itself once it has read what it needs (e.g. the
		 * exit status); the reaper takes over when that process ends. */
		if (!dom || spore_dominfo_shutdown(dom) || spore_dominfo_dying(dom))
			return owner_alive ? SPORE_REAP_NONE : SPORE_REAP_TEARDOWN;
		return SPORE_REAP_NONE;
	}
	if (!strcmp(g->state, "exited")) {
		/* A teardown that was interrupted: finish it. A dying domain is
		 * one Xen is still freeing (backends letting go): not ours. Loops
		 * still listed are not a reason: by now another guest may have
		 * been given the same /dev/loopN. */
		if ((dom && !spore_dominfo_dying(dom)) || g->domid >= 0)
			return SPORE_REAP_TEARDOWN;
		return SPORE_REAP_NONE;
	}
	/* "building" (or a state this version does not know): the owner's. */
	return owner_alive ? SPORE_REAP_NONE : SPORE_REAP_TEARDOWN_REMOVE;
}

/* The start time of pid in unix seconds (-1 if unknown), and whether it has
 * exited (a zombie its parent has not waited for yet). */
void (*spore_reap_removed)(const struct spore_guest *g);

static int64_t proc_start_time(pid_t pid, bool *zombie)
{
	char path[64], buf[1024], state = 0;
	FILE *f;
	unsigned long long start = 0, btime = 0;

	*zombie = false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "re")))
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 3 and 22, counted after the ")" that ends the command name. */
	char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
				"%*d %*d %*d %llu", &state, &start) != 2)
		return -1;
	*zombie = state == 'Z' || state == 'X';
	if (!(f = fopen("/proc/stat", "re")))
		return -1;
	char line[256];
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	long hz = sysconf(_SC_CLK_TCK);
	if (!btime || hz <= 0)
		return -1;
	return (int64_t)(btime + start / (unsigned long long)hz);
}

bool spore_owner_alive(pid_t pid, int64_t created)
{
	bool zombie;
	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	int64_t t = proc_start_time(pid, &zombie);
	if (zombie)
		return false;
	/* btime is rounded to a second: allow one of slack. */
	return t < 0 || created <= 0 || t <= created + 1;
}

int spore_uuid_set_add(struct spore_uuid_set *s, const char *uuid)
{
	if (strlen(uuid) != 36)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], uuid))
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char(*v)[37] = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	memcpy(s->v[s->n++], uuid, 37);
	return 0;
}

bool spore_uuid_set_has(const struct spore_uuid_set *s, const char *uuid)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], uuid))
			return true;
	return false;
}

void spore_uuid_set_free(struct spore_uuid_set *s)
{
	free(s->v);
	*s = (struct spore_uuid_set){0};
}

int spore_reap_event_uuid(const char *path, char uuid[37])
{
	static const char guests[] = SPORE_XS_GUESTS;
	size_t n = sizeof(guests) - 1;

	if (strncmp(path, guests, n))
		return -1;
	if (!path[n])
		return 0;
	if (path[n] != '/')
		return -1;
	path += n + 1;
	size_t len = strcspn(path, "/");
	if (len != 36)
		return -1;
	memcpy(uuid, path, 36);
	uuid[36] = '\0';
	return 1;
}

static bool same_domain(const struct spore_dominfo *a, const struct spore_dominfo *b)
{
	return a->domid == b->domid && !memcmp(a->handle, b->handle, sizeof(a->handle));
}

int spore_reap_released(const struct spore_dominfo *prev, size_t nprev,
			const struct spore_dominfo *now, size_t nnow, struct spore_uuid_set *out)
{
	char u[37];

	/* Gone since the last look (xl destroy, or a teardown's destroy). */
	for (size_t i = 0; i < nprev; i++) {
		size_t j = 0;
		while (j < nnow && !same_domain(&prev[i], &now[j]))
			j++;
		if (j < nnow || prev[i].domid == 0)
			continue;
		spore_uuid_format(prev[i].handle, u);
		if (spore_uuid_set_add(out, u) < 0)
			return -ENOMEM;
	}
	/* Shut down or dying: to be torn down, unless an owner holds it. */
	for (size_t j = 0; j < nnow; j++) {
		if (now[j].domid == 0 || !(spore_dominfo_shutdown(&now[j]) || spore_dominfo_dying(&now[j])))
			continue;
		spore_uuid_format(now[j].handle, u);
		if (spore_uuid_set_add(out, u) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* What to do with g (its domain dom, or NULL); *alive: its owner runs. */
static enum spore_reap_action judge(const struct spore_guest *g, const struct spore_dominfo *dom,
				    bool *alive)
{
	/* A start writes the record afresh (started) but keeps its creation
	 * time: its owner began after that. */
	*alive = strcmp(g->state, "exited") &&
		 spore_owner_alive((pid_t)g->owner_pid, g->started > 0 ? g->started : g->created);
	return spore_reap_decide(g, dom, *alive);
}

int spore_reap_guests(struct spore_xc *xc, struct spore_xs *xs, const struct spore_uuid_set *which,
		      const struct spore_dominfo *doms, size_t ndoms, pid_t *owners,
		      struct spore_err *err)
{
	struct spore_guest *g = NULL;
	char **ids = NULL;
	int *res = NULL, r, reaped = 0;
	size_t n = which->n;

	if (owners)
		memset(owners, 0, n * sizeof(*owners));
	if (!n)
		return 0;
	g = calloc(n, sizeof(*g));
	ids = calloc(n, sizeof(*ids));
	res = calloc(n, sizeof(*res));
	if (!g || !ids || !res) {
		r = spore_err_set(err, ENOMEM, "reaping");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = which->v[i];
	if ((r = spore_guest_read_many(xs, ids, n, g, res, err)) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (res[i] < 0)
			continue; /* no record: not a spore guest, or removed */
		int d = spore_guest_match_domain(&g[i], doms, ndoms);
		const struct spore_dominfo *dom = d >= 0 ? &doms[d] : NULL;
		bool alive;
		enum spore_reap_action a = judge(&g[i], dom, &alive);
		struct spore_err e = {0};
		/* A record is read key by key, not atomically: a launch's write
		 * committing meanwhile can show "building" with the owner of
		 * "running" (0). Before acting, read it again: what reads mixed
		 * once was written before this second read began. */
		if (a != SPORE_REAP_NONE) {
			if (spore_guest_read(xs, which->v[i], &g[i], &e) < 0)
				continue; /* removed meanwhile */
			a = judge(&g[i], dom, &alive);
		}
		if (a == SPORE_REAP_NONE) {
			if (alive && owners)
				owners[i] = (pid_t)g[i].owner_pid;
			continue;
		}
		if (spore_guest_teardown(xc, xs, &g[i], &e) < 0) {
			log_warn("reaping: %s", e.msg);
			continue;
		}
		if (a == SPORE_REAP_TEARDOWN_REMOVE) {
			if (spore_guest_remove(xs, g[i].uuid, &e) < 0)
				log_warn("reaping: guest %s: %s", g[i].name, e.msg);
			else if (spore_reap_removed)
				spore_reap_removed(&g[i]);
			log_info("removed guest %s (%s): its launch (pid %" PRId64 ") died",
				 g[i].name, g[i].uuid, g[i].owner_pid);
		} else {
			log_info("reaped guest %s (%s)", g[i].name, g[i].uuid);
		}
		reaped++;
	}
	r = reaped;
out:
	free(g);
	free(ids);
	free(res);
	return r;
}

int spore_reap_all_uuids(struct spore_xs *xs, struct spore_uuid_set *out, struct spore_err *err)
{
	char **ids = NULL;
	size_t n = 0;
	int r = spore_xs_directory(xs, 0, SPORE_XS_GUESTS, &ids, &n, err);

	if (r == -ENOENT) {
		spore_err_clear(err);
		return 0;
	}
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (spore_uuid_set_add(out, ids[i]) < 0)
			r = spore_err_set(err, ENOMEM, "listing guests");
	free(ids);
	return r < 0 ? r : 0;
}

int spore_reap_pass(struct spore_xc *xc, struct spore_xs *xs, pid_t **building, size_t *nbuilding,
		    struct spore_err *err)
{
	struct spore_uuid_set all = {0};
	struct spore_dominfo *doms = NULL;
	pid_t *owners = NULL;
	size_t ndoms = 0, nb = 0;
	int r;

	if (building) {
		*building = NULL;
		*nbuilding = 0;
	}
	if ((r = spore_reap_all_uuids(xs, &all, err)) < 0 || !all.n)
		goto out;
	if ((r = spore_domain_snapshot(xc, &doms, &ndoms, err)) < 0)
		goto out;
	if (building && !(owners = calloc(all.n, sizeof(*owners)))) {
		r = spore_err_set(err, ENOMEM, "reaping");
		goto out;
	}
	if ((r = spore_reap_guests(xc, xs, &all, doms, ndoms, owners, err)) < 0)
		goto out;
	for (size_t i = 0; owners && i < all.n; i++)
		if (owners[i] > 0)
			owners[nb++] = owners[i];
	if (building) {
		*building = owners;
		*nbuilding = nb;
		owners = NULL;
	}
out:
	free(owners);
	free(doms);
	spore_uuid_set_free(&all);
	return r;
}
