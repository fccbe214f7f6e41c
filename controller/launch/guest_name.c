#include "guest_name.h"

#include "name_valid.h"
#include "uuid.h"
#include <spore/guest_record.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 if a spore guest (running or exited: names are kept until destroy or
 * rm, as in docker) holds name, 0 if not. One read of the name's claim, not
 * a scan of every guest, so launch time does not grow with the guest count;
 * spore_guest_write enforces it again atomically. Domains made by other
 * toolstacks are not spore guests and are not looked at. */
static int name_taken(struct spore_xs *xs, const char *name, struct spore_err *err)
{
	char owner[37];
	struct spore_err e = {0};
	int r = spore_guest_claim_owner(xs, "name", name, owner, sizeof(owner), &e);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		*err = e;
	return r < 0 ? r : 1;
}

int guest_name_pick(struct spore_xs *xs, const char *want, char *out, size_t n,
		    struct spore_err *err)
{
	int r;
	if (want) {
		if (!spore_name_valid(want))
			return spore_err_setx(err, EINVAL,
					      "invalid guest name '%s' (1-64 of A-Z a-z 0-9 _ . -, "
					      "not starting with . or -)",
					      want);
		if ((r = name_taken(xs, want, err)) < 0)
			return r;
		if (r)
			return spore_err_setx(err, EEXIST, "a guest named '%s' already exists", want);
		snprintf(out, n, "%s", want);
		return 0;
	}
	for (int tries = 0; tries < 8; tries++) {
		uint8_t u[16];
		if ((r = spore_uuid_generate(u, err)) < 0)
			return r;
		snprintf(out, n, "spore-%02x%02x%02x%02x", u[0], u[1], u[2], u[3]);
		if ((r = name_taken(xs, out, err)) < 0)
			return r;
		if (!r)
			return 0;
	}
	return spore_err_setx(err, EEXIST, "could not pick an unused guest name");
}
