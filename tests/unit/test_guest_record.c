#include <spore/guest_record.h>

#include <errno.h>
#include <string.h>

#include "tap.h"

int main(void)
{
	struct spore_guest g[3];
	memset(g, 0, sizeof(g));
	strcpy(g[0].uuid, "aaaa1111-0000-4000-8000-000000000001");
	strcpy(g[0].name, "web");
	g[0].domid = 5;
	strcpy(g[1].uuid, "aaaa2222-0000-4000-8000-000000000002");
	strcpy(g[1].name, "db");
	g[1].domid = -1;
	strcpy(g[2].uuid, "bbbb3333-0000-4000-8000-000000000003");
	strcpy(g[2].name, "5");
	g[2].domid = 7;

	is_int(spore_guest_match(g, 3, "aaaa1111-0000-4000-8000-000000000001"), 0, "full uuid");
	is_int(spore_guest_match(g, 3, "db"), 1, "name");
	is_int(spore_guest_match(g, 3, "7"), 2, "domid");
	is_int(spore_guest_match(g, 3, "5"), 2, "a name wins over a domid");
	is_int(spore_guest_match(g, 3, "aaaa2"), 1, "unique uuid prefix");
	is_int(spore_guest_match(g, 3, "aaaa"), -EEXIST, "ambiguous prefix");
	is_int(spore_guest_match(g, 3, "cccc"), -ENOENT, "no match");
	is_int(spore_guest_match(g, 3, ""), -ENOENT, "empty id");
	is_int(spore_guest_match(g, 3, "-1"), -ENOENT, "a gone domain's -1 is not an id");
	return tap_done();
}
