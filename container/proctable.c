/* See proctable.h. */
#include "proctable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int proc_stat_parse(const char *line, size_t n, struct proc_stat *ps)
{
	char buf[1024];
	const char *open, *close;
	int pid, ppid;
	char state;
	unsigned tty;
	unsigned long long ut, st, start;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	/* The name is the task's own choice: only its last ')' is ours. */
	if (!(close = strrchr(buf, ')')) || !(open = strchr(buf, '(')) || open > close ||
	    sscanf(buf, "%d (", &pid) != 1 || pid <= 0)
		return -1;
	/* Fields 3..22: state ppid pgrp session tty_nr tpgid flags minflt
	 * cminflt majflt cmajflt utime stime cutime cstime priority nice
	 * num_threads itrealvalue starttime. */
	if (sscanf(close + 1,
		   " %c %d %*s %*s %u %*s %*s %*s %*s %*s %*s %llu %llu %*s %*s %*s "
		   "%*s %*s %*s %llu",
		   &state, &ppid, &tty, &ut, &st, &start) != 6 ||
	    ppid < 0)
		return -1;
	*ps = (struct proc_stat){.pid = pid,
				 .ppid = ppid,
				 .state = state,
				 .tty_nr = tty,
				 .utime = ut,
				 .stime = st,
				 .starttime = start};
	size_t cn = (size_t)(close - open - 1);
	if (cn > sizeof(ps->comm) - 1)
		cn = sizeof(ps->comm) - 1;
	memcpy(ps->comm, open + 1, cn);
	proc_cmdline_clean(ps->comm, cn);
	ps->comm[cn] = '\0';
	return 0;
}

void proc_tty_name(unsigned tty_nr, char *buf, size_t n)
{
	/* Linux's encoding (new_encode_dev): major in bits 8-19, minor in
	 * bits 0-7 and 20-31. */
	unsigned major = (tty_nr >> 8) & 0xfff,
		 minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);

	if (major >= 136 && major <= 143)
		snprintf(buf, n, "pts/%u", (major - 136) * 256 + minor);
	else if (major == 229)
		snprintf(buf, n, "hvc%u", minor);
	else if (major == 4 && minor < 64)
		snprintf(buf, n, "tty%u", minor);
	else
		snprintf(buf, n, "?");
}

void proc_cpu_time(unsigned long long secs, char *buf, size_t n)
{
	unsigned long long d = secs / 86400, h = secs / 3600 % 24, m = secs / 60 % 60,
			   s = secs % 60;
	if (d)
		snprintf(buf, n, "%llu-%02llu:%02llu:%02llu", d, h, m, s);
	else
		snprintf(buf, n, "%02llu:%02llu:%02llu", h, m, s);
}

size_t proc_cmdline_clean(char *cmd, size_t n)
{
	while (n && cmd[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cmd[i];
		if (c == '\0')
			cmd[i] = ' ';
		else if (c < 0x20 || c > 0x7e)
			cmd[i] = '?';
	}
	return n;
}
