/* Status wording for `sporectl list`; see guest_status.h. */
#include "guest_status.h"
#include "restart_policy.h"
#include "guest_teardown.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/sched.h>

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

/* The N of "<prefix>N": plain decimal, no sign, space or leading zero (as
 * sporeinit's "%d" writes it), within lo..hi; else -1. */
static int number_after(const char *st, const char *prefix, int lo, int hi)
{
	size_t pl = strlen(prefix);
	int v = 0;

	if (strncmp(st, prefix, pl))
		return -1;
	st += pl;
	if (!*st || (st[0] == '0' && st[1]))
		return -1;
	for (; *st; st++) {
		if (*st < '0' || *st > '9' || (v = v * 10 + (*st - '0')) > hi)
			return -1;
	}
	return v < lo ? -1 : v;
}

int spore_exit_code(const char *st)
{
	int v;

	if ((v = number_after(st, "exited ", 0, 255)) >= 0)
		return v;
	if ((v = number_after(st, "signaled ", 1, SPORE_SIGNAL_MAX)) >= 0)
		return 128 + v;
	return -1;
}

bool spore_exit_status_reported(const char *st)
{
	return spore_exit_code(st) >= 0 || !strcmp(st, "error");
}

bool spore_exit_status_valid(const char *st)
{
	if (!st[0] || !strcmp(st, SPORE_EXIT_STATUS_INVALID) || spore_exit_status_reported(st))
		return true;
	/* Every word teardown may store for Xen's reason: each code's, and
	 * the one for codes it does not know (SHUTDOWN_MAX + 1). */
	for (unsigned r = 0; r <= SHUTDOWN_MAX + 1; r++)
		if (!strcmp(st, spore_shutdown_reason_name(r)))
			return true;
	return false;
}

const char *spore_exit_status_shown(const char *st)
{
	return spore_exit_status_valid(st) ? st : SPORE_EXIT_STATUS_INVALID;
}

int spore_guest_exit_code(const char *st)
{
	return !strcmp(st, "poweroff") ? 0 : spore_exit_code(st);
}

void spore_guest_status(const struct spore_guest *g, int64_t now, char *buf, size_t n)
{
	char d[40], restarts[40] = "";

	/* spored's restarts since the last manual start, as docker's
	 * RestartCount. */
	if (g->restart_count)
		snprintf(restarts, sizeof(restarts), " (%" PRIu32 " restart%s)", g->restart_count,
			 g->restart_count == 1 ? "" : "s");
	if (!strcmp(g->state, "running")) {
		/* Up since its domain last came up (a restart's, a start's). */
		spore_human_duration(now - (g->started > 0 ? g->started : g->created), d, sizeof(d));
		snprintf(buf, n, "Up %s%s", d, restarts);
	} else if (!strcmp(g->state, "exited")) {
		const char *st = spore_exit_status_shown(g->exit_status);
		int code = spore_guest_exit_code(st);
		/* docker's word while the policy's restart waits its back-off. */
		const char *word = spore_restart_wanted(g) ? "Restarting" : "Exited";
		char what[40];
		if (code >= 0)
			snprintf(what, sizeof(what), " (%d)", code);
		else if (st[0])
			snprintf(what, sizeof(what), " (%s)", st);
		else
			what[0] = '\0';
		if (g->exited > 0) {
			spore_human_duration(now - g->exited, d, sizeof(d));
			snprintf(buf, n, "%s%s %s ago%s", word, what, d, restarts);
		} else {
			snprintf(buf, n, "%s%s%s", word, what, restarts);
		}
	} else {
		snprintf(buf, n, "Created");
	}
}
