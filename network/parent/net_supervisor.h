/* sporenet's privileged parent: opens each guest's packet socket, hands it
 * to a freshly forked worker with SCM_RIGHTS, restarts workers that die,
 * collects their counters and answers `sporenet status` on a control
 * socket. It never parses a guest frame. */
#ifndef SPORE_NET_SUPERVISOR_H
#define SPORE_NET_SUPERVISOR_H

#include "net_config.h"
#include "net_filter.h"
#include <spore/err.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define NET_CONTROL_PATH "/run/sporenet/control"

struct net_supervisor_opts {
	const char *control_path;
	uid_t uid; /* the workers' unprivileged ids */
	gid_t gid;
	bool use_syslog;
	/* Discover guests through their xenstore records (README
	 * "Networking"); without xenstore, only the --attach interfaces are
	 * served, and only when there are some. */
	bool discover;
};

/* Runs until SIGTERM or SIGINT; returns 0 then, or a negative errno. */
int net_supervisor_run(const struct net_attach *attaches, size_t n,
		       const struct net_supervisor_opts *opts, struct spore_err *err);

/* Fills flt's dom0 address table from getifaddrs(). */
int net_dom0_addrs(struct net_filter *flt, struct spore_err *err);

/* A netlink socket that becomes readable when an address is added to or
 * removed from any dom0 interface. */
int net_dom0_watch_open(struct spore_err *err);
/* Reads all pending notifications; returns 1 if any arrived. */
int net_dom0_watch_drain(int fd);

/* A netlink socket that becomes readable when a network interface appears,
 * changes or goes (RTNLGRP_LINK). Drained with net_dom0_watch_drain(). */
int net_link_watch_open(struct spore_err *err);

/* `sporenet status`: prints the attachments known to a running sporenet. */
int net_status_print(const char *control_path, FILE *out, struct spore_err *err);

#endif
