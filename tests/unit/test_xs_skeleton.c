#include "xs_skeleton.h"
#include "name_valid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "xs_val.h"

#define UUID "0123abcd-0000-4000-8000-00000000beef"

int main(void)
{
	struct xs_node_list l = {0};
	struct spore_err e = {0};
	struct dom_skeleton d = {
		.domid = 7, .uuid = UUID, .name = "web-1", .vcpus = 2,
		.max_kb = 132096, .target_kb = 131072, .store_port = 1, .console_port = 2,
		.store_mfn = 0x1234, .console_mfn = 0x1235, .kernel = "/k", .cmdline = "quiet",
	};

	is_int(xs_skeleton_build(&l, &d, &e), 0, "skeleton built %s", e.msg);
	is_str(val(&l, "/local/domain/7/name"), "web-1", "name");
	is_str(val(&l, "/local/domain/7/domid"), "7", "domid");
	is_str(val(&l, "/local/domain/7/vm"), "/vm/" UUID, "vm link");
	is_str(val(&l, "/vm/" UUID "/uuid"), UUID, "vm uuid");
	is_str(val(&l, "/local/domain/7/cpu/1/availability"), "online", "cpu 1 online");
	ok(!xs_node_find(&l, "/local/domain/7/cpu/2/availability"), "no cpu 2");
	is_str(val(&l, "/local/domain/7/memory/static-max"), "132096", "static-max");
	is_str(val(&l, "/local/domain/7/memory/target"), "131072", "target");
	is_str(val(&l, "/local/domain/7/store/ring-ref"), "4660", "store ring-ref is the mfn");
	is_str(val(&l, "/local/domain/7/console/ring-ref"), "4661", "console ring-ref");
	is_str(val(&l, "/local/domain/7/console/type"), "spore",
	       "console type spore: spored's, which xenconsoled skips");
	is_str(val(&l, "/vm/" UUID "/image/cmdline"), "quiet", "image cmdline");
	ok(!xs_node_find(&l, "/vm/" UUID "/image/ramdisk"), "no ramdisk node without one");

	const struct xs_node *dom = xs_node_find(&l, "/local/domain/7");
	ok(dom && dom->nperms == 2 && dom->perms[0].domid == 0 && dom->perms[0].perm == 'n' &&
	   dom->perms[1].domid == 7 && dom->perms[1].perm == 'r',
	   "domain dir: dom0 owns, guest reads");
	const struct xs_node *sd = xs_node_find(&l, "/local/domain/7/control/shutdown");
	ok(sd && sd->nperms == 1 && sd->perms[0].domid == 7, "control/shutdown owned by the guest");
	const struct xs_node *data = xs_node_find(&l, "/local/domain/7/data");
	ok(data && data->perms[0].domid == 7, "data/ owned by the guest");
	const struct xs_node *nm = xs_node_find(&l, "/local/domain/7/name");
	ok(nm && nm->perms[0].domid == 0, "name owned by dom0: the guest cannot rename itself");

	/* What the skeleton decides rather than copies from d: which nodes the
	 * guest may write (dom0 trusts every other one), and an order in which
	 * each node's parent, with its permissions, exists first. */
	static const char *const guest_writes[] = {
		"control/shutdown", "control/feature-poweroff", "control/feature-reboot",
		"control/feature-suspend", "control/sysrq", "data", "drivers", "feature", "attr",
		"error", "console/backend-id",
	};
	size_t nwrites = sizeof(guest_writes) / sizeof(guest_writes[0]), writable = 0;
	int wrong = 0, orphans = 0, misordered = 0, twice = 0;
	for (size_t i = 0; i < l.n; i++) {
		const struct xs_node *n = &l.v[i];
		bool writes = false, want = false;
		for (int k = 0; k < n->nperms; k++)
			writes |= n->perms[k].domid == 7 &&
				  (k == 0 || n->perms[k].perm == 'w' || n->perms[k].perm == 'b');
		for (size_t k = 0; k < nwrites; k++)
			want |= !strncmp(n->path, "/local/domain/7/", 16) &&
				!strcmp(n->path + 16, guest_writes[k]);
		if (writes != want) {
			wrong++;
			printf("#   %s: the guest %s write it\n", n->path, writes ? "can" : "cannot");
		}
		writable += writes;
		/* Its nearest listed ancestor: a node between them is created by
		 * xenstore with that ancestor's permissions. */
		char parent[256];
		char *slash;
		size_t j = l.n;
		snprintf(parent, sizeof(parent), "%s", n->path);
		while (j == l.n && (slash = strrchr(parent, '/')) && slash != parent) {
			*slash = '\0';
			for (j = 0; j < l.n && strcmp(l.v[j].path, parent); j++) {
			}
		}
		orphans += j == l.n;
		misordered += j < l.n && j > i;
		for (j = 0; j < i; j++)
			twice += !strcmp(l.v[j].path, n->path);
	}
	is_int(wrong, 0, "the guest writes exactly its control keys, data/, drivers/, feature/, "
			 "attr/, error/ and console/backend-id");
	is_int(writable, nwrites, "all %zu of them exist", nwrites);
	is_int(orphans, 2, "every node but /local/domain/7 and /vm/<uuid> has an ancestor listed");
	is_int(misordered, 0, "parents listed before children (perms apply before inheritance)");
	is_int(twice, 0, "no node listed twice");
	xs_node_list_free(&l);

	d.name = "bad/name";
	is_int(xs_skeleton_build(&l, &d, &e), -EINVAL, "slash in a name rejected");
	is_str(e.msg, "invalid guest name 'bad/name'", "error names the bad name");
	d.name = "ok";
	d.uuid = "not-a-uuid";
	is_int(xs_skeleton_build(&l, &d, &e), -EINVAL, "bad uuid rejected");
	xs_node_list_free(&l);

	ok(spore_name_valid("a.b_c-1"), "name with . _ -");
	ok(!spore_name_valid(""), "empty name");
	ok(!spore_name_valid("-x"), "leading dash");
	ok(!spore_name_valid(".."), "dot-dot");
	ok(!spore_name_valid("a b"), "space");
	char longn[70];
	memset(longn, 'a', 65);
	longn[65] = 0;
	ok(!spore_name_valid(longn), "65 chars too long");
	longn[64] = 0;
	ok(spore_name_valid(longn), "64 chars fine");
	return tap_done();
}
