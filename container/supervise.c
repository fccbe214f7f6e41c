/* PID 1 once the container runs: reap every child, forward the polite
 * signals to the container, and turn a stop request from dom0 (any write to
 * control/shutdown after the watch's initial event) into the stop signal
 * (docker's StopSignal; SIGTERM by default), then SIGKILL after the grace
 * period. */
#include "init.h"
#include <spore/clock.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHAN_OPEN_TRIES 20
#define CHAN_OPEN_EVERY_MS 500

int supervise(pid_t child, int stop_signal, unsigned stop_timeout)
{
	sigset_t set;
	int sfd, status = 0;
	bool stopping = false, killed = false, done = false;
	int64_t deadline = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPWR);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		die("signalfd: %s", strerror(errno));

	/* Outside the loop: once xenbus hangs up it stays out of the poll (a
	 * hung-up fd polls ready at once, and PID 1 would spin). */
	int xfd = xb_fd();
	/* The control channel's console is there from boot with spore's
	 * toolstack; a few more looks in case its frontend is late. */
	int chan_tries = 0;
	int64_t chan_next = spore_now_ms();
	while (!done) {
		struct pollfd p[4 + 32] = {{.fd = sfd, .events = POLLIN},
					   {.fd = xfd, .events = POLLIN},
					   {.fd = -1},
					   {.fd = -1}};
		int timeout = -1;

		if (chan_fd() < 0 && chan_tries < CHAN_OPEN_TRIES && spore_now_ms() >= chan_next) {
			int r = chan_open();
			if (r < 0 && ++chan_tries == CHAN_OPEN_TRIES)
				trace("no control channel (%s): no sporectl exec", strerror(-r));
			chan_next = spore_now_ms() + CHAN_OPEN_EVERY_MS;
		}
		if (chan_fd() < 0 && chan_tries < CHAN_OPEN_TRIES)
			timeout = CHAN_OPEN_EVERY_MS;

		/* The first event is the one every new watch fires. */
		if (!stopping && xb_events() >= 2) {
			say("stop requested: signal %d, %u s grace", stop_signal, stop_timeout);
			stopping = true;
			kill(child, stop_signal);
			deadline = spore_now_ms() + (int64_t)stop_timeout * 1000;
		}
		if (stopping && !killed) {
			int64_t left = deadline - spore_now_ms();
			if (left <= 0) {
				kill(-1, SIGKILL);
				killed = true;
			} else if (timeout < 0 || left < timeout) {
				timeout = (int)left;
			}
		}
		/* Sessions first: what they queue (an EXIT) makes the channel
		 * wait for room to write. */
		size_t ne = exec_pollfds(p + 4, 32);
		errout_pollfd(&p[3], &timeout);
		p[2] = (struct pollfd){.fd = chan_fd(), .events = chan_events()};
		/* A closed fd (-1) is skipped by poll. */
		if (poll(p, 4 + ne, timeout) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		exec_polled(p + 4, ne);
		errout_polled(p[3].revents);
		if (p[2].fd >= 0 || chan_events())
			chan_polled(p[2].revents | POLLOUT);
		/* A failed read leaves the stream out of step: drop it too. */
		if (p[1].fd >= 0 && (((p[1].revents & POLLIN) && xb_pump() < 0) ||
				     (p[1].revents & (POLLERR | POLLHUP | POLLNVAL)))) {
			warn("xenbus failed; stop requests will be missed");
			xfd = -1;
		}
		if (!(p[0].revents & POLLIN))
			continue;

		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		switch (si.ssi_signo) {
		case SIGCHLD:
			for (;;) {
				int st;
				pid_t pid = waitpid(-1, &st, WNOHANG);
				if (pid <= 0)
					break;
				if (pid == child) {
					status = st;
					done = true;
				} else {
					exec_reaped(pid, st);
				}
			}
			break;
		case SIGPWR:
			kill(child, SIGTERM);
			break;
		default:
			kill(child, (int)si.ssi_signo);
			break;
		}
	}

	/* Like a container's end: whatever the main process left behind dies. */
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {
	}
	close(sfd);
	return status;
}
