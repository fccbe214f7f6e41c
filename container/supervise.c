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
	while (!done) {
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = xfd, .events = POLLIN}};
		int timeout = -1;

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
			} else {
				timeout = (int)left;
			}
		}
		if (poll(p, p[1].fd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
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
