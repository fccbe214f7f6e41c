/* The pure parts of `sporectl top`'s process table (top.c): a
 * /proc/PID/stat line, a terminal's name, a CPU time, a command line. */
#ifndef SPOREINIT_PROCTABLE_H
#define SPOREINIT_PROCTABLE_H

#include <stddef.h>

struct proc_stat {
	int pid, ppid;
	char comm[17]; /* the task's name, printable (ps shows [comm] without a command line) */
	char state;
	unsigned tty_nr;
	unsigned long long utime, stime, starttime; /* clock ticks */
};

/* Parses /proc/PID/stat's n bytes (the command name may hold spaces and
 * parentheses: the fields follow its last ')'). 0, or -1 if malformed. */
int proc_stat_parse(const char *line, size_t n, struct proc_stat *ps);
/* tty_nr as ps names it: "pts/N", "hvcN", "ttyN", "?" for none or unknown. */
void proc_tty_name(unsigned tty_nr, char *buf, size_t n);
/* Seconds as ps's TIME: "HH:MM:SS", "D-HH:MM:SS" past a day. */
void proc_cpu_time(unsigned long long secs, char *buf, size_t n);
/* /proc/PID/cmdline's n bytes as one printable line, in place: NULs
 * between arguments become spaces, the trailing ones go, any byte outside
 * printable ASCII becomes '?'. Returns the new length. */
size_t proc_cmdline_clean(char *cmd, size_t n);

#endif
