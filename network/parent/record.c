/* Guest record -> attach; see net_record.h. */
#include "net_record.h"
#include <spore/guest_record.h>
#include <spore/vif_backend.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const net_record_keys[NET_RECORD_NKEYS] = {
	SPORE_REC_NAME,     SPORE_REC_DOMID, SPORE_REC_VIF,  SPORE_REC_IPV4,  SPORE_REC_GATEWAY4,
	SPORE_REC_DNS4,     SPORE_REC_IPV6,  SPORE_REC_GATEWAY6, SPORE_REC_DNS6, SPORE_REC_MAC,
	SPORE_REC_MTU,      SPORE_REC_PORTS, SPORE_REC_ALLOW_DOM0, SPORE_REC_NET_BACKEND,
};

const char *const net_frontend_keys[NET_FRONTEND_NKEYS] = {
	"state", "tx-ring-ref", "rx-ring-ref", "event-channel", "request-rx-copy", "feature-sg",
};

static int bad(struct spore_err *err, const char *uuid, const char *key, const char *val,
	       const char *why)
{
	return spore_err_setx(err, EINVAL, "guest %s: bad %s '%.64s'%s%s", uuid, key,
			      val ? val : "(missing)", why ? ": " : "", why ? why : "");
}

/* Digits only, no sign or spaces, at most max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long n = 0;
	if (!s || !*s || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n > max || (s[0] == '0' && s[1]))
		return -EINVAL;
	*v = n;
	return 0;
}

/* "ADDR/LEN" with LEN in [min, max]. */
static int parse_cidr(int family, const char *s, void *addr, unsigned min, unsigned max,
		      unsigned *len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned long l;
	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	char *slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash++ = '\0';
	if (parse_uint(slash, max, &l) < 0 || l < min || inet_pton(family, buf, addr) != 1)
		return -EINVAL;
	*len = (unsigned)l;
	return 0;
}

int net_vif_parse(const char *vif, unsigned *domid, unsigned *dev)
{
	char dom[8];
	unsigned long d, n;
	const char *dot;

	if (!vif || strncmp(vif, "vif", 3) || !net_ifname_valid(vif) || !(dot = strchr(vif + 3, '.')))
		return -EINVAL;
	size_t dn = (size_t)(dot - (vif + 3));
	if (dn == 0 || dn >= sizeof(dom))
		return -EINVAL;
	memcpy(dom, vif + 3, dn);
	dom[dn] = '\0';
	if (parse_uint(dom, 0x7fef, &d) < 0 || d == 0 || parse_uint(dot + 1, 255, &n) < 0)
		return -EINVAL;
	*domid = (unsigned)d;
	*dev = (unsigned)n;
	return 0;
}

static int parse_ports(const char *s, struct net_attach *a, struct spore_err *err)
{
	const char *p = s;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		char spec[64];
		if (n >= sizeof(spec) || a->n_fwd >= NET_MAX_FWD)
			return spore_err_setx(err, EINVAL, "too many or too long");
		memcpy(spec, p, n);
		spec[n] = '\0';
		if (net_fwd_parse(spec, &a->fwd[a->n_fwd], err) < 0)
			return -EINVAL;
		for (size_t i = 0; i < a->n_fwd; i++)
			if (a->fwd[i].host_port == a->fwd[a->n_fwd].host_port &&
			    a->fwd[i].udp == a->fwd[a->n_fwd].udp)
				return spore_err_setx(err, EINVAL, "port %s published twice", spec);
		a->n_fwd++;
		p += n;
	}
	return 0;
}

static bool in6_same64(const struct in6_addr *a, const struct in6_addr *b)
{
	return !memcmp(a->s6_addr, b->s6_addr, 8);
}

int net_attach_from_record(const char *uuid, const struct net_record *r, struct net_attach *a,
			   struct spore_err *err)
{
	unsigned long domid, v;
	unsigned len;

	memset(a, 0, sizeof(*a));
	if (!uuid || strlen(uuid) >= sizeof(a->uuid))
		return spore_err_setx(err, EINVAL, "bad guest uuid");
	strcpy(a->uuid, uuid);
	snprintf(a->name, sizeof(a->name), "%s", r->name ? r->name : "");

	/* The interface must be the one netback made for this guest: a record
	 * naming another interface would have sporenet read someone else's
	 * frames. The domid is recorded only after the vif (-1 until then). */
	unsigned vdom, vdev;
	if (net_vif_parse(r->vif, &vdom, &vdev) < 0)
		return bad(err, uuid, "vif", r->vif, "want vif<domid>.<n>");
	if (r->domid && strcmp(r->domid, "-1")) {
		if (parse_uint(r->domid, 0x7fef, &domid) < 0 || domid == 0)
			return bad(err, uuid, "domid", r->domid, NULL);
		if (domid != vdom)
			return bad(err, uuid, "vif", r->vif, "not an interface of the record's domid");
	}
	uint8_t bmac[6];
	if (net_mac_parse(r->mac, a->mac) < 0)
		return bad(err, uuid, "mac", r->mac, "want unicast aa:bb:cc:dd:ee:ff");
	if (!r->backend_mac || net_mac_parse(r->backend_mac, bmac) < 0 || memcmp(bmac, a->mac, 6))
		return bad(err, uuid, "vif", r->vif, "its backend's mac is not the record's");
	a->has_mac = true;
	strcpy(a->ifname, r->vif);
	if (r->net_backend && !strcmp(r->net_backend, SPORE_NET_BACKEND_USERSPACE)) {
		a->userspace = true;
		a->domid = vdom;
		a->devid = vdev;
	} else if (r->net_backend && *r->net_backend &&
		   strcmp(r->net_backend, SPORE_NET_BACKEND_KERNEL)) {
		return bad(err, uuid, "net-backend", r->net_backend, "want kernel or userspace");
	}

	if (parse_cidr(AF_INET, r->ipv4, &a->guest4, 8, 29, &len) < 0)
		return bad(err, uuid, "ipv4", r->ipv4, "want A.B.C.D/8..29");
	a->prefix4 = (uint8_t)len;
	uint32_t mask = ~(uint32_t)0 << (32 - len);
	uint32_t g = ntohl(a->guest4.s_addr), net = g & mask, bcast = net | ~mask;
	a->net4.s_addr = htonl(net);
	a->mask4.s_addr = htonl(mask);
	if (g == net || g == bcast)
		return bad(err, uuid, "ipv4", r->ipv4, "not a host address");
	const struct {
		const char *key, *val;
		struct in_addr *out;
	} hosts4[] = {{"gateway4", r->gateway4, &a->gateway4}, {"dns4", r->dns4, &a->dns4}};
	for (size_t i = 0; i < 2; i++) {
		if (!hosts4[i].val || inet_pton(AF_INET, hosts4[i].val, hosts4[i].out) != 1)
			return bad(err, uuid, hosts4[i].key, hosts4[i].val, "not an IPv4 address");
		uint32_t h = ntohl(hosts4[i].out->s_addr);
		if ((h & mask) != net || h == net || h == bcast || h == g)
			return bad(err, uuid, hosts4[i].key, hosts4[i].val,
				   "not a free host address of the guest's network");
	}
	if (a->gateway4.s_addr == a->dns4.s_addr)
		return bad(err, uuid, "dns4", r->dns4, "same as the gateway");

	if (parse_cidr(AF_INET6, r->ipv6, &a->guest6, 64, 64, &len) < 0)
		return bad(err, uuid, "ipv6", r->ipv6, "want ADDR/64");
	memcpy(a->prefix6.s6_addr, a->guest6.s6_addr, 8);
	if (a->guest6.s6_addr[0] == 0xff || IN6_IS_ADDR_LINKLOCAL(&a->guest6) ||
	    IN6_IS_ADDR_V4MAPPED(&a->guest6) || !memcmp(&a->guest6, &a->prefix6, 16))
		return bad(err, uuid, "ipv6", r->ipv6, "not a unicast host address");
	const struct {
		const char *key, *val;
		struct in6_addr *out;
	} hosts6[] = {{"gateway6", r->gateway6, &a->gateway6}, {"dns6", r->dns6, &a->dns6}};
	for (size_t i = 0; i < 2; i++) {
		if (!hosts6[i].val || inet_pton(AF_INET6, hosts6[i].val, hosts6[i].out) != 1)
			return bad(err, uuid, hosts6[i].key, hosts6[i].val, "not an IPv6 address");
		if (!in6_same64(hosts6[i].out, &a->guest6) ||
		    !memcmp(hosts6[i].out, &a->guest6, 16) || !memcmp(hosts6[i].out, &a->prefix6, 16))
			return bad(err, uuid, hosts6[i].key, hosts6[i].val,
				   "not a free address of the guest's /64");
	}
	if (!memcmp(&a->gateway6, &a->dns6, 16))
		return bad(err, uuid, "dns6", r->dns6, "same as the gateway");

	a->mtu = NET_MTU_DEFAULT;
	if (r->mtu && (parse_uint(r->mtu, NET_MTU_MAX, &v) < 0 || v < NET_MTU_MIN))
		return bad(err, uuid, "mtu", r->mtu, "want 1280..65520");
	if (r->mtu)
		a->mtu = (uint32_t)v;

	if (r->allow_dom0 && strcmp(r->allow_dom0, "0") && strcmp(r->allow_dom0, "1"))
		return bad(err, uuid, "allow-dom0", r->allow_dom0, "want 0 or 1");
	a->allow_dom0 = r->allow_dom0 && !strcmp(r->allow_dom0, "1");

	if (r->ports) {
		struct spore_err perr = {0};
		if (parse_ports(r->ports, a, &perr) < 0)
			return bad(err, uuid, "ports", r->ports, perr.msg);
	}
	return 0;
}

int net_frontend_parse(const char *const vals[NET_FRONTEND_NKEYS], struct net_frontend *fe,
		       struct spore_err *err)
{
	unsigned long v[NET_FRONTEND_NKEYS] = {0};
	/* Grant refs are 32 bits; event channel ports are below 2^17 in
	 * every Xen ABI (FIFO's limit). */
	static const unsigned long max[NET_FRONTEND_NKEYS] = {8, 0xffffffffUL, 0xffffffffUL,
							      (1UL << 17) - 1, 1, 1};

	memset(fe, 0, sizeof(*fe));
	for (size_t i = 0; i < NET_FRONTEND_NKEYS; i++) {
		/* Below Connected only the state matters; feature-sg may be absent. */
		if (i > 0 && (v[0] != 4 || (i == 5 && !vals[i])))
			continue;
		if (parse_uint(vals[i], max[i], &v[i]) < 0)
			return spore_err_setx(err, EINVAL, "frontend: bad %s '%.32s'", net_frontend_keys[i],
					      vals[i] ? vals[i] : "(missing)");
	}
	if (v[0] == 4 && v[4] != 1)
		return spore_err_setx(err, EINVAL, "frontend: request-rx-copy is not 1 (page flipping is not served)");
	fe->state = (unsigned)v[0];
	fe->tx_ref = (uint32_t)v[1];
	fe->rx_ref = (uint32_t)v[2];
	fe->evtchn = (uint32_t)v[3];
	fe->rx_sg = v[5] == 1;
	return 0;
}
