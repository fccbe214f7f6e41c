/* sporectl top's pure parts (container/proctable.c). */
#include "proctable.h"

#include <string.h>

#include "tap.h"

int main(void)
{
	struct proc_stat ps;
	char buf[64];
	const char *l = "123 (sh) S 1 123 123 34816 123 4194560 100 0 0 0 250 50 0 0 "
			"20 0 1 0 4200 "
			"1000 100 18446744073709551615 1 1 0 0 0 0 0 0 65536 0 0 0 "
			"17 0 0 0 0 0 0\n";

	is_int(proc_stat_parse(l, strlen(l), &ps), 0, "a stat line parses");
	ok(ps.pid == 123 && ps.ppid == 1 && ps.state == 'S' && ps.tty_nr == 34816,
	   "pid, ppid, state, tty");
	ok(ps.utime == 250 && ps.stime == 50 && ps.starttime == 4200, "utime, stime, starttime");
	is_str(ps.comm, "sh", "comm");

	/* A name with spaces and ") S 99 (" of its own: the last ')' counts. */
	const char *evil = "77 (a) S 99 (b c)) R 5 77 77 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 9 0 0\n";
	is_int(proc_stat_parse(evil, strlen(evil), &ps), 0, "a name with ') S 99 (' parses");
	ok(ps.pid == 77 && ps.ppid == 5 && ps.state == 'R' && ps.utime == 1 && ps.stime == 2 &&
		   ps.starttime == 9,
	   "and the fields after the last ')' are used");
	is_str(ps.comm, "a) S 99 (b c)", "the whole name is comm");
	const char *esc = "5 (\x1b]0;x\x07) S 1 1 1 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 9\n";
	is_int(proc_stat_parse(esc, strlen(esc), &ps), 0, "a name with escapes parses");
	is_str(ps.comm, "?]0;x?", "and its control bytes are '?'");
	is_int(proc_stat_parse("12 (x) S 1", 10, &ps), -1, "a short line is refused");
	const char *np = "x (y) S 1 1 1 0 0 0 0 0 0 0 1 1 0 0 0 0 1 0 1";
	is_int(proc_stat_parse(np, strlen(np), &ps), -1, "a line without a pid is refused");
	const char *nc = "12 x S 1 1 1 0 0 0 0 0 0 0 1 1 0 0 0 0 1 0 1";
	is_int(proc_stat_parse(nc, strlen(nc), &ps), -1, "a line without ')' is refused");
	is_int(proc_stat_parse("", 0, &ps), -1, "an empty line is refused");

	proc_tty_name(34816, buf, sizeof(buf)); /* 136:0 */
	is_str(buf, "pts/0", "136:0 is pts/0");
	proc_tty_name((137u << 8) | 3, buf, sizeof(buf));
	is_str(buf, "pts/259", "137:3 is pts/259");
	proc_tty_name((229u << 8) | 0, buf, sizeof(buf));
	is_str(buf, "hvc0", "229:0 is hvc0");
	proc_tty_name((136u << 8) | (1u << 20), buf, sizeof(buf)); /* minor 256 */
	is_str(buf, "pts/256", "a minor above 255 (bits 20-31)");
	proc_tty_name(0, buf, sizeof(buf));
	is_str(buf, "?", "no terminal is ?");

	proc_cpu_time(0, buf, sizeof(buf));
	is_str(buf, "00:00:00", "0 s");
	proc_cpu_time(3723, buf, sizeof(buf));
	is_str(buf, "01:02:03", "3723 s");
	proc_cpu_time(90061, buf, sizeof(buf));
	is_str(buf, "1-01:01:01", "past a day");

	char cmd[] = "sh\0-c\0echo \x1b]52;c;x\x07\0\0";
	size_t n = proc_cmdline_clean(cmd, sizeof(cmd) - 1);
	cmd[n] = '\0';
	is_str(cmd, "sh -c echo ?]52;c;x?", "arguments joined, control bytes made '?'");
	char hi[] = "caf\xc3\xa9";
	n = proc_cmdline_clean(hi, sizeof(hi) - 1);
	is_str(hi, "caf??", "bytes beyond ASCII are '?' too");
	return tap_done();
}
