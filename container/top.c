/* `sporectl top`: the guest's processes as `ps -ef` shows them (docker
 * top's default), written by a child of sporeinit from /proc, so an image
 * without ps has a table too. Kernel threads are left out. Names come from
 * the container's /etc/passwd; everything a process chose (its command
 * line) is made printable before it leaves the guest, and spored's client
 * filters it again (the guest is not trusted). */
#include "init.h"
#include "proctable.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD_MAX 4096

/* Reads a small /proc file whole; its length, or -1. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1, r;
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < cap && (r = read(fd, buf + got, cap - got)) > 0)
		got += (size_t)r;
	if (r >= 0 || got)
		n = (ssize_t)got;
	close(fd);
	return n;
}

static long uid_of(int pid)
{
	char path[64], buf[2048], *u;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((n = slurp(path, buf, sizeof(buf) - 1)) < 0)
		return -1;
	buf[n] = '\0';
	if (!(u = strstr(buf, "\nUid:")))
		return -1;
	return strtol(u + 5, NULL, 10);
}

static unsigned long long boot_time(void)
{
	char buf[4096], *b;
	ssize_t n = slurp("/proc/stat", buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return (b = strstr(buf, "\nbtime ")) ? strtoull(b + 7, NULL, 10) : 0;
}

static double uptime(void)
{
	char buf[64];
	ssize_t n = slurp("/proc/uptime", buf, sizeof(buf) - 1);

	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strtod(buf, NULL);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

static void row(FILE *f, const struct proc_stat *ps, long hz, unsigned long long btime, double up)
{
	char path[64], cmd[CMD_MAX + 1], user[32], tty[16], cpu[32], stime[8];
	long uid = uid_of(ps->pid);
	struct passwd *pw = uid >= 0 ? getpwuid((uid_t)uid) : NULL;
	ssize_t n;

	/* A name is the image's: printable and short, or the number. */
	if (pw && strlen(pw->pw_name) < 9 && printable(pw->pw_name))
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%ld", uid);
	unsigned long long cpu_ticks = ps->utime + ps->stime;
	double age = up - (double)ps->starttime / (double)hz;
	int c = age > 0 ? (int)((double)cpu_ticks / (double)hz * 100.0 / age) : 0;
	time_t start = (time_t)(btime + ps->starttime / (unsigned long long)hz);
	struct tm tm;
	gmtime_r(&start, &tm);
	strftime(stime, sizeof(stime), "%H:%M", &tm);
	proc_tty_name(ps->tty_nr, tty, sizeof(tty));
	proc_cpu_time(cpu_ticks / (unsigned long long)hz, cpu, sizeof(cpu));
	snprintf(path, sizeof(path), "/proc/%d/cmdline", ps->pid);
	n = slurp(path, cmd, CMD_MAX);
	n = n > 0 ? (ssize_t)proc_cmdline_clean(cmd, (size_t)n) : 0;
	cmd[n] = '\0';
	if (!n)
		snprintf(cmd, sizeof(cmd), "[%s]", ps->comm);
	fprintf(f, "%-8s %6d %6d %2d %5s %-8s %8s %s\n", user, ps->pid, ps->ppid, c > 99 ? 99 : c,
		stime, tty, cpu, cmd);
}

int top_write(int out, int err)
{
	FILE *f = fdopen(out, "w");
	DIR *d = opendir("/proc");
	struct dirent *e;
	long hz = sysconf(_SC_CLK_TCK);
	unsigned long long btime = boot_time();
	double up = uptime();
	int self = (int)getpid(), r = 0;

	if (!f || !d || hz <= 0) {
		dprintf(err, "sporeinit: top: cannot read /proc\n");
		return -1;
	}
	fprintf(f, "%-8s %6s %6s %2s %5s %-8s %8s %s\n", "UID", "PID", "PPID", "C", "STIME", "TTY",
		"TIME", "CMD");
	while ((e = readdir(d))) {
		char path[64], buf[1024];
		struct proc_stat ps;
		ssize_t n;
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		/* Gone meanwhile, or not parseable: not in the table. */
		if ((n = slurp(path, buf, sizeof(buf) - 1)) <= 0 ||
		    proc_stat_parse(buf, (size_t)n, &ps))
			continue;
		/* Kernel threads: kthreadd (2) and its children. */
		if (ps.pid == 2 || ps.ppid == 2)
			continue;
		row(f, &ps, hz, btime, up);
	}
	closedir(d);
	if (fclose(f) != 0)
		r = -1;
	return r;
}
