/* sporenet: the dom0 network daemon giving each spore guest a userspace NAT
 * stack (libslirp) on its backend interface, privilege separated.
 *
 * Guests are found through their xenstore records (a watch on
 * /spore/guests: README "Networking"); --attach serves an interface by hand
 * (tests, debugging). */
#include "net_config.h"
#include "net_supervisor.h"
#include <spore/log.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ATTACH 256

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: sporenet [OPTIONS] [--attach SPEC [-p PORTS]... [--mtu N] [--allow-dom0]]...\n"
		"       sporenet status [--control PATH]\n"
		"\n"
		"Gives spore guests a userspace NAT network stack (libslirp) on their backend\n"
		"interfaces. Runs in the foreground until SIGTERM. Guests are found by a\n"
		"xenstore watch on their records (/spore/guests/UUID: ipv4, mac, ports, vif...):\n"
		"every guest whose record has a vif is served while its interface exists, and\n"
		"a restarted sporenet serves the running guests again.\n"
		"`sporenet status` lists the served guests with their counters.\n"
		"\n"
		"Options:\n"
		"  --no-discover    Do not watch xenstore; serve the --attach interfaces only\n"
		"                   (without xenstore, --attach interfaces are served anyway)\n"
		"  --attach IFNAME:GUEST_IPV4/PREFIX:GATEWAY[:MAC]\n"
		"                   Serve the guest behind IFNAME (e.g. vif3.0). The DNS alias is\n"
		"                   the next free address after GATEWAY; IPv6 gets a ULA /64.\n"
		"                   Only frames from MAC are read when it is given.\n"
		"  -p, --publish [HOSTIP:]HOSTPORT:GUESTPORT[/udp]\n"
		"                   Forward a dom0 port to the guest of the last --attach\n"
		"  --mtu N          MTU of the last --attach's link (default 1500, up to\n"
		"                   65520; larger is much faster, the guest must match)\n"
		"  --no-dhcp        No DHCP server for the last --attach's guest\n"
		"  --allow-dom0     Let the guest of the last --attach reach dom0 itself\n"
		"                   (loopback via the gateway address, dom0's own addresses)\n"
		"  --control PATH   Control socket (default %s)\n"
		"  --user NAME      Run the workers as NAME (default: sporenet if it exists,\n"
		"                   else nobody)\n"
		"  --log LEVEL      debug, info, warn or error (default: $SPORE_LOG or warn)\n"
		"  --syslog         Log to syslog instead of stderr\n"
		"  -h, --help       Show this help\n",
		NET_CONTROL_PATH);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "sporenet: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sporenet --help'.\n");
	return 2;
}

static int cmd_status(int argc, char **argv)
{
	const char *control = NET_CONTROL_PATH;
	struct spore_err err = {0};

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--control") && i + 1 < argc)
			control = argv[++i];
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else
			return usage_error("status: unknown argument '%s'", argv[i]);
	}
	if (net_status_print(control, stdout, &err) < 0) {
		spore_err_print("sporenet: status", err.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct net_attach attaches[MAX_ATTACH];
	size_t n = 0;
	struct net_supervisor_opts opts = {.control_path = NET_CONTROL_PATH, .discover = true};
	const char *user = NULL;
	struct spore_err err = {0};
	int use_syslog = 0;

	spore_log_init("sporenet");
	if (argc > 1 && !strcmp(argv[1], "status"))
		return cmd_status(argc, argv);

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--syslog")) {
			use_syslog = 1;
		} else if (!strcmp(a, "--no-discover")) {
			opts.discover = false;
		} else if (!strcmp(a, "--no-dhcp")) {
			if (!n)
				return usage_error("%s must follow an --attach", a);
			attaches[n - 1].no_dhcp = true;
		} else if (!strcmp(a, "--allow-dom0")) {
			if (!n)
				return usage_error("%s must follow an --attach", a);
			attaches[n - 1].allow_dom0 = true;
		} else if (!strcmp(a, "--log") || !strcmp(a, "--attach") || !strcmp(a, "-p") ||
			   !strcmp(a, "--publish") || !strcmp(a, "--control") || !strcmp(a, "--mtu") ||
			   !strcmp(a, "--user")) {
			if (!val)
				return usage_error("%s needs an argument", a);
			i++;
			if (!strcmp(a, "--log")) {
				int lvl = spore_log_parse_level(val);
				if (lvl < 0)
					return usage_error("unknown log level '%s'", val);
				spore_log_set_level((enum spore_log_level)lvl);
			} else if (!strcmp(a, "--attach")) {
				if (n >= MAX_ATTACH)
					return usage_error("too many --attach (max %s)", "256");
				if (net_attach_parse(val, &attaches[n], &err) < 0)
					return usage_error("%s", err.msg);
				for (size_t j = 0; j < n; j++)
					if (!strcmp(attaches[j].ifname, attaches[n].ifname))
						return usage_error("interface %s attached twice",
								   attaches[n].ifname);
				n++;
			} else if (!strcmp(a, "-p") || !strcmp(a, "--publish")) {
				if (!n)
					return usage_error("%s must follow an --attach", a);
				struct net_attach *at = &attaches[n - 1];
				if (at->n_fwd >= NET_MAX_FWD)
					return usage_error("too many ports for %s", at->ifname);
				if (net_fwd_parse(val, &at->fwd[at->n_fwd], &err) < 0)
					return usage_error("%s", err.msg);
				at->n_fwd++;
			} else if (!strcmp(a, "--mtu")) {
				if (!n)
					return usage_error("%s must follow an --attach", a);
				if (net_mtu_parse(val, &attaches[n - 1].mtu, &err) < 0)
					return usage_error("%s", err.msg);
			} else if (!strcmp(a, "--control")) {
				opts.control_path = val;
			} else {
				user = val;
			}
		} else {
			return usage_error("unknown argument '%s'", a);
		}
	}

	if (use_syslog)
		spore_log_use_syslog(1);
	opts.use_syslog = use_syslog;
	if (geteuid() != 0) {
		log_error("must run as root: it opens raw sockets on guest interfaces");
		return 1;
	}
	struct passwd *pw = getpwnam(user ? user : "sporenet");
	if (!pw && !user)
		pw = getpwnam("nobody");
	if (!pw) {
		log_error("no such user '%s' for the workers", user ? user : "nobody");
		return 1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		log_error("the workers' user '%s' must not be root", pw->pw_name);
		return 1;
	}
	opts.uid = pw->pw_uid;
	opts.gid = pw->pw_gid;
	if (!n && !opts.discover) {
		log_error("--no-discover without --attach: nothing to serve");
		return 1;
	}

	if (net_supervisor_run(attaches, n, &opts, &err) < 0) {
		log_error("%s", err.msg);
		return 1;
	}
	return 0;
}
