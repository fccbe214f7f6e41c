/* One libslirp instance and its poll/timer integration, for one guest.
 * libslirp is not thread-safe: one stack per worker process. */
#ifndef SPORE_NET_STACK_H
#define SPORE_NET_STACK_H

#include "net_config.h"
#include <spore/err.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct net_stack;

/* Called with each frame libslirp sends to the guest. */
typedef void (*net_stack_output_fn)(const void *frame, size_t len, void *opaque);

/* Creates the stack for an attachment and publishes its ports (binding the
 * dom0 listening sockets, so call it before dropping privileges when a port
 * is below 1024). */
int net_stack_new(struct net_stack **sp, const struct net_attach *a, net_stack_output_fn out,
		  void *opaque, struct spore_err *err);
void net_stack_free(struct net_stack *s);

/* Hands a (filtered, checksum-complete) guest frame to libslirp. */
void net_stack_input(struct net_stack *s, const uint8_t *frame, size_t len);

/* The timerfd that becomes readable when a libslirp timer is due. */
int net_stack_timer_fd(const struct net_stack *s);
/* Runs the due timers (after the timer fd polled readable). */
void net_stack_run_timers(struct net_stack *s);

/* Appends libslirp's sockets to *fds (growing it; *n is updated from base)
 * and lowers *timeout_ms to what libslirp needs. */
int net_stack_poll_fill(struct net_stack *s, struct pollfd **fds, size_t *cap, size_t *n,
			int *timeout_ms);
/* Lets libslirp handle the results of poll() on the entries it added. */
void net_stack_poll_dispatch(struct net_stack *s, const struct pollfd *fds, size_t n,
			     int poll_failed);

#endif
