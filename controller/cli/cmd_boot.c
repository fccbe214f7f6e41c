/* sporectl boot: a bare PV guest from a kernel file (no image; read-only
 * disks with --disk, a network device with --net), with its console served
 * by xenconsoled. */
#include "domctl.h"
#include "file_read.h"
#include <spore/guest_record.h>
#include "guest_teardown.h"
#include <spore/log.h>
#include "loopdev.h"
#include "guest_record_new.h"
#include "pv_builder.h"
#include "step_hook.h"
#include "vbd.h"
#include "vif.h"
#include <spore/xenstore.h>

#include <xen/sched.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_util.h"
#include "commands.h"
#include "console_attach.h"
#include "assets.h"
#include "guest_name.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporectl boot KERNEL [OPTIONS]\n"
		"\n"
		"Boot a bare x86_64 PV guest from KERNEL (ELF vmlinux or bzImage, compressed\n"
		"with gzip, xz, lzma, lz4, zstd or bzip2).\n"
		"\n"
		"Options:\n"
		"  --initrd FILE      Initial ramdisk\n"
		"  --cmdline STR      Kernel command line (at most 1023 bytes;\n"
		"                     default: console=hvc0)\n"
		"  -m, --memory MIB   Memory (default 128)\n"
		"  --vcpus N          Virtual CPUs (default 1)\n"
		"  --name NAME        Guest name (default: spore-XXXXXXXX)\n"
		"  --disk FILE        A read-only disk (xvda, then xvdb, ...; repeatable, up\n"
		"                     to 8), e.g. a squashfs image\n"
		"  --net              A network device (eth0 in the guest, vif<domid>.0 in\n"
		"                     dom0) with planned addresses, as launch gives (the\n"
		"                     guest configures them itself: `sporectl list` shows them)\n"
		"  -a, --attach       Attach to the console; Ctrl+] detaches; exits when the\n"
		"                     guest shuts down (and destroys it)\n"
		"  -h, --help         Show this help\n"
		"\n"
		"Without --attach, prints the guest's UUID and name and returns.\n");
}

/* The record goes in before the domain exists, as "building" with this
 * process as owner: if sporectl dies at any step, the reaper (or the next
 * list/destroy) finds the owner gone and frees whatever exists by then. */
static int record_building(struct spore_xs *xs, const struct pv_build_config *cfg,
			   const uint8_t uuid[16], struct spore_net_plan *plan,
			   struct spore_guest *out, struct spore_err *err)
{
	struct spore_guest g = {.domid = -1, .created = (int64_t)time(NULL), .state = "building",
				.memory_mib = cfg->memory_mib, .vcpus = cfg->vcpus,
				.owner_pid = getpid()};
	spore_uuid_format(uuid, g.uuid);
	snprintf(g.name, sizeof(g.name), "%s", cfg->name);
	snprintf(g.kernel, sizeof(g.kernel), "%s", cfg->kernel);
	int r = spore_guest_record_new(xs, &g, uuid, plan, err);
	*out = g;
	return r;
}

#define MAX_DISKS 8

/* Read-only loop devices for the disks, tagged with the guest's UUID (the
 * teardown finds them by it) and listed in the record. */
static int attach_disks(struct spore_xs *xs, const char *uuid, const char *const *files,
			size_t n, struct spore_loop *loops, struct spore_err *err)
{
	char tag[64], list[256] = "";
	int r;

	snprintf(tag, sizeof(tag), SPORE_LOOP_TAG_FMT, uuid);
	for (size_t i = 0; i < n; i++) {
		spore_step("loop-disk");
		if ((r = spore_loop_attach(files[i], tag, &loops[i], err)) < 0)
			return r;
		size_t at = strlen(list), len = strnlen(loops[i].path, 31);
		if (at + len + 2 <= sizeof(list)) { /* 8 paths of at most 31 bytes fit */
			if (at)
				list[at++] = ' ';
			memcpy(list + at, loops[i].path, len);
			list[at + len] = '\0';
		}
	}
	return n ? spore_guest_set(xs, uuid, "loops", list, err) : 0;
}

static int add_disks(struct spore_xs *xs, const struct pv_build *b,
		     const struct spore_loop *loops, size_t n, struct spore_err *err)
{
	struct spore_vbd v[MAX_DISKS];
	for (size_t i = 0; i < n; i++)
		v[i] = (struct spore_vbd){.domid = b->domid, .index = (unsigned)i, .rdev = loops[i].rdev,
					  .params = loops[i].path, .readonly = true};
	spore_step("vbd");
	return n ? spore_vbd_add(xs, v, n, err) : 0;
}

/* The vif, up, and the record's vif key last (sporenet's cue). */
static int add_vif(struct spore_xs *xs, const struct pv_build *b, const struct spore_guest *g,
		   struct spore_err *err)
{
	struct spore_vif vif = {.domid = b->domid, .mac = g->mac, .mtu = g->mtu};
	char name[IFNAMSIZ];
	int r;

	spore_step("vif");
	if ((r = spore_vif_add(xs, &vif, err)) < 0)
		return r;
	spore_step("vif-up");
	spore_vif_ifname(&vif, name);
	if ((r = spore_vif_wait_up(xs, &vif, SPORE_VIF_TIMEOUT_MS, err)) < 0)
		return r;
	return spore_guest_set(xs, b->uuid_str, "vif", name, err);
}

static int record_running(struct spore_xs *xs, const struct pv_build *b, struct spore_err *err)
{
	char domid[16];
	snprintf(domid, sizeof(domid), "%" PRIu32, b->domid);
	int r = spore_guest_set(xs, b->uuid_str, "domid", domid, err);
	return r < 0 ? r : spore_guest_set(xs, b->uuid_str, "state", "running", err);
}

/* Frees the guest (domain, nodes) and keeps its record as exited. */
static void finish(struct spore_xc *xc, struct spore_xs *xs, const struct pv_build *b)
{
	struct spore_guest g;
	struct spore_err e = {0};
	if (spore_guest_read(xs, b->uuid_str, &g, &e) < 0) {
		pv_build_abort((struct pv_build *)b);
		return;
	}
	if (spore_guest_teardown(xc, xs, &g, &e) < 0)
		log_warn("%s", e.msg);
}

/* A launch that failed: nothing of it stays, not even the record. */
static void discard(struct spore_xc *xc, struct spore_xs *xs, struct pv_build *b)
{
	struct spore_err e = {0};
	finish(xc, xs, b);
	pv_build_abort(b);
	spore_guest_remove(xs, b->uuid_str, &e);
}

int cmd_boot(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {
		{"initrd", required_argument, 0, 'i'}, {"cmdline", required_argument, 0, 'c'},
		{"memory", required_argument, 0, 'm'}, {"vcpus", required_argument, 0, 'v'},
		{"name", required_argument, 0, 'n'},   {"attach", no_argument, 0, 'a'},
		{"net", no_argument, 0, 'N'},          {"disk", required_argument, 0, 'D'},
		{"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
	};
	struct pv_build_config cfg = {.memory_mib = 128, .vcpus = 1, .cmdline = "console=hvc0"};
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct pv_build b = {0};
	char name[72];
	bool attach = false, net = false;
	const char *initrd = NULL;
	uint8_t *rd = NULL;
	struct spore_net_plan plan;
	struct spore_guest rec;
	const char *disks[MAX_DISKS];
	struct spore_loop loops[MAX_DISKS];
	size_t ndisks = 0;
	uint64_t v;
	uint8_t uuid[16];
	int c, r, pty = -1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "m:ah", opts, NULL)) != -1) {
		switch (c) {
		case 'i': initrd = optarg; break;
		case 'c': cfg.cmdline = optarg; break;
		case 'm':
			if (cli_parse_u64(optarg, SPORE_MEMORY_MIN_MIB, SPORE_MEMORY_MAX_MIB, &v) < 0)
				return spore_err_setx(err, EINVAL, "boot: --memory '%s' is not %d..%llu MiB", optarg,
						      SPORE_MEMORY_MIN_MIB, SPORE_MEMORY_MAX_MIB);
			cfg.memory_mib = v;
			break;
		case 'v':
			if (cli_parse_u64(optarg, 1, 64, &v) < 0)
				return spore_err_setx(err, EINVAL, "boot: --vcpus '%s' is not 1..64", optarg);
			cfg.vcpus = (uint32_t)v;
			break;
		case 'n': cfg.name = optarg; break;
		case 'a': attach = true; break;
		case 'N': net = true; break;
		case 'D':
			if (ndisks == MAX_DISKS)
				return spore_err_setx(err, E2BIG, "boot: at most %d --disk options", MAX_DISKS);
			disks[ndisks++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	cfg.kernel = argv[optind];
	if (initrd) {
		size_t len = 0;
		if ((r = spore_read_file(initrd, PV_MAX_INITRD, &rd, &len, err)) < 0)
			return spore_err_wrap(err, "initrd");
		cfg.initrd = rd;
		cfg.initrd_len = len;
		cfg.initrd_name = initrd;
	}
	cfg.kernel_cache = spore_kernel_cache_dir();

	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	if ((r = guest_name_pick(xs, cfg.name, name, sizeof(name), err)) < 0)
		goto out;
	cfg.name = name;
	if ((r = spore_uuid_generate(uuid, err)) < 0)
		goto out;
	cfg.uuid = uuid;
	spore_step("record");
	if ((r = record_building(xs, &cfg, uuid, net ? &plan : NULL, &rec, err)) < 0) {
		spore_err_wrap(err, "boot: recording guest '%s'", name);
		goto out;
	}
	if ((r = attach_disks(xs, rec.uuid, disks, ndisks, loops, err)) < 0 ||
	    (r = pv_build_run(&b, xc, xs, &cfg, err)) < 0) {
		/* No domain: the teardown finds the tagged loops. */
		struct spore_err e = {0};
		spore_guest_teardown(xc, xs, &rec, &e);
		spore_guest_remove(xs, rec.uuid, &e);
		goto out;
	}
	if ((r = add_disks(xs, &b, loops, ndisks, err)) < 0) {
		discard(xc, xs, &b);
		goto out;
	}
	if (net && (r = add_vif(xs, &b, &rec, err)) < 0) {
		discard(xc, xs, &b);
		goto out;
	}
	/* The console is open before the guest runs (its pty buffers the first
	 * output), and the record says "running" only once it runs: killed
	 * before, the "building" record makes the reaper free it all. */
	spore_step("console");
	if (attach && (pty = console_open_pty(xs, b.domid, 10000, err)) < 0) {
		r = pty;
		discard(xc, xs, &b);
		goto out;
	}
	spore_step("unpause");
	if ((r = pv_build_unpause(&b, err)) < 0) {
		discard(xc, xs, &b);
		goto out;
	}
	log_unpaused(b.domid);
	spore_step("record-running");
	if ((r = record_running(xs, &b, err)) < 0) {
		discard(xc, xs, &b);
		goto out;
	}
	if (!attach) {
		printf("%s %s\n", b.uuid_str, name);
		r = 0;
		goto out;
	}
	unsigned reason = 0;
	r = console_attach(xc, xs, b.domid, pty, false, &reason, NULL, 0, err);
	if (r == ATTACH_DETACHED) {
		fprintf(stderr, "\r\nsporectl: detached from %s (%s); it keeps running\n", name,
			b.uuid_str);
		r = 0;
	} else if (r == ATTACH_SHUTDOWN || r == ATTACH_GONE) {
		/* The guest is done: free it now rather than leave a zombie; its
		 * record stays, exited, until destroy or rm. */
		finish(xc, xs, &b);
		if (r == ATTACH_SHUTDOWN && reason == SHUTDOWN_crash)
			r = spore_err_setx(err, EIO, "guest %s crashed", name);
		else
			r = 0;
	} else {
		discard(xc, xs, &b);
	}
out:
	if (pty >= 0)
		close(pty);
	pv_build_free(&b);
	free(rd);
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}
