/* sporectl reaper: one dom0 service for all guests that frees every guest
 * whose domain shuts down, and every half-built guest whose launch died.
 *
 * It holds no state of its own: each wake-up is one spore_reap_pass() over
 * the records in xenstore. It wakes on @releaseDomain (xenstored fires it
 * when any domain shuts down or dies), on changes under /spore/guests (a
 * launch starting or finishing), and on the exit of any launch that is
 * building a guest (a pidfd per owner: a SIGKILLed sporectl sends no event
 * of its own). A slow timer is only a safety net. */
#include <spore/guest_reap.h>
#include <spore/log.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "commands.h"

#define SAFETY_NET_MS (60 * 1000)
#define MAX_OWNERS    64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: sporectl reaper [--once]\n"
		     "\n"
		     "Run the dom0 service that frees guests that shut down (within a second or\n"
		     "two, whether or not a sporectl is attached) and the remains of launches\n"
		     "that died half-way. One process serves all guests; see README.\n"
		     "\n"
		     "Options:\n"
		     "  --once       One pass, then exit\n"
		     "  -h, --help   Show this help\n");
}

static int pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

/* Takes every queued watch event without waiting. */
static int drain(struct spore_xs *xs, struct spore_err *err)
{
	for (;;) {
		struct spore_xs_event *ev = NULL;
		int r = spore_xs_read_watch(xs, &ev, 0, err);
		free(ev);
		if (r == -EAGAIN) {
			spore_err_clear(err);
			return 0;
		}
		if (r < 0)
			return r;
	}
}

int cmd_reaper(int argc, char **argv, struct spore_err *err)
{
	static const struct option opts[] = {
		{"once", no_argument, 0, 'o'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	struct spore_xc *xc = NULL;
	struct spore_xs *xs = NULL;
	struct pollfd pfd[1 + MAX_OWNERS];
	bool once = false;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': once = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((r = spore_xc_open(&xc, err)) < 0 || (r = spore_xs_open(&xs, err)) < 0)
		goto out;
	/* Watches first, then the startup pass: nothing falls in between. */
	if (!once && ((r = spore_xs_watch(xs, "@releaseDomain", "release", err)) < 0 ||
		      (r = spore_xs_watch(xs, SPORE_XS_GUESTS, "records", err)) < 0)) {
		spore_err_wrap(err, "reaper");
		goto out;
	}
	log_info("reaper: watching @releaseDomain and " SPORE_XS_GUESTS);
	size_t nfd = 1;
	pfd[0] = (struct pollfd){.fd = spore_xs_watch_fd(xs), .events = POLLIN};
	while (!stop) {
		/* Events queued so far are covered by the pass that follows;
		 * later ones wake the poll below. */
		if (!once && (r = drain(xs, err)) < 0)
			break;
		pid_t *owners = NULL;
		size_t nowners = 0;
		struct spore_err e = {0};
		int n = spore_reap_pass(xc, xs, &owners, &nowners, &e);
		if (n < 0)
			log_warn("reaper: %s", e.msg);
		for (size_t i = 1; i < nfd; i++)
			close(pfd[i].fd);
		nfd = 1;
		for (size_t i = 0; i < nowners && nfd < 1 + MAX_OWNERS; i++) {
			int fd = pidfd_open(owners[i]);
			if (fd >= 0)
				pfd[nfd++] = (struct pollfd){.fd = fd, .events = POLLIN};
		}
		free(owners);
		if (once) {
			r = 0;
			break;
		}
		if (poll(pfd, nfd, SAFETY_NET_MS) < 0 && errno != EINTR) {
			r = spore_err_set(err, errno, "reaper: poll");
			break;
		}
		r = 0;
	}
	for (size_t i = 1; i < nfd; i++)
		close(pfd[i].fd);
out:
	spore_xs_close(xs);
	spore_xc_close(xc);
	return r;
}
