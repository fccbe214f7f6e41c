/* Status wording for `sporectl list`; see guest_status.h. */
#include "guest_status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void spore_human_duration(int64_t s, char *buf, size_t n)
{
	if (s < 0)
		s = 0;
	int64_t minutes = s / 60, hours = (s + 1800) / 3600; /* hours rounded, as docker */

	if (s < 1)
		snprintf(buf, n, "Less than a second");
	else if (s == 1)
		snprintf(buf, n, "1 second");
	else if (s < 60)
		snprintf(buf, n, "%" PRId64 " seconds", s);
	else if (minutes == 1)
		snprintf(buf, n, "About a minute");
	else if (minutes < 60)
		snprintf(buf, n, "%" PRId64 " minutes", minutes);
	else if (hours == 1)
		snprintf(buf, n, "About an hour");
	else if (hours < 48)
		snprintf(buf, n, "%" PRId64 " hours", hours);
	else if (hours < 24 * 7 * 2)
		snprintf(buf, n, "%" PRId64 " days", hours / 24);
	else if (hours < 24 * 30 * 2)
		snprintf(buf, n, "%" PRId64 " weeks", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		snprintf(buf, n, "%" PRId64 " months", hours / 24 / 30);
	else
		snprintf(buf, n, "%" PRId64 " years", hours / 24 / 365);
}

int spore_exit_code(const char *st)
{
	char *end;
	long v;

	if (!strcmp(st, "poweroff"))
		return 0;
	if (!strncmp(st, "exited ", 7)) {
		v = strtol(st + 7, &end, 10);
		return *end || end == st + 7 || v < 0 || v > 255 ? -1 : (int)v;
	}
	if (!strncmp(st, "signaled ", 9)) {
		v = strtol(st + 9, &end, 10);
		return *end || end == st + 9 || v < 1 || v > 127 ? -1 : 128 + (int)v;
	}
	return -1;
}

void spore_guest_status(const struct spore_guest *g, int64_t now, char *buf, size_t n)
{
	char d[40];

	if (!strcmp(g->state, "running")) {
		spore_human_duration(now - g->created, d, sizeof(d));
		snprintf(buf, n, "Up %s", d);
	} else if (!strcmp(g->state, "exited")) {
		int code = spore_exit_code(g->exit_status);
		char what[40];
		if (code >= 0)
			snprintf(what, sizeof(what), " (%d)", code);
		else if (g->exit_status[0])
			snprintf(what, sizeof(what), " (%s)", g->exit_status);
		else
			what[0] = '\0';
		if (g->exited > 0) {
			spore_human_duration(now - g->exited, d, sizeof(d));
			snprintf(buf, n, "Exited%s %s ago", what, d);
		} else {
			snprintf(buf, n, "Exited%s", what);
		}
	} else {
		snprintf(buf, n, "Created");
	}
}
