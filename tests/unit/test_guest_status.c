#include "guest_status.h"

#include <string.h>

#include "tap.h"

static const char *dur(int64_t s)
{
	static char b[64];
	spore_human_duration(s, b, sizeof(b));
	return b;
}

static const char *status(const char *state, const char *exit_status, int64_t created,
			  int64_t exited, int64_t now)
{
	static char b[128];
	struct spore_guest g;
	memset(&g, 0, sizeof(g));
	strcpy(g.state, state);
	strcpy(g.exit_status, exit_status);
	g.created = created;
	g.exited = exited;
	spore_guest_status(&g, now, b, sizeof(b));
	return b;
}

int main(void)
{
	is_str(dur(0), "Less than a second", "0 s");
	is_str(dur(-5), "Less than a second", "clock skew counts as 0");
	is_str(dur(1), "1 second", "1 s");
	is_str(dur(5), "5 seconds", "5 s");
	is_str(dur(59), "59 seconds", "59 s");
	is_str(dur(60), "About a minute", "60 s");
	is_str(dur(119), "About a minute", "119 s");
	is_str(dur(120), "2 minutes", "120 s");
	is_str(dur(3599), "59 minutes", "just under an hour");
	is_str(dur(3600), "About an hour", "1 h");
	is_str(dur(5399), "About an hour", "1.5 h rounds down");
	is_str(dur(5400), "2 hours", "1.5 h rounds up");
	is_str(dur(47 * 3600), "47 hours", "47 h");
	is_str(dur(48 * 3600), "2 days", "48 h");
	is_str(dur(13 * 86400), "13 days", "13 days");
	is_str(dur(14 * 86400), "2 weeks", "14 days");
	is_str(dur(60 * 86400), "2 months", "60 days");
	is_str(dur(800 * 86400), "2 years", "800 days");

	/* The strict parser of sporeinit's reports (guest-written). */
	is_int(spore_exit_code("exited 0"), 0, "exited 0");
	is_int(spore_exit_code("exited 3"), 3, "exited 3");
	is_int(spore_exit_code("exited 255"), 255, "exited 255");
	is_int(spore_exit_code("signaled 1"), 129, "signaled 1 is 128+1");
	is_int(spore_exit_code("signaled 9"), 137, "signaled 9 is 128+9");
	is_int(spore_exit_code("signaled 64"), 192, "signaled 64 (SIGRTMAX)");
	is_int(spore_exit_code("poweroff"), -1, "poweroff is no report");
	is_int(spore_exit_code("error"), -1, "error has no number");
	is_int(spore_exit_code("crash"), -1, "crash has no number");
	is_int(spore_exit_code(""), -1, "empty");
	is_int(spore_exit_code("exited"), -1, "no number");
	is_int(spore_exit_code("exited "), -1, "empty number");
	is_int(spore_exit_code("exited x"), -1, "garbage");
	is_int(spore_exit_code("exited 3x"), -1, "trailing garbage");
	is_int(spore_exit_code("exited 3 "), -1, "trailing space");
	is_int(spore_exit_code("exited  3"), -1, "two spaces (strtol would skip one)");
	is_int(spore_exit_code("exited +3"), -1, "a sign");
	is_int(spore_exit_code("exited -0"), -1, "minus zero");
	is_int(spore_exit_code("exited 03"), -1, "a leading zero");
	is_int(spore_exit_code("exited 256"), -1, "above 255");
	is_int(spore_exit_code("exited 300"), -1, "out of range");
	is_int(spore_exit_code("exited 99999999999999999999"), -1, "overflowing");
	is_int(spore_exit_code("exited 3\x1b[2J"), -1, "an escape sequence after the number");
	is_int(spore_exit_code("Exited 3"), -1, "case matters");
	is_int(spore_exit_code("signaled 0"), -1, "no signal 0");
	is_int(spore_exit_code("signaled 65"), -1, "above the last signal");
	is_int(spore_exit_code("signaled 127"), -1, "no signal 127");
	is_int(spore_exit_code("signaled 9\n"), -1, "a newline");

	ok(spore_exit_status_reported("exited 0"), "sporeinit reports exited N");
	ok(spore_exit_status_reported("signaled 15"), "sporeinit reports signaled N");
	ok(spore_exit_status_reported("error"), "sporeinit reports error");
	ok(!spore_exit_status_reported("poweroff"), "poweroff is Xen's word, not a report");
	ok(!spore_exit_status_reported("invalid"), "invalid is ours, not a report");
	ok(!spore_exit_status_reported(""), "empty is no report");
	ok(!spore_exit_status_reported("exited 1\x1b]0;pwned\a"), "escape bytes are no report");

	ok(spore_exit_status_valid(""), "a record may have no status");
	ok(spore_exit_status_valid("exited 1"), "a record may hold a report");
	ok(spore_exit_status_valid("error"), "a record may hold error");
	ok(spore_exit_status_valid("invalid"), "a record may hold invalid");
	const char *reasons[] = {"poweroff", "reboot", "suspend", "crash", "watchdog", "shutdown"};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		ok(spore_exit_status_valid(reasons[i]), "a record may hold Xen's %s", reasons[i]);
	ok(!spore_exit_status_valid("\x1b[31mred"), "an escape sequence is not valid");
	ok(!spore_exit_status_valid("exited 1 "), "a near miss is not valid");
	is_str(spore_exit_status_shown("\x1b[2Jexited 0"), "invalid", "an invalid status is shown as invalid");
	is_str(spore_exit_status_shown("crash"), "crash", "a valid status is shown as it is");

	is_int(spore_guest_exit_code("exited 3"), 3, "list shows exited 3 as 3");
	is_int(spore_guest_exit_code("poweroff"), 0, "list shows poweroff as 0");
	is_int(spore_guest_exit_code("crash"), -1, "list shows no code for crash");

	is_str(status("running", "", 1000, 0, 1005), "Up 5 seconds", "running");
	is_str(status("exited", "exited 3", 1000, 1010, 1012), "Exited (3) 2 seconds ago",
	       "exited with a code");
	is_str(status("exited", "signaled 15", 1000, 1010, 1011), "Exited (143) 1 second ago",
	       "killed by a signal");
	is_str(status("exited", "crash", 1000, 1010, 1100), "Exited (crash) About a minute ago",
	       "crashed");
	is_str(status("exited", "", 1000, 0, 1100), "Exited", "exit unknown");
	is_str(status("exited", "poweroff", 1000, 1010, 1012), "Exited (0) 2 seconds ago",
	       "powered off");
	is_str(status("exited", "exited 1\x1b[2J", 1000, 1010, 1012),
	       "Exited (invalid) 2 seconds ago", "an older record's guest bytes are not shown");
	is_str(status("building", "", 1000, 0, 1100), "Created", "building");
	return tap_done();
}
