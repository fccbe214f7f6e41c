/* subreaper REPORT CMD [ARG...]: runs CMD as a child subreaper, as
 * containerd's shim and conmon do, so processes CMD leaves behind (a
 * runtime's container process) are re-parented here; writes one line
 * "PID STATUS" per reaped process to REPORT (STATUS: the exit code, or
 * 128+N for signal N) and exits when none is left (the e2e test of
 * spore-runc waits for its container's exit status with it). */
#include <errno.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	FILE *report;
	pid_t pid;
	int status;

	if (argc < 3) {
		fprintf(stderr, "Usage: subreaper REPORT CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || !(report = fopen(argv[1], "we"))) {
		perror("subreaper");
		return 1;
	}
	if ((pid = fork()) == 0) {
		fclose(report);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	while ((pid = wait(&status)) > 0 || errno == EINTR) {
		if (pid <= 0)
			continue;
		fprintf(report, "%d %d\n", (int)pid,
			WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
		fflush(report);
	}
	fclose(report);
	return 0;
}
