/* Restart policies; see restart_policy.h. */
#include "restart_policy.h"
#include "guest_status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int spore_restart_policy_parse(const char *s, struct spore_restart_policy *p)
{
	*p = (struct spore_restart_policy){.kind = SPORE_RESTART_NO};
	if (!*s || !strcmp(s, "no"))
		return 0;
	if (!strcmp(s, "always")) {
		p->kind = SPORE_RESTART_ALWAYS;
		return 0;
	}
	if (!strcmp(s, "unless-stopped")) {
		p->kind = SPORE_RESTART_UNLESS_STOPPED;
		return 0;
	}
	if (strncmp(s, "on-failure", 10) || (s[10] && s[10] != ':'))
		return -EINVAL;
	p->kind = SPORE_RESTART_ON_FAILURE;
	if (!s[10])
		return 0;
	const char *n = s + 11;
	char *end;
	/* Plain decimal digits only: no sign, space or hex. */
	if (*n < '0' || *n > '9')
		return -EINVAL;
	unsigned long v = strtoul(n, &end, 10);
	if (*end || v > 65535)
		return -EINVAL;
	p->max = (uint32_t)v;
	return 0;
}

bool spore_restart_wanted(const struct spore_guest *g)
{
	struct spore_restart_policy p;

	if (g->stopped || spore_restart_policy_parse(g->restart, &p) < 0)
		return false;
	switch (p.kind) {
	case SPORE_RESTART_ON_FAILURE:
		/* A crash or a status the guest never reported is a failure. */
		return spore_guest_exit_code(g->exit_status) != 0 &&
		       (!p.max || g->restart_count < p.max);
	case SPORE_RESTART_ALWAYS:
	case SPORE_RESTART_UNLESS_STOPPED:
		return true;
	default:
		return false;
	}
}

uint32_t spore_restart_backoff(uint32_t prev_ms, int64_t started, int64_t exited)
{
	if (!prev_ms || exited - started >= SPORE_RESTART_RESET_S)
		return SPORE_RESTART_BACKOFF_MIN_MS;
	if (prev_ms >= SPORE_RESTART_BACKOFF_MAX_MS / 2)
		return SPORE_RESTART_BACKOFF_MAX_MS;
	return prev_ms * 2;
}
