/* One reaping pass over the guest records; see guest_reap.h. */
#include <spore/guest_reap.h>
#include <spore/guest_teardown.h>
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

int spore_reap_pass(struct spore_xc *xc, struct spore_xs *xs, pid_t **building, size_t *nbuilding,
		    struct spore_err *err)
{
	struct spore_guest *g = NULL;
	struct spore_dominfo *doms = NULL;
	size_t n = 0, ndoms = 0, nb = 0;
	pid_t *pids = NULL;
	int r, reaped = 0;

	if (building) {
		*building = NULL;
		*nbuilding = 0;
	}
	if ((r = spore_guest_list(xs, &g, &n, err)) < 0)
		return r;
	if (!n) {
		free(g);
		return 0;
	}
	if ((r = spore_domain_snapshot(xc, &doms, &ndoms, err)) < 0) {
		free(g);
		return r;
	}
	if (building && !(pids = calloc(n, sizeof(*pids)))) {
		free(g);
		free(doms);
		return spore_err_set(err, ENOMEM, "reaping");
	}
	for (size_t i = 0; i < n; i++) {
		int d = spore_guest_match_domain(&g[i], doms, ndoms);
		bool alive = strcmp(g[i].state, "exited") &&
			     spore_owner_alive((pid_t)g[i].owner_pid, g[i].created);
		enum spore_reap_action a = spore_reap_decide(&g[i], d >= 0 ? &doms[d] : NULL, alive);
		struct spore_err e = {0};
		/* The list reads a record key by key, not atomically: a launch's
		 * write committing meanwhile can show "building" with the owner
		 * of "running" (0). Before acting, read it again: what reads
		 * mixed once was written before this second read began. */
		if (a != SPORE_REAP_NONE) {
			char uuid[sizeof(g[i].uuid)];
			memcpy(uuid, g[i].uuid, sizeof(uuid));
			if (spore_guest_read(xs, uuid, &g[i], &e) < 0)
				continue; /* removed meanwhile */
			alive = strcmp(g[i].state, "exited") &&
				spore_owner_alive((pid_t)g[i].owner_pid, g[i].created);
			a = spore_reap_decide(&g[i], d >= 0 ? &doms[d] : NULL, alive);
		}
		if (a == SPORE_REAP_NONE) {
			if (alive && pids)
				pids[nb++] = (pid_t)g[i].owner_pid;
			continue;
		}
		if (spore_guest_teardown(xc, xs, &g[i], &e) < 0) {
			log_warn("reaping: %s", e.msg);
			continue;
		}
		if (a == SPORE_REAP_TEARDOWN_REMOVE) {
			if (spore_guest_remove(xs, g[i].uuid, &e) < 0)
				log_warn("reaping: guest %s: %s", g[i].name, e.msg);
			log_info("removed guest %s (%s): its launch (pid %" PRId64 ") died",
				 g[i].name, g[i].uuid, g[i].owner_pid);
		} else {
			log_info("reaped guest %s (%s)", g[i].name, g[i].uuid);
		}
		reaped++;
	}
	free(g);
	free(doms);
	if (building) {
		*building = pids;
		*nbuilding = nb;
	}
	return reaped;
}
