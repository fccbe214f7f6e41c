/* spore's own record of each guest, in xenstore under /spore/guests/<uuid>/
 * (dom0-only permissions), so `list`, `destroy`, the reaper and sporenet
 * read the same truth. Records outlive the domain: an exited guest stays
 * listed with its exit status until the user removes it. */
#ifndef SPORE_GUEST_RECORD_H
#define SPORE_GUEST_RECORD_H

#include <spore/err.h>
#include <spore/xenstore.h>

#include <stddef.h>
#include <stdint.h>

#define SPORE_XS_GUESTS "/spore/guests"

/* The record's keys, all string values, defined here only: sporectl writes
 * and reads them (guest_record.c), sporenet reads the network's. */
#define SPORE_REC_NAME "name"
#define SPORE_REC_DOMID "domid" /* -1 once the domain is gone */
#define SPORE_REC_IMAGE "image"
#define SPORE_REC_DIGEST "digest"
#define SPORE_REC_CREATED "created" /* unix seconds */
#define SPORE_REC_EXITED "exited"   /* unix seconds */
#define SPORE_REC_STATE "state"     /* "building", "running", "exited" */
/* "exited N" or "signaled N" as sporeinit reports, or "poweroff"/"crash" */
#define SPORE_REC_EXIT_STATUS "exit-status"
#define SPORE_REC_LOOPS "loops" /* space-separated loop device paths */
#define SPORE_REC_KERNEL "kernel"
#define SPORE_REC_MEMORY "memory" /* MiB */
#define SPORE_REC_VCPUS "vcpus"
#define SPORE_REC_IPV4 "ipv4"
#define SPORE_REC_IPV6 "ipv6"
#define SPORE_REC_MAC "mac"
#define SPORE_REC_OWNER_PID "owner-pid" /* the sporectl building it, for crash cleanup */
#define SPORE_REC_GATEWAY4 "gateway4"
#define SPORE_REC_DNS4 "dns4"
#define SPORE_REC_GATEWAY6 "gateway6"
#define SPORE_REC_DNS6 "dns6"
#define SPORE_REC_MTU "mtu"
#define SPORE_REC_PORTS "ports"
#define SPORE_REC_ALLOW_DOM0 "allow-dom0"
#define SPORE_REC_VIF "vif" /* the dom0 interface, set once it is up */
#define SPORE_REC_NET_BACKEND "net-backend" /* "kernel" (netback) or "userspace" (sporenet) */
/* The managed volumes attached, space-separated NAME or NAME:ro; a volume
 * listed by a guest that has not exited is in use (controller/volume/). */
#define SPORE_REC_VOLUMES "volumes"
/* What the container has mounted, for list (informational): entries
 * TYPE\tSOURCE\tTARGET\tro|rw separated by '\n', TYPE root (SOURCE disk or
 * tmpfs, TARGET /), volume (SOURCE its name), bind (SOURCE the host path,
 * a snapshot) or tmpfs; no field holds a control character. Whole entries
 * that do not fit are left out. */
#define SPORE_REC_MOUNTS "mounts"
/* The anonymous volumes made for the image's VOLUMEs (also in volumes),
 * space-separated names: removed with the record (rm, destroy, the reaper,
 * launch --rm). */
#define SPORE_REC_ANONYMOUS "anonymous"
/* What `start` needs to launch the guest again as it was (a launch's
 * options, canonical: spore_launch_config_encode); empty for guests that
 * cannot be started again (boot, spore-runc, a configuration too long). */
#define SPORE_REC_CONFIG "config"
/* The restart policy (docker's --restart: "no", "on-failure", "on-failure:N",
 * "always", "unless-stopped"; empty: no), how many times spored restarted
 * the guest since its last manual start, "stopped" 1 once `stop` or
 * `destroy` asked it to stop (a policy never undoes that; `start` clears
 * it), "started" when its launch (or start) wrote the record as building,
 * then as running (unix seconds: the owner's pid is judged against it,
 * created being the first launch's; the back-off's 10 s count from it),
 * and spored's
 * back-off: the delay of the pending restart and when it is due (unix ms),
 * kept here so that a restarted spored keeps them. */
#define SPORE_REC_RESTART "restart"
#define SPORE_REC_RESTART_COUNT "restart-count"
#define SPORE_REC_STOPPED "stopped"
#define SPORE_REC_STARTED "started"
#define SPORE_REC_BACKOFF_MS "backoff-ms"
#define SPORE_REC_RESTART_AT "restart-at"
/* Unique record values (name, ipv4 without its prefix length, mac) are
 * claimed (with '.' and ':', which xenstore paths cannot hold, as '@') at
 * SPORE_XS_CLAIMS/<key>/<value> = uuid by spore_guest_write and released by
 * spore_guest_remove: a second record with a claimed value is refused. Each
 * volume listed is claimed at SPORE_XS_CLAIMS/volume/<name> the same way,
 * but only until the guest exits (spore_guest_volumes_release). */
#define SPORE_XS_CLAIMS "/spore/claims"

struct spore_guest {
	char uuid[37];
	char name[65];
	int64_t domid; /* -1 when the domain is gone */
	char image[512];
	char digest[80];
	int64_t created, exited; /* unix seconds, 0 = unset */
	char state[16];
	char exit_status[32];
	char loops[256];
	char kernel[256];
	uint64_t memory_mib;
	uint32_t vcpus;
	char ipv4[64], ipv6[64], mac[24];
	int64_t owner_pid;
	/* The network (README "Networking"; empty strings and 0 without one):
	 * gateways and DNS addresses, ports as "HOSTIP:HOSTPORT:GUESTPORT/tcp"
	 * separated by spaces, and vif, the dom0 interface, set last once it
	 * is up (sporenet attaches to records that have it). */
	char gateway4[16], dns4[16], gateway6[48], dns6[48];
	uint32_t mtu, allow_dom0;
	char ports[1040];
	char vif[24];
	char net_backend[16]; /* SPORE_NET_BACKEND_*; empty: kernel */
	char volumes[1100]; /* SPORE_BUNDLE_MAX_VOLUMES entries of a 64-byte name + ":ro" */
	char mounts[3072];  /* SPORE_REC_MOUNTS; below xenstore's 4 KiB value */
	char anonymous[1100]; /* SPORE_REC_ANONYMOUS */
	char config[3584];    /* SPORE_REC_CONFIG; below xenstore's 4 KiB message */
	char restart[24];     /* SPORE_REC_RESTART */
	uint32_t restart_count, stopped, backoff_ms;
	int64_t started, restart_at;
};

/* Writes every field and claims the unique ones (one transaction); -EEXIST
 * with a message if another guest holds the name or address, -EBUSY if a
 * guest that has not exited holds one of its volumes (nothing is written
 * then). */
int spore_guest_write(struct spore_xs *xs, const struct spore_guest *g, struct spore_err *err);
/* Sets one key of an existing record (in a transaction that checks it
 * exists: -ENOENT, nothing written, for a record removed). */
int spore_guest_set(struct spore_xs *xs, const char *uuid, const char *key, const char *value,
		    struct spore_err *err);
/* -ENOENT if there is no such record. */
int spore_guest_read(struct spore_xs *xs, const char *uuid, struct spore_guest *g,
		     struct spore_err *err);
/* The records of the n guests uuids names, in one pipelined batch: res[i]
 * is 0 with out[i] filled, or -ENOENT if there is no such record. */
int spore_guest_read_many(struct spore_xs *xs, char *const *uuids, size_t n,
			  struct spore_guest *out, int *res, struct spore_err *err);
/* All records, malloc'd array (free()). */
int spore_guest_list(struct spore_xs *xs, struct spore_guest **out, size_t *n,
		     struct spore_err *err);
/* Drops, in transaction tx, the claims guest uuid holds on the volumes list
 * names (SPORE_REC_VOLUMES's format): the teardown's, as the record becomes
 * exited, so that the next launch may attach them. */
int spore_guest_volumes_release(struct spore_xs *xs, uint32_t tx, const char *uuid,
				const char *volumes, struct spore_err *err);
/* Removes the record and the claims it holds. */
int spore_guest_remove(struct spore_xs *xs, const char *uuid, struct spore_err *err);
/* The uuid (n >= 37) of the guest holding value for key ("name", "ipv4"):
 * one xenstore read; -ENOENT if nobody does. */
int spore_guest_claim_owner(struct spore_xs *xs, const char *key, const char *value, char *uuid,
			    size_t n, struct spore_err *err);
/* Finds the one guest id names: full UUID, unique UUID prefix, name, or
 * domid. -ENOENT if none, -EEXIST (ambiguous prefix) with a message naming
 * the id. */
int spore_guest_resolve(struct spore_xs *xs, const char *id, struct spore_guest *g,
			struct spore_err *err);
/* Pure: picks from list (n entries) as spore_guest_resolve does; returns the
 * index, -ENOENT or -EEXIST. */
int spore_guest_match(const struct spore_guest *list, size_t n, const char *id);

#endif
