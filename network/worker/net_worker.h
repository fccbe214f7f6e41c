/* A sporenet worker: the unprivileged process that runs one guest's stack.
 *
 * It receives NET_MSG_ATTACH (configuration, filter, ids, packet socket) on
 * ipc, creates the libslirp stack (publishing ports while still root), enters
 * the sandbox, answers NET_MSG_READY, then loops: guest frames are parsed,
 * filtered and checksum-completed before libslirp sees them; counters go to
 * the parent as NET_MSG_STATS about once a second. */
#ifndef SPORE_NET_WORKER_H
#define SPORE_NET_WORKER_H

#include <sys/types.h>

/* The worker's exit status when its guest broke the netif ring protocol
 * (userspace vifs): the parent disconnects the guest instead of restarting
 * the worker. */
#define NET_WORKER_EXIT_GUEST 4

/* Never returns; exits 0 when the parent closes ipc. */
__attribute__((noreturn)) void net_worker_main(int ipc, pid_t parent);

#endif
