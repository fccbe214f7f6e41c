/* libFuzzer target: arbitrary frames from a guest through sporenet's frame
 * path (parse, destination filter, checksum completion) and into a real
 * libslirp stack, as the worker does.
 *
 * libslirp opens real sockets for the flows it sees, so the target first
 * moves itself into a new, empty network namespace: nothing it sends can
 * leave the process's own loopback-less namespace. */
#include "net_csum.h"
#include "net_filter.h"
#include "net_stack.h"
#include <spore/log.h>

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct net_stack *stack;
static struct net_filter flt;
static struct net_attach att;
static uint8_t frame[65535 + 18];
static struct pollfd *fds;
static size_t cap;

static void discard(const void *f, size_t len, void *opaque)
{
	(void)f;
	(void)len;
	(void)opaque;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct spore_err err = {0};

	if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0) {
		perror("fuzz_net_frame: cannot enter an empty network namespace");
		abort();
	}
	spore_log_set_level(SPORE_LOG_ERROR);
	if (net_attach_parse("vif1.0:10.75.0.15/24:10.75.0.2:52:54:00:12:34:56", &att, &err) < 0 ||
	    net_fwd_parse("8080:80", &att.fwd[0], &err) < 0) {
		fprintf(stderr, "fuzz_net_frame: %s\n", err.msg);
		abort();
	}
	att.n_fwd = 1;
	net_filter_init(&flt, &att);
	/* Publishing binds a listener: fine inside the empty namespace. */
	if (net_stack_new(&stack, &att, discard, NULL, &err) < 0) {
		fprintf(stderr, "fuzz_net_frame: %s\n", err.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_frame f;

	if (size > sizeof(frame))
		return 0;
	memcpy(frame, data, size);
	/* The first byte decides whether the frame counts as checksum-partial;
	 * the filter always runs, as in the worker. */
	if (net_frame_parse(frame, size, &f) == NET_PASS && net_filter_check(&flt, &f) == NET_PASS) {
		if (size && (data[0] & 1))
			net_csum_fix(frame, size, &f);
		net_stack_input(stack, frame, f.l3_off + f.l3_len);
	}
	/* Let libslirp run its sockets and timers, without blocking. */
	size_t n = 0;
	int timeout = 0;
	if (net_stack_poll_fill(stack, &fds, &cap, &n, &timeout) == 0) {
		int r = n ? poll(fds, n, 0) : 0;
		net_stack_poll_dispatch(stack, fds, n, r < 0);
	}
	return 0;
}
