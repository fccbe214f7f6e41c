#include "guest_name.h"

#include <spore/guest_record.h>
#include <spore/image_store.h>
#include <spore/pv_builder.h>
#include <spore/xs_skeleton.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *spore_kernel_cache_dir(void)
{
	static char dir[4096];
	snprintf(dir, sizeof(dir), "%s/kernels", spore_store_default_root());
	return dir;
}

/* 1 if a domain is named name, 0 if not. */
static int name_taken(struct spore_xs *xs, const char *name, struct spore_err *err)
{
	char **ids = NULL;
	size_t n = 0;
	int r = spore_xs_directory(xs, 0, "/local/domain", &ids, &n, err);
	if (r < 0)
		return r;
	int taken = 0;
	for (size_t i = 0; i < n && !taken; i++) {
		char path[128], *val = NULL;
		size_t len;
		struct spore_err e = {0};
		snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
		if (spore_xs_read(xs, 0, path, &val, &len, &e) >= 0 && !strcmp(val, name))
			taken = 1;
		free(val);
	}
	free(ids);
	if (taken)
		return 1;
	/* Exited guests keep their names until destroy or rm, as in docker. */
	struct spore_guest *g = NULL;
	if ((r = spore_guest_list(xs, &g, &n, err)) < 0)
		return r;
	for (size_t i = 0; i < n && !taken; i++)
		taken = !strcmp(g[i].name, name);
	free(g);
	return taken;
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
