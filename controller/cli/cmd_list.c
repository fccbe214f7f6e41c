/* sporectl list: spore's guests as docker ps shows containers, from the
 * records under /spore/guests, checked against what Xen says. */
#include "guest_reap.h"
#include "guest_status.h"
#include "guest_teardown.h"
#include "volume_rules.h"
#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anon_volumes.h"
#include "cli_util.h"
#include "guest_view.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl list [OPTIONS]\n"
		     "\n"
		     "List spore's guests (running ones unless --all). Guests whose domain has\n"
		     "shut down or vanished are cleaned up first, as the reaper would.\n"
		     "\n"
		     "Options:\n"
		     "  -a, --all    Also exited guests and guests still being built\n"
		     "  --json       A JSON array of objects, one per guest\n"
		     "  -h, --help   Show this help\n");
}

static int by_created(const void *a, const void *b)
{
	const struct spore_guest *x = a, *y = b;
	/* Newest first, as docker. */
	return x->created < y->created ? 1 : x->created > y->created ? -1 : strcmp(x->uuid, y->uuid);
}

/* The record's "HOSTIP:HOSTPORT:GUESTPORT/PROTO ..." as docker shows it:
 * "HOSTIP:HOSTPORT->GUESTPORT/PROTO, ...". */
static void ports_human(const char *ports, char *out, size_t n)
{
	size_t at = 0;
	out[0] = '\0';
	for (const char *p = ports; *p && at < n;) {
		size_t len = strcspn(p, " ");
		char one[64];
		snprintf(one, sizeof(one), "%.*s", (int)len, p);
		char *guest = strrchr(one, ':');
		if (guest) {
			*guest++ = '\0';
			at += (size_t)snprintf(out + at, n - at, "%s%s->%s", at ? ", " : "", one, guest);
		}
		p += len;
		p += strspn(p, " ");
	}
}

/* A record field for the terminal: records are dom0's, but one written by an
 * older spore may hold guest bytes, so anything but printable ASCII is
 * shown as '?'. Returns buf. */
static const char *shown(const char *field, char *buf, size_t n)
{
	size_t i = 0;
	for (; field[i] && i + 1 < n; i++)
		buf[i] = field[i] >= 0x20 && field[i] < 0x7f ? field[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* The record's mounts as docker's MOUNTS column shows them, but with the
 * target: "data:/data, /srv:/cfg:ro, tmpfs:/tmp" (the root left out). */
static void mounts_human(const char *list, char *out, size_t n)
{
	struct spore_mount_entry m;
	size_t at = 0;

	out[0] = '\0';
	for (const char *p = list; spore_mounts_next(&p, &m) && at < n;) {
		if (!strcmp(m.type, "root"))
			continue;
		at += (size_t)snprintf(out + at, n - at, "%s%s:%s%s", at ? ", " : "",
				       strcmp(m.type, "tmpfs") ? m.source : "tmpfs", m.target,
				       m.ro ? ":ro" : "");
	}
}

void guest_settle(struct spore_guest *g, const struct spore_dominfo *doms, size_t ndoms, int64_t now)
{
	/* The record may lag behind Xen (no reaper, or it failed): a guest
	 * whose domain is down is shown as exited. */
	int d = spore_guest_match_domain(g, doms, ndoms);
	if (!strcmp(g->state, "running") &&
	    (d < 0 || spore_dominfo_shutdown(&doms[d]) || spore_dominfo_dying(&doms[d]))) {
		snprintf(g->state, sizeof(g->state), "exited");
		if (!g->exited)
			g->exited = now;
	}
}

json_t *guest_json(const struct spore_guest *g, const char *status)
{
	const char *exit_status = spore_exit_status_shown(g->exit_status);
	int code = spore_guest_exit_code(exit_status);
	json_t *ports = json_array();
	for (const char *p = g->ports; *p;) {
		size_t len = strcspn(p, " ");
		if (len)
			json_array_append_new(ports, json_stringn(p, len));
		p += len;
		p += strspn(p, " ");
	}
	/* The record's volumes, NAME or NAME:ro each. */
	json_t *volumes = json_array();
	for (const char *p = g->volumes; *p;) {
		size_t len = strcspn(p, " "), nlen = strcspn(p, ": ");
		char name[80];
		if (len) {
			snprintf(name, sizeof(name), "%.*s", (int)(nlen < len ? nlen : len), p);
			shown(name, name, sizeof(name));
			json_array_append_new(volumes,
					      json_pack("{s:s, s:b}", "name", name, "read_only",
							len - nlen == 3 && !strncmp(p + nlen, ":ro", 3)));
		}
		p += len;
		p += strspn(p, " ");
	}
	/* What the container has mounted: type, source, target, read-only. */
	json_t *mounts = json_array();
	struct spore_mount_entry m;
	for (const char *p = g->mounts; spore_mounts_next(&p, &m);) {
		char src[sizeof(m.source)], dst[sizeof(m.target)], type[sizeof(m.type)];
		json_array_append_new(mounts,
				      json_pack("{s:s, s:s, s:s, s:b}", "type",
						shown(m.type, type, sizeof(type)), "source",
						shown(m.source, src, sizeof(src)), "destination",
						shown(m.target, dst, sizeof(dst)), "read_only", m.ro));
	}
	/* The restart policy and spored's restarts since the last manual
	 * start (also as docker's RestartCount, for --format). */
	char policy[sizeof(g->restart)];
	shown(g->restart[0] ? g->restart : "no", policy, sizeof(policy));
	return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:s, "
			 "s:s, s:I, s:i, s:o, s:s, s:b, s:o, s:o, s:s, s:I, s:I}",
			 "id", g->uuid, "name", g->name, "domid", (json_int_t)g->domid, "image",
			 g->image, "digest", g->digest, "state", g->state, "status", status,
			 "exit_status", exit_status, "created", (json_int_t)g->created,
			 "exited", g->exited > 0 ? json_integer(g->exited) : json_null(),
			 "exit_code", code >= 0 ? json_integer(code) : json_null(), "ipv4", g->ipv4,
			 "ipv6", g->ipv6, "mac", g->mac, "kernel", g->kernel, "memory_mib",
			 (json_int_t)g->memory_mib, "vcpus", (int)g->vcpus, "ports", ports, "vif",
			 g->vif, "allow_dom0", (int)(g->allow_dom0 != 0), "volumes", volumes,
			 "mounts", mounts, "restart_policy", policy, "restart_count",
			 (json_int_t)g->restart_count, "RestartCount", (json_int_t)g->restart_count);
}

int cmd_list(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {
		{"all", no_argument, 0, 'a'},
		{"json", no_argument, 0, 'j'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_guest *g = NULL;
	struct spore_dominfo *doms = NULL;
	size_t n = 0, ndoms = 0;
	bool all = false, json = false;
	int c, r;

	/* A launch that died may have left anonymous volumes. */
	spore_reap_removed = spore_anon_volumes_removed;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ah", opts, NULL)) != -1) {
		switch (c) {
		case 'a': all = true; break;
		case 'j': json = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return cli_usage(err, NULL);
		}
	}
	if (optind != argc) {
		usage(stderr);
		return cli_usage(err, NULL);
	}
	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	struct spore_err e = {0};
	if (spore_reap_pass(xc, xs, NULL, NULL, &e) < 0)
		log_warn("list: cleaning up: %s", e.msg);
	if ((r = spore_guest_list(xs, &g, &n, err)) < 0 ||
	    (r = spore_domain_snapshot(xc, &doms, &ndoms, err)) < 0) {
		spore_err_wrap(err, "list");
		goto out;
	}
	qsort(g, n, sizeof(*g), by_created);

	int64_t now = (int64_t)time(NULL);
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		printf("%-12s  %-20s  %-24s  %-28s  %-16s  %-15s  %-27s  %-24s  %s\n", "ID", "NAME",
		       "IMAGE", "STATUS", "CREATED", "IPV4", "IPV6", "PORTS", "MOUNTS");
	for (size_t i = 0; i < n; i++) {
		guest_settle(&g[i], doms, ndoms, now);
		if (!all && strcmp(g[i].state, "running"))
			continue;
		char status[96], created[48], ago[40], ports[1200], mounts[sizeof(g[i].mounts)];
		spore_guest_status(&g[i], now, status, sizeof(status));
		if (json) {
			json_array_append_new(arr, guest_json(&g[i], status));
			continue;
		}
		spore_human_duration(now - g[i].created, ago, sizeof(ago));
		snprintf(created, sizeof(created), "%s ago", ago);
		ports_human(g[i].ports, ports, sizeof(ports));
		mounts_human(g[i].mounts, mounts, sizeof(mounts));
		char id[37], name[sizeof(g[i].name)], image[sizeof(g[i].image)];
		char ipv4[sizeof(g[i].ipv4)], ipv6[sizeof(g[i].ipv6)], ports_s[sizeof(ports)];
		char mounts_s[sizeof(mounts)];
		printf("%-12.12s  %-20s  %-24s  %-28s  %-16s  %-15s  %-27s  %-24s  %s\n",
		       shown(g[i].uuid, id, sizeof(id)), shown(g[i].name, name, sizeof(name)),
		       g[i].image[0] ? shown(g[i].image, image, sizeof(image)) : "-", status,
		       created, g[i].ipv4[0] ? shown(g[i].ipv4, ipv4, sizeof(ipv4)) : "-",
		       g[i].ipv6[0] ? shown(g[i].ipv6, ipv6, sizeof(ipv6)) : "-",
		       ports[0] ? shown(ports, ports_s, sizeof(ports_s)) : "-",
		       mounts[0] ? shown(mounts, mounts_s, sizeof(mounts_s)) : "-");
	}
	if (json) {
		/* ASCII only: jansson escapes C0 controls but would print C1
		 * ones (U+0080..U+009F) as they are. */
		char *s = json_dumps(arr, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		json_decref(arr);
		if (!s) {
			r = spore_err_set(err, ENOMEM, "list: formatting JSON");
			goto out;
		}
		printf("%s\n", s);
		free(s);
	}
	r = 0;
out:
	free(g);
	free(doms);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}
