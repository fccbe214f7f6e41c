/* Where a vif's backend lives in xenstore, as sporectl writes it and
 * sporenet reads it. A guest launched with --net-backend userspace has its
 * backend directory outside dom0's backend/ tree, which the kernel's
 * xenbus watches (xen-netback would take any backend/vif/ node): sporenet
 * serves that device itself. */
#ifndef SPORE_VIF_BACKEND_H
#define SPORE_VIF_BACKEND_H

/* The record key's values (SPORE_REC_NET_BACKEND). */
#define SPORE_NET_BACKEND_KERNEL "kernel"
#define SPORE_NET_BACKEND_USERSPACE "userspace"
/* The host-wide default for launch, when --net-backend is not given. */
#define SPORE_NET_BACKEND_ENV "SPORE_NET_BACKEND"

/* The backend root of each kind, under /local/domain/<backend domid>/:
 * backend/vif/<domid>/<handle> (netback) and spore-net/vif/<domid>/<handle>
 * (sporenet). */
#define SPORE_VIF_ROOT_KERNEL "backend"
#define SPORE_VIF_ROOT_USERSPACE "spore-net"

#endif
