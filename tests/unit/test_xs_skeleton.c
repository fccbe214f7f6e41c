#include "xs_skeleton.h"

#include <errno.h>
#include <string.h>

#include "tap.h"

#define UUID "0123abcd-0000-4000-8000-00000000beef"

static const char *val(const struct xs_node_list *l, const char *p)
{
	const struct xs_node *n = xs_node_find(l, p);
	return n ? n->value : NULL;
}

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
	is_str(val(&l, "/local/domain/7/console/type"), "xenconsoled", "console type");
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
	/* Parents come before children so perms apply before inheritance. */
	size_t i_dom = 0, i_ctl = 0;
	for (size_t i = 0; i < l.n; i++) {
		if (!strcmp(l.v[i].path, "/local/domain/7"))
			i_dom = i;
		if (!strcmp(l.v[i].path, "/local/domain/7/control"))
			i_ctl = i;
	}
	ok(i_dom < i_ctl, "parents listed before children");
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
