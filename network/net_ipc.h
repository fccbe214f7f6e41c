/* Typed, fixed-size messages between sporenet's privileged parent, its
 * workers and `sporenet status`, over SOCK_SEQPACKET sockets. Every message
 * type has exactly one size; a received message of another size, a
 * truncated one or an unexpected file descriptor is refused. */
#ifndef SPORE_NET_IPC_H
#define SPORE_NET_IPC_H

#include "net_config.h"
#include "net_filter.h"
#include "net_frame.h"
#include <spore/err.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum net_msg_type {
	NET_MSG_ATTACH = 1, /* parent -> worker, with the packet socket (none: userspace) */
	NET_MSG_READY,      /* worker -> parent: stack up, sandbox entered */
	NET_MSG_STATS,      /* worker -> parent, about once a second */
	NET_MSG_STATUS_REQ, /* status client -> parent */
	NET_MSG_STATUS,     /* parent -> status client, one per attachment */
	NET_MSG_STATUS_END, /* parent -> status client */
	NET_MSG_DOM0_ADDRS, /* parent -> worker: dom0's addresses changed */
	NET_MSG_TYPE_MAX,
};

struct net_msg_hdr {
	uint32_t type;
	uint32_t size; /* of the whole message, header included */
};

struct net_msg_attach {
	struct net_msg_hdr hdr;
	struct net_attach attach;
	struct net_filter filter;
	uint32_t uid, gid; /* the worker drops to these */
	uint32_t use_syslog;
	struct net_rings rings; /* attach.userspace: the rings to serve (no fd) */
};

struct net_msg_ready {
	struct net_msg_hdr hdr;
};

struct net_stats {
	uint64_t rx_frames, rx_bytes;   /* from the guest */
	uint64_t tx_frames, tx_bytes;   /* to the guest */
	uint64_t tx_dropped;            /* guest not ready (EAGAIN) */
	uint64_t csum_fixed;            /* partial checksums completed */
	uint64_t drops[NET_VERDICT_COUNT];
};

struct net_msg_stats {
	struct net_msg_hdr hdr;
	struct net_stats stats;
};

struct net_msg_status_req {
	struct net_msg_hdr hdr;
};

enum net_worker_state {
	NET_WORKER_STARTING = 0,
	NET_WORKER_RUNNING,
	NET_WORKER_RESTARTING,
	NET_WORKER_NO_IFACE, /* a discovered guest whose interface is gone */
	NET_WORKER_INVALID,  /* a guest record that does not parse: why says */
};

struct net_msg_status {
	struct net_msg_hdr hdr;
	struct net_attach attach;
	int32_t pid;
	uint32_t state;    /* enum net_worker_state */
	uint32_t restarts;
	uint32_t discovered; /* from a guest record, not --attach */
	struct net_stats stats;
	char why[256]; /* NET_WORKER_INVALID: the record's problem */
};

struct net_msg_dom0_addrs {
	struct net_msg_hdr hdr;
	uint32_t n4, n6; /* at most NET_FILTER_MAX_DOM0 each */
	struct in_addr a4[NET_FILTER_MAX_DOM0];
	struct in6_addr a6[NET_FILTER_MAX_DOM0];
};

struct net_msg_status_end {
	struct net_msg_hdr hdr;
	uint32_t count;
};

/* The one valid size of a message type, or 0 for an unknown type. */
size_t net_msg_size(uint32_t type);
/* Fills in the header of msg (whose size must be net_msg_size(type)). */
void net_msg_init(void *msg, uint32_t type);

/* Sends one message, with fd attached unless it is -1. */
int net_msg_send(int sock, const void *msg, int fd, struct spore_err *err);
/* Receives one message into buf (at least size bytes, which must hold the
 * largest message). Returns its type, 0 on orderly shutdown, or a negative
 * errno: -EBADMSG for a bad size, type or truncation, -EAGAIN if nothing is
 * pending on a non-blocking socket. A passed fd lands in *fd if fd is not
 * NULL (else -1 there); fds are refused (and closed) when fd is NULL. */
int net_msg_recv(int sock, void *buf, size_t size, int *fd, struct spore_err *err);
/* The parent's side of a worker's channel: as net_msg_recv() without an
 * fd, but only NET_MSG_READY and NET_MSG_STATS are valid (a worker parses
 * guest frames, so it may be compromised); any other type is -EBADMSG too,
 * and the parent then kills the worker. */
int net_msg_recv_from_worker(int sock, void *buf, size_t size, struct spore_err *err);

/* Size of a buffer large enough for any message. */
#define NET_MSG_MAX_SIZE sizeof(union { \
	struct net_msg_attach a;        \
	struct net_msg_status s;        \
	struct net_msg_stats st;        \
	struct net_msg_dom0_addrs d;    \
})

#endif
