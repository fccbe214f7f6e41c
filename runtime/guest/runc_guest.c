/* A spore-runc container's guest (runc_guest.h). */
#include "runc_guest.h"

#include "assets.h"
#include "cpio.h"
#include "file_read.h"
#include "guest_status.h"
#include "guest_teardown.h"
#include "hypercall.h"
#include "pipeline.h"
#include <spore/bundle.h>
#include <spore/guest_record.h>
#include <spore/log.h>
#include <spore/xenstore.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct payload {
	const struct spore_oci_spec *spec;
	const char *initrd;
	int notify_fd;
};

/* The launch bundle from config.json, in sporeinit's initrd as launch
 * puts it there; gated. */
static int runc_initrd(void *arg, const struct spore_guest *rec, const struct spore_net_plan *plan,
		       uint8_t **out, size_t *outlen, struct spore_err *err)
{
	const struct payload *p = arg;
	const struct spore_oci_spec *s = p->spec;
	struct spore_bundle *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return spore_err_set(err, ENOMEM, "launch bundle");
	spore_bundle_init(b);
	for (size_t i = 0; i < s->argc && i < SPORE_BUNDLE_MAX_ARGS; i++)
		b->argv[b->argc++] = s->argv[i];
	for (size_t i = 0; i < s->envc && i < SPORE_BUNDLE_MAX_ENV; i++)
		b->envp[b->envc++] = s->envp[i];
	b->user = s->user;
	b->workdir = s->cwd;
	b->hostname = s->hostname ? s->hostname : rec->name;
	b->image_dev = SPORE_BUNDLE_IMAGE_DEV;
	b->read_only = s->root_readonly;
	b->start_gate = true;
	/* With a terminal its input is the container's (the pty's slave is
	 * the host process's stdin); without, stdin is /dev/null. */
	b->tty = s->terminal;
	b->stdin_open = s->terminal;
	if (plan)
		spore_net_plan_bundle(plan, b);
	r = spore_initrd_with_bundle(p->initrd, b, out, outlen, err);
	free(b);
	return r;
}

static void running(void *arg, const struct spore_guest *rec)
{
	struct payload *p = arg;
	char line[64];
	int n = snprintf(line, sizeof(line), "OK %s\n", rec->uuid);

	if (write(p->notify_fd, line, (size_t)n) != n)
		log_warn("telling create the guest runs: %s", strerror(errno));
	close(p->notify_fd);
	p->notify_fd = -1;
}

int runc_guest_run(const struct spore_oci_spec *spec, const char *image, int notify_fd,
		   bool *notified, struct spore_err *err)
{
	char kernel[PATH_MAX], initrd[PATH_MAX];
	struct payload p = {.spec = spec, .initrd = initrd, .notify_fd = notify_fd};
	struct spore_launch_result res;
	int r;

	*notified = false;
	if (spore_asset_kernel(kernel, sizeof(kernel)) < 0)
		return spore_err_setx(err, ENOENT, "no guest kernel found (build it with kernel/build.sh, or set $SPORE_KERNEL)");
	if (spore_asset_initrd(initrd, sizeof(initrd)) < 0)
		return spore_err_setx(err, ENOENT, "sporeinit's initrd not found (set $SPORE_INITRD)");
	struct spore_launch_spec ls = {
		.kernel = kernel, .image = spec->root_path,
		.cmdline = "console=hvc0 quiet spore.nowait_devices",
		.memory_mib = spec->memory_mib, .vcpus = spec->vcpus, .cpu_cap = spec->cpu_cap,
		.disks = {image}, .ndisks = 1, .loop_step = "loop-image",
		.network = true,
		.initrd_name = initrd, .make_initrd = runc_initrd, .arg = &p,
		.attach = true, .rm = true, .running = running, .no_escape = true,
	};
	r = spore_launch_run(&ls, &res, err);
	*notified = p.notify_fd < 0;
	if (r < 0)
		return r;
	if (res.end != SPORE_LAUNCH_STOPPED)
		return 137; /* cannot happen: no terminal to detach from */
	r = spore_exit_code(res.exit_status);
	/* No status: destroyed (kill 9, delete --force) or died: as SIGKILL. */
	return r < 0 ? 137 : r;
}

/* The guest's record and its domain's path. */
static int domain_path(struct spore_xs *xs, const char *uuid, const char *node, char *path,
		       size_t n, struct spore_err *err)
{
	struct spore_guest g;
	int r;

	if ((r = spore_guest_read(xs, uuid, &g, err)) < 0)
		return r;
	if (g.domid < 0)
		return spore_err_setx(err, ESRCH, "guest %s has no domain", uuid);
	snprintf(path, n, "/local/domain/%" PRId64 "/%s", g.domid, node);
	return 0;
}

static int write_node(const char *uuid, const char *node, const char *val, struct spore_err *err)
{
	struct spore_xs *xs = NULL;
	char path[128];
	int r;

	if ((r = spore_xs_open(&xs, err)) >= 0 &&
	    (r = domain_path(xs, uuid, node, path, sizeof(path), err)) >= 0)
		r = spore_xs_write_str(xs, 0, path, val, err);
	spore_xs_close(xs);
	return r;
}

int runc_guest_release(const char *uuid, struct spore_err *err)
{
	return write_node(uuid, SPORE_START_GATE_NODE, "1", err);
}

/* Done once the guest's sporeinit started the workload (it writes
 * data/spore/state "running" after its watch on control/shutdown is set),
 * or its domain is gone. What the guest wrote is only compared. */
static int workload_started(struct spore_xs *xs, void *arg, struct spore_err *err)
{
	const char *dom = arg;
	char path[160], *v = NULL;
	size_t n = 0;
	int r;

	snprintf(path, sizeof(path), "%s/data/spore/state", dom);
	if ((r = spore_xs_read(xs, 0, path, &v, &n, err)) == 0) {
		r = n == 7 && !memcmp(v, "running", 7);
		free(v);
		return r;
	}
	if (r != -ENOENT)
		return r;
	spore_err_clear(err);
	if ((r = spore_xs_read(xs, 0, dom, &v, NULL, err)) == -ENOENT) {
		spore_err_clear(err);
		return 1;
	}
	free(v);
	return r < 0 ? r : 0;
}

int runc_guest_stop(const char *uuid, struct spore_err *err)
{
	struct spore_xs *xs = NULL;
	char dom[128], path[160];
	int r;

	if ((r = spore_xs_open(&xs, err)) < 0 || (r = domain_path(xs, uuid, "", dom, sizeof(dom), err)) < 0)
		goto out;
	dom[strlen(dom) - 1] = 0; /* domain_path's trailing '/' */
	/* sporeinit sees the writes to control/shutdown made after its watch
	 * is set; one made while the guest boots is taken by the guest's
	 * kernel unseen (ctr task kill right after start did that). So the
	 * request waits, bounded, for the workload to run. */
	snprintf(path, sizeof(path), "%s/data/spore/state", dom);
	r = spore_xs_wait(xs, path, RUNC_STOP_WAIT_MS, workload_started, dom, err);
	if (r == -ETIMEDOUT) {
		log_warn("guest %s: its workload not reported running after %d s: asking it to stop anyway",
			 uuid, RUNC_STOP_WAIT_MS / 1000);
		spore_err_clear(err);
	} else if (r < 0) {
		goto out;
	}
	/* A domain gone meanwhile gets no node of ours (a write would make
	 * one): as far as the caller knows, it no longer runs. */
	char *v = NULL;
	if ((r = spore_xs_read(xs, 0, dom, &v, NULL, err)) < 0)
		goto out;
	free(v);
	snprintf(path, sizeof(path), "%s/control/shutdown", dom);
	r = spore_xs_write_str(xs, 0, path, "poweroff", err);
out:
	spore_xs_close(xs);
	return r;
}

int runc_guest_destroy(const char *uuid, struct spore_err *err)
{
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct spore_guest g;
	int r;

	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	if ((r = spore_guest_read(xs, uuid, &g, err)) < 0) {
		if (r == -ENOENT) {
			spore_err_clear(err);
			r = 0;
		}
		goto out;
	}
	if ((r = spore_guest_teardown(xc, xs, &g, err)) >= 0)
		r = spore_guest_remove(xs, uuid, err);
out:
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}
