/* The -p port spec; see port_spec.h. */
#include <spore/port_spec.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;
	if (n == 0 || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int net_fwd_parse(const char *spec, struct net_fwd *fwd, struct spore_err *err)
{
	char buf[64];
	memset(fwd, 0, sizeof(*fwd));
	fwd->host_addr.s_addr = htonl(INADDR_ANY);

	if (!spec || strlen(spec) >= sizeof(buf))
		return spore_err_setx(err, EINVAL, "bad port spec '%s'", spec ? spec : "");
	strcpy(buf, spec);

	char *proto = strchr(buf, '/');
	if (proto) {
		*proto++ = '\0';
		if (!strcmp(proto, "udp"))
			fwd->udp = true;
		else if (strcmp(proto, "tcp"))
			return spore_err_setx(err, EINVAL,
					      "bad port spec '%s': protocol must be tcp or udp", spec);
	}

	char *last = strrchr(buf, ':');
	if (!last)
		return spore_err_setx(err, EINVAL,
				      "bad port spec '%s': want [HOSTIP:]HOSTPORT:GUESTPORT[/udp]", spec);
	*last = '\0';
	const char *guest = last + 1, *host = buf;
	char *mid = strrchr(buf, ':');
	if (mid) {
		*mid = '\0';
		host = mid + 1;
		if (inet_pton(AF_INET, buf, &fwd->host_addr) != 1)
			return spore_err_setx(err, EINVAL,
					      "bad port spec '%s': '%s' is not an IPv4 address", spec, buf);
	}
	if (parse_port(host, strlen(host), &fwd->host_port) < 0)
		return spore_err_setx(err, EINVAL, "bad port spec '%s': bad host port '%s'", spec, host);
	if (parse_port(guest, strlen(guest), &fwd->guest_port) < 0)
		return spore_err_setx(err, EINVAL, "bad port spec '%s': bad guest port '%s'", spec,
				      guest);
	return 0;
}

void net_fwd_format(const struct net_fwd *fwd, char *buf, size_t size)
{
	char addr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &fwd->host_addr, addr, sizeof(addr));
	snprintf(buf, size, "%s:%u:%u/%s", addr, fwd->host_port, fwd->guest_port,
		 fwd->udp ? "udp" : "tcp");
}
