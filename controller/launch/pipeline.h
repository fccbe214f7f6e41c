/* The launch pipeline that `launch` and `boot` share (and later an OCI
 * runtime CLI): what to start is a struct; one function runs
 *
 *   record -> [bundle] -> loop devices (disks, volumes) -> build (paused) -> devices ->
 *   unpause -> console and vif waits -> record "running" -> [attach]
 *
 * with one cleanup path: once the record exists, anything that fails is
 * freed by the teardown the reaper and `destroy` share, and the record goes.
 * The record is written first, as "building" with this process as owner,
 * so a sporectl killed at any step leaves what the reaper (or the next
 * list/destroy) frees. Each step calls spore_step() with its name (README,
 * "Crash safety"; tests/e2e/t/41-kill.sh). A verb keeps its argument
 * parsing and its payload (launch: the image and the bundle in the initrd;
 * boot: kernel, initrd and disk files). */
#ifndef SPORE_PIPELINE_H
#define SPORE_PIPELINE_H

#include "net_plan.h"
#include <spore/err.h>
#include <spore/guest_record.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPORE_LAUNCH_MAX_DISKS 8
/* blkfront names 16 disks (xvda..xvdp); the image takes xvda. */
#define SPORE_LAUNCH_MAX_VOLUMES 15

/* A managed volume to attach (controller/volume/), or (name NULL) a
 * read-write disk of this guest's own, such as its root's upper layer:
 * not listed in the record, not claimed. */
struct spore_launch_volume {
	const char *name; /* as the record lists it; NULL: not listed */
	const char *file; /* its filesystem image */
	bool ro;
};

struct spore_launch_spec {
	const char *name;         /* wanted guest name; NULL: spore-xxxxxxxx */
	const char *kernel;       /* path */
	const char *cmdline;      /* kernel command line, or NULL */
	const char *image;        /* the record's image (informational), or NULL */
	uint64_t memory_mib;      /* SPORE_MEMORY_MIN_MIB..SPORE_MEMORY_MAX_MIB */
	uint32_t vcpus;
	uint16_t cpu_cap;         /* docker's --cpus as percent of one CPU; 0: none */
	/* Read-only disks, xvda first, each on a loop device tagged with the
	 * guest's UUID; loop_step names their step (NULL: "loop-disk"). */
	const char *disks[SPORE_LAUNCH_MAX_DISKS];
	size_t ndisks;
	const char *loop_step;
	/* Managed volumes, after the disks (with launch's one disk: xvdb,
	 * xvdc, ...; spore_launch_volume_dev): listed in the record's first
	 * write, which claims them (a volume another running guest holds
	 * fails the launch before anything exists), then each file on a loop
	 * device tagged like the disks', read-write unless ro, and a vbd in
	 * the disks' transaction. recorded (or NULL) runs once that first
	 * write is done, before any loop device: launch drops the volume
	 * store's lock there and checks dirty volumes, now theirs; its
	 * failure fails the launch. */
	struct spore_launch_volume volumes[SPORE_LAUNCH_MAX_VOLUMES];
	size_t nvolumes;
	/* The record's mounts (SPORE_REC_MOUNTS), informational, and its
	 * anonymous volumes (SPORE_REC_ANONYMOUS), or NULL. */
	const char *mounts, *anonymous;
	int (*recorded)(void *arg, struct spore_err *err);
	/* The network: a vif with addresses planned and claimed in the first
	 * record write; ports (-p, sporenet's format) and allow_dom0 go in
	 * the record for sporenet. */
	bool network;
	const char *ports;
	bool allow_dom0;
	/* The vif served by sporenet itself (--net-backend userspace): no
	 * netback, no dom0 interface to wait for. */
	bool net_userspace;
	/* The initrd: its bytes (borrowed) and the file to name in
	 * /vm/<uuid>/image/ramdisk. With make_initrd, the step "bundle" makes
	 * them once the record exists (the payload may carry the guest's name
	 * and network): *out is malloc'd and freed by the pipeline. */
	const uint8_t *initrd;
	size_t initrd_len;
	const char *initrd_name;
	int (*make_initrd)(void *arg, const struct spore_guest *rec,
			   const struct spore_net_plan *plan, uint8_t **out, size_t *len,
			   struct spore_err *err);
	void *arg;
	/* Attached, this process owns the guest and relays its console until
	 * Ctrl+] or the guest stops; then it tears the guest down, keeping
	 * the record (exited) unless rm. Detached, the reaper frees it when it
	 * stops. */
	bool attach;
	bool rm;
	bool no_escape; /* attached without Ctrl+] to detach (spore-runc's terminal) */
	/* Called once the record says "running", before the attach (or NULL):
	 * spore-runc's create returns there while its host process, the
	 * attached launcher, relays the console on. */
	void (*running)(void *arg, const struct spore_guest *rec);
	/* What `start` needs (SPORE_REC_CONFIG) and the restart policy
	 * (SPORE_REC_RESTART), for the record, or NULL. */
	const char *config, *restart;
	/* `start`: the exited guest to launch again, under its UUID and name
	 * (its record is written afresh; a failure leaves it exited, not
	 * removed), counting one more restart if by_policy (spored's), else
	 * none (a manual start, as docker's). */
	const struct spore_guest *again;
	bool by_policy;
};

enum spore_launch_end {
	SPORE_LAUNCH_STARTED = 1, /* not attached: the guest runs */
	SPORE_LAUNCH_DETACHED,    /* Ctrl+]: the guest runs on */
	SPORE_LAUNCH_STOPPED,     /* the guest stopped and was torn down */
};

struct spore_launch_result {
	enum spore_launch_end end;
	char uuid[37];
	char name[72];
	/* SPORE_LAUNCH_STOPPED: the record's exit-status, else what sporeinit
	 * reported before a destroy from elsewhere removed the record; ""
	 * when neither. crashed: Xen's shutdown reason was crash. */
	char exit_status[sizeof(((struct spore_guest *)0)->exit_status)];
	bool crashed;
};

/* The guest's device name of volume i (n >= 8): "xvdb" for the first with
 * one disk. */
void spore_launch_volume_dev(const struct spore_launch_spec *spec, size_t i, char *out, size_t n);

/* Runs the pipeline. Returns 0 with *res filled, or a negative errno with
 * err set and nothing of the guest left (not even its record). */
int spore_launch_run(const struct spore_launch_spec *spec, struct spore_launch_result *res,
		     struct spore_err *err);

#endif
