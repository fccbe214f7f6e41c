/* The launch pipeline; see pipeline.h. */
#include "pipeline.h"

#include "assets.h"
#include "chan.h"
#include "console_attach.h"
#include "guest_name.h"
#include "guest_record_new.h"
#include "guest_teardown.h"
#include "launch_report.h"
#include "loopdev.h"
#include "pv_builder.h"
#include "step_hook.h"
#include "uuid.h"
#include "vbd.h"
#include "vif.h"
#include "xs_skeleton.h"
#include <spore/clock.h>
#include <spore/log.h>
#include <spore/svc_proto.h>
#include <spore/vif_backend.h>

#include <xen/sched.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct launch {
	const struct spore_launch_spec *spec;
	struct spore_xc *xc;
	struct spore_xs *xs;
	uint8_t uuid[16];
	struct spore_guest rec;
	bool rec_written;
	struct spore_net_plan plan;
	uint8_t *initrd; /* made by make_initrd */
	struct spore_loop loops[SPORE_LAUNCH_MAX_DISKS + SPORE_LAUNCH_MAX_VOLUMES];
	struct pv_build build;
	struct spore_vif vif;
	int svc; /* attached: the connection to spored */
};

/* The record, as "building" with this process as owner, before anything is
 * allocated: a sporectl killed at any later point leaves a record the reaper
 * cleans up from (the UUID is the domain's handle and the loops' tag). With
 * the network, the planned addresses go in this first write: the record's
 * claims make them unique. */
static int record_building(struct launch *l, struct spore_err *err)
{
	const struct spore_launch_spec *s = l->spec;
	struct spore_guest *g = &l->rec;
	int r;

	if (s->again) {
		/* The same guest again: its UUID (domain handle, loops' tag,
		 * claims) and name are its own already. */
		struct spore_guest *now = malloc(sizeof(*now));
		if (!now)
			return spore_err_set(err, ENOMEM, "start");
		/* Another start (spored's, a user's) may have begun since it
		 * was read: only an exited guest is started. Not atomic with
		 * the write below; it narrows the window to one round trip. */
		r = spore_guest_read(l->xs, s->again->uuid, now, err);
		if (r >= 0 && strcmp(now->state, "exited"))
			r = spore_err_setx(err, EALREADY, "guest '%s' is %s already", now->name,
					   now->state);
		free(now);
		if (r < 0)
			return r;
		if (spore_uuid_parse(s->again->uuid, l->uuid) < 0)
			return spore_err_setx(err, EINVAL, "guest record '%s' has a bad UUID",
					      s->again->uuid);
		snprintf(g->name, sizeof(g->name), "%s", s->again->name);
		g->restart_count = s->by_policy ? s->again->restart_count + 1 : 0;
		g->backoff_ms = s->by_policy ? s->again->backoff_ms : 0;
	} else if ((r = spore_uuid_generate(l->uuid, err)) < 0 ||
		   (r = guest_name_pick(l->xs, s->name, g->name, sizeof(g->name), err)) < 0) {
		return r;
	}
	spore_uuid_format(l->uuid, g->uuid);
	snprintf(g->image, sizeof(g->image), "%s", s->image ? s->image : "");
	if ((size_t)snprintf(g->kernel, sizeof(g->kernel), "%s", s->kernel) >= sizeof(g->kernel))
		g->kernel[0] = '\0'; /* informational only */
	snprintf(g->state, sizeof(g->state), "building");
	g->domid = -1;
	g->created = s->again ? s->again->created : time(NULL);
	g->started = time(NULL);
	snprintf(g->config, sizeof(g->config), "%s", s->config ? s->config : "");
	snprintf(g->restart, sizeof(g->restart), "%s", s->restart ? s->restart : "");
	g->memory_mib = s->memory_mib;
	g->vcpus = s->vcpus;
	g->owner_pid = getpid();
	if (s->network) {
		snprintf(g->ports, sizeof(g->ports), "%s", s->ports ? s->ports : "");
		g->allow_dom0 = s->allow_dom0;
		snprintf(g->net_backend, sizeof(g->net_backend), "%s",
			 s->net_userspace ? SPORE_NET_BACKEND_USERSPACE : SPORE_NET_BACKEND_KERNEL);
	}
	for (size_t i = 0, at = 0; i < s->nvolumes; i++) {
		if (!s->volumes[i].name)
			continue; /* the root's disk: nobody else's to claim */
		int n = snprintf(g->volumes + at, sizeof(g->volumes) - at, "%s%s%s", at ? " " : "",
				 s->volumes[i].name, s->volumes[i].ro ? ":ro" : "");
		if (n < 0 || (size_t)n >= sizeof(g->volumes) - at)
			return spore_err_setx(err, E2BIG, "too many volumes for the guest record");
		at += (size_t)n;
	}
	snprintf(g->mounts, sizeof(g->mounts), "%s", s->mounts ? s->mounts : "");
	snprintf(g->anonymous, sizeof(g->anonymous), "%s", s->anonymous ? s->anonymous : "");
	spore_step("record");
	if ((r = spore_guest_record_new(l->xs, g, l->uuid, s->network ? &l->plan : NULL, err)) < 0) {
		/* A volume in use is the whole story; the name would only add
		 * one the user never gave. */
		return r == -EBUSY ? r : spore_err_wrap(err, "recording guest '%s'", g->name);
	}
	l->rec_written = true;
	return 0;
}

void spore_launch_volume_dev(const struct spore_launch_spec *spec, size_t i, char *out, size_t n)
{
	snprintf(out, n, "xvd%c", (char)('a' + spec->ndisks + i));
}

static void add_loop(struct spore_guest *rec, const struct spore_loop *lo)
{
	size_t at = strlen(rec->loops), len = strnlen(lo->path, sizeof(lo->path));

	/* A list that does not fit loses its tail: the teardown finds
	 * devices by their tag anyway. */
	if (at + len + 2 <= sizeof(rec->loops))
		snprintf(rec->loops + at, sizeof(rec->loops) - at, "%s%s", at ? " " : "", lo->path);
}

/* Loop devices, tagged with the UUID: the disks read-only, the volumes
 * read-write unless ro. The teardown finds them by the tag, whether or not
 * the record got to list them. They are listed with the "running" write (a
 * round trip less before the unpause). */
static int attach_disks(struct launch *l, struct spore_err *err)
{
	const struct spore_launch_spec *s = l->spec;
	char tag[64];
	int r;

	snprintf(tag, sizeof(tag), SPORE_LOOP_TAG_FMT, l->rec.uuid);
	for (size_t i = 0; i < s->ndisks; i++) {
		spore_step(s->loop_step ? s->loop_step : "loop-disk");
		if ((r = spore_loop_attach(s->disks[i], tag, &l->loops[i], err)) < 0)
			return r;
		add_loop(&l->rec, &l->loops[i]);
	}
	for (size_t i = 0; i < s->nvolumes; i++) {
		const struct spore_launch_volume *v = &s->volumes[i];
		struct spore_loop *lo = &l->loops[s->ndisks + i];

		spore_step("loop-volume");
		r = v->ro ? spore_loop_attach(v->file, tag, lo, err)
			  : spore_loop_attach_rw(v->file, tag, lo, err);
		if (r < 0)
			return v->name ? spore_err_wrap(err, "volume '%s'", v->name)
				       : spore_err_wrap(err, "root disk");
		add_loop(&l->rec, lo);
	}
	return 0;
}

static int write_nodes_tx(struct spore_xs *xs, uint32_t tx, void *arg, struct spore_err *err)
{
	return spore_xs_write_nodes(xs, tx, arg, err);
}

/* The disks', the volumes', the vif's and the channel's nodes in one transaction: each
 * backend sees its device whole, for one round of xenstore trips. */
static int add_devices(struct launch *l, struct spore_err *err)
{
	const struct spore_launch_spec *s = l->spec;
	struct xs_node_list nodes = {0};
	int r = s->network && !s->net_userspace ? spore_vif_backend_check(err) : 0;

	for (size_t i = 0; i < s->ndisks && r >= 0; i++) {
		struct spore_vbd v = {.domid = l->build.domid, .index = (unsigned)i,
				      .rdev = l->loops[i].rdev, .params = l->loops[i].path,
				      .readonly = true};
		r = spore_vbd_nodes(&nodes, &v, err);
	}
	for (size_t i = 0; i < s->nvolumes && r >= 0; i++) {
		const struct spore_loop *lo = &l->loops[s->ndisks + i];
		struct spore_vbd v = {.domid = l->build.domid, .index = (unsigned)(s->ndisks + i),
				      .rdev = lo->rdev, .params = lo->path,
				      .readonly = s->volumes[i].ro};
		r = spore_vbd_nodes(&nodes, &v, err);
	}
	if (r >= 0 && s->network)
		r = spore_vif_nodes(&nodes, &l->vif, err);
	/* The control channel (sporectl exec), with or without a network. */
	if (r >= 0)
		r = spore_chan_nodes(&nodes, l->build.domid, err);
	if (r >= 0 && nodes.n)
		r = spore_xs_transact(l->xs, write_nodes_tx, &nodes, err);
	xs_node_list_free(&nodes);
	return r;
}

static int look_vif(struct spore_xs *xs, void *arg, struct spore_err *err)
{
	return spore_vif_check_up(xs, arg, err);
}

/* Attaches to the console through spored (attached) and waits for
 * netback's interface to be up (with the network). The guest already
 * runs: its netfront waits for netback by itself, and spored logs the
 * guest's first output, which the attach gets first as history (everything
 * this new guest wrote: it is all in its log). */
static int wait_console_and_vif(struct launch *l, struct spore_err *err)
{
	enum { LAUNCH_HISTORY = 1 << 20 };
	char vif_path[128];
	struct spore_xs_wait w[1];
	size_t n = 0;
	int64_t t0 = spore_now_ms();

	/* This domain's output only: a start's guest has earlier runs' in
	 * the same log. */
	if (l->spec->attach &&
	    (l->svc = console_connect(l->rec.uuid, LAUNCH_HISTORY | SPORE_SVC_HISTORY_DOMAIN, err)) < 0)
		return l->svc;
	spore_vif_state_path(&l->vif, vif_path, sizeof(vif_path));
	/* A userspace vif has no dom0 interface: sporenet serves the rings. */
	if (l->spec->network && !l->spec->net_userspace)
		w[n++] = (struct spore_xs_wait){.path = vif_path,
						.timeout_ms = SPORE_VIF_TIMEOUT_MS,
						.look = look_vif,
						.arg = &l->vif};
	if (!n)
		return 0;
	int r = spore_xs_wait_all(l->xs, w, n, err);
	if (r == -ETIMEDOUT)
		r = spore_vif_timeout(err, &l->vif, SPORE_VIF_TIMEOUT_MS);
	else if (r == 0)
		log_debug("launch: console and vif ready %lld ms after the unpause",
			  (long long)(spore_now_ms() - t0));
	return r;
}

/* Everything up to a running guest with a "running" record. */
static int start(struct launch *l, struct spore_err *err)
{
	const struct spore_launch_spec *s = l->spec;
	const uint8_t *initrd = s->initrd;
	size_t initrd_len = s->initrd_len;
	int r;

	if (s->ndisks > SPORE_LAUNCH_MAX_DISKS || s->nvolumes > SPORE_LAUNCH_MAX_VOLUMES ||
	    s->ndisks + s->nvolumes > 16)
		return spore_err_setx(err, E2BIG, "at most 16 disks and volumes (blkfront's xvda..xvdp)");
	if ((r = spore_xc_open(&l->xc, err)) < 0 || (r = spore_xs_open(&l->xs, err)) < 0 ||
	    (r = record_building(l, err)) < 0)
		return r;
	/* Detached, nobody else would notice: the guest's console (and the
	 * guest, once its ring is full) waits for spored. Attached, the
	 * attach fails with the reason. */
	if (!s->attach && !console_spored_answers())
		log_warn("spored does not answer on %s: the guest's console output waits for it "
			 "(and so does the guest once its console ring is full), and nothing "
			 "frees the guest when it stops", SPORE_SVC_SOCK);
	if (s->recorded && (r = s->recorded(s->arg, err)) < 0)
		return r;
	if (s->make_initrd) {
		spore_step("bundle");
		if ((r = s->make_initrd(s->arg, &l->rec, s->network ? &l->plan : NULL, &l->initrd,
					&initrd_len, err)) < 0)
			return r;
		initrd = l->initrd;
	}
	if ((r = attach_disks(l, err)) < 0)
		return r;
	struct pv_build_config cfg = {
		.kernel = s->kernel, .initrd = initrd, .initrd_len = initrd_len,
		.initrd_name = s->initrd_name, .cmdline = s->cmdline, .name = l->rec.name,
		.memory_mib = s->memory_mib, .vcpus = s->vcpus, .cpu_cap = s->cpu_cap,
		.kernel_cache = spore_kernel_cache_dir(), .uuid = l->uuid,
	};
	if ((r = pv_build_run(&l->build, l->xc, l->xs, &cfg, err)) < 0)
		return r;
	l->vif = (struct spore_vif){.domid = l->build.domid, .mac = l->rec.mac, .mtu = l->rec.mtu,
				    .userspace = s->net_userspace};
	spore_step("vbd");
	spore_step("vif");
	if ((r = add_devices(l, err)) < 0)
		return r;
	spore_step("unpause");
	if ((r = pv_build_unpause(&l->build, err)) < 0)
		return r;
	log_unpaused(l->build.domid);
	spore_step("console");
	spore_step("vif-up");
	if ((r = wait_console_and_vif(l, err)) < 0)
		return r;
	/* "running" only once the guest runs: a launch killed before this
	 * leaves a "building" record, which the reaper removes with all it
	 * finds (a paused or just unpaused domain included). Attached, this
	 * process owns the guest (the reaper leaves it alone until we exit);
	 * detached, the reaper frees it when it stops. The loops and the vif
	 * come in the same write, the vif once it is up: sporenet attaches
	 * when it sees it. */
	l->rec.domid = l->build.domid;
	snprintf(l->rec.state, sizeof(l->rec.state), "running");
	/* How long it ran, for the restart back-off, counts from here. */
	l->rec.started = time(NULL);
	l->rec.owner_pid = s->attach ? getpid() : 0;
	if (s->network)
		spore_vif_ifname(&l->vif, l->rec.vif);
	spore_step("record-running");
	return spore_guest_write(l->xs, &l->rec, err);
}

/* Frees what the launch made, through the teardown the reaper and `destroy`
 * share (it keeps the exit status sporeinit left, finds the domain by its
 * UUID and the loops by their tag). The record stays, exited, unless
 * failed or rm. */
static void teardown(struct launch *l, bool failed)
{
	struct spore_err e = {0};

	if (!l->rec_written) {
		pv_build_abort(&l->build);
		return;
	}
	if (spore_guest_teardown(l->xc, l->xs, &l->rec, &e) < 0) {
		log_warn("cleaning up guest %s: %s", l->rec.name, e.msg);
		pv_build_abort(&l->build); /* at least the domain, by its domid */
	}
	struct spore_guest now;
	if (spore_guest_read(l->xs, l->rec.uuid, &now, &e) >= 0)
		l->rec = now;
	/* A failed start leaves the guest as it was: exited. */
	if ((failed && !l->spec->again) || l->spec->rm)
		spore_guest_remove(l->xs, l->rec.uuid, &e);
}

/* Relays the console until Ctrl+] or the guest stops; a stopped guest is
 * torn down here. */
static int attach(struct launch *l, struct spore_launch_result *res, struct spore_err *err)
{
	char reported[sizeof(res->exit_status)] = "";
	unsigned reason = 0;

	/* The exit status must be read before the domain (and its xenstore
	 * directory) goes: console_attach takes it when written. */
	int r = console_attach(l->xc, l->xs, l->build.domid, l->rec.uuid, &l->svc, l->spec->no_escape, &reason, reported,
			       sizeof(reported), err);
	if (r < 0)
		return r;
	if (r == ATTACH_DETACHED) {
		res->end = SPORE_LAUNCH_DETACHED;
		return 0;
	}
	teardown(l, false);
	res->end = SPORE_LAUNCH_STOPPED;
	res->crashed = r == ATTACH_SHUTDOWN && reason == SHUTDOWN_crash;
	/* The record's status, or (a destroy from elsewhere removed the
	 * record) what the guest reported. */
	snprintf(res->exit_status, sizeof(res->exit_status), "%s",
		 l->rec.exit_status[0] ? l->rec.exit_status : reported);
	return 0;
}

int spore_launch_run(const struct spore_launch_spec *spec, struct spore_launch_result *res,
		     struct spore_err *err)
{
	struct launch *l = calloc(1, sizeof(*l));
	int r;

	memset(res, 0, sizeof(*res));
	if (!l)
		return spore_err_set(err, ENOMEM, "launch");
	l->spec = spec;
	l->svc = -1;
	r = start(l, err);
	/* The launch ends here, attached or not: its times go to spored. */
	spore_launch_report(r < 0);
	snprintf(res->uuid, sizeof(res->uuid), "%s", l->rec.uuid);
	snprintf(res->name, sizeof(res->name), "%s", l->rec.name);
	if (r >= 0 && spec->running)
		spec->running(spec->arg, &l->rec);
	if (r >= 0 && spec->attach)
		r = attach(l, res, err);
	else if (r >= 0)
		res->end = SPORE_LAUNCH_STARTED;
	if (r < 0)
		teardown(l, true);
	if (l->svc >= 0)
		close(l->svc);
	free(l->initrd);
	pv_build_free(&l->build);
	spore_xs_close(l->xs);
	spore_xc_close(l->xc);
	free(l);
	return r;
}
