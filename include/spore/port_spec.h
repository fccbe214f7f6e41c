/* The -p [HOSTIP:]HOSTPORT:GUESTPORT[/udp|/tcp] port spec: sporectl parses
 * it from its command line into the guest record, sporenet from the record
 * (and its own command line) into its forwards. */
#ifndef SPORE_PORT_SPEC_H
#define SPORE_PORT_SPEC_H

#include <spore/err.h>

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At most this many published ports per guest. */
#define NET_MAX_FWD 32

/* A published port: dom0 host_addr:host_port -> guest:guest_port. */
struct net_fwd {
	bool udp;
	struct in_addr host_addr; /* INADDR_ANY when no HOSTIP was given */
	uint16_t host_port, guest_port;
};

/* Parses "[HOSTIP:]HOSTPORT:GUESTPORT[/udp|/tcp]". */
int net_fwd_parse(const char *spec, struct net_fwd *fwd, struct spore_err *err);
/* Formats a forward back as "HOSTIP:HOSTPORT:GUESTPORT/PROTO". */
void net_fwd_format(const struct net_fwd *fwd, char *buf, size_t size);

#endif
