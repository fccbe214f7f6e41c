/* sporeinit internals: one file per duty, all called from main.c in order.
 * Nothing here allocates; buffers are static. Failures that leave the guest
 * useless end in die(), which reports and powers off. */
#ifndef SPOREINIT_INIT_H
#define SPOREINIT_INIT_H

#include <spore/bundle.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "userspec.h"

#define DEV_TIMEOUT_MS 30000

/* say.c: console and kernel log output, reporting, power off. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* /dev/kmsg, info */
/* /dev/kmsg at debug level: the boot's timeline (`dmesg` in the guest shows
 * each step's uptime; the console shows none of it). */
void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* console */
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void power_off(void);
void report(const char *status);   /* data/spore/exit-status, also on the kernel log */

/* xenbus.c: xenstore through /dev/xen/xenbus, paths relative to our domain. */
int xb_open(void);                 /* 0 or -errno; later calls are no-ops */
int xb_fd(void);                   /* -1 when not open */
int xb_write(const char *path, const char *val);
int xb_watch(const char *path, const char *token);
int xb_read(const char *path, char *val, size_t n); /* 0, or -errno (absent: -EACCES) */
#define XB_STOP_TOKEN "spore"      /* the control/shutdown watch's token */
unsigned xb_events(void);          /* stop watch events seen so far */
void wait_start_gate(void);        /* spore-runc: until dom0 writes SPORE_START_GATE_NODE */
int xb_pump(void);                 /* reads one pending message (fd readable) */

/* wait.c: 0 once ready(arg) holds, or -ETIMEDOUT; woken by messages on a
 * netlink socket of protocol proto bound to groups. */
int wait_until(bool (*ready)(const void *), const void *arg, int proto, unsigned groups,
	       int timeout_ms);
int wait_for(const char *path, int timeout_ms);  /* a path exists (uevents) */
int wait_for_disk(const char *path, int timeout_ms); /* a disk can be opened (uevents) */

/* mounts.c */
void early_mounts(void);
void switch_to_image(const struct spore_bundle *b);
void mount_volumes(const struct spore_bundle *b);   /* volumes and tmpfs mounts */
void seal_root(const struct spore_bundle *b);       /* --read-only, last */
void unmount_volumes(const struct spore_bundle *b);

/* modules.c: loads /lib/modules/load.list from the initrd, if any. */
void load_modules(void);

/* net.c: setup configures lo and eth0 (eth0 may not be connected yet);
 * wait_network returns once eth0 has its link. */
void setup_network(const struct spore_bundle *b);
void wait_network(const struct spore_bundle *b);

/* identity.c: hostname, /etc/hosts, /etc/resolv.conf */
void setup_identity(const struct spore_bundle *b);

/* run.c: the container process (and exec's, with the same rules). */
#define EXEC_MAX_ENV 256
#define EXEC_MAX_ARGS 256
void resolve_user(const struct spore_bundle *b, struct userspec_ids *ids);
/* 0, or -1 with err holding one line. */
int resolve_userspec(const char *spec, struct userspec_ids *ids, char *err, size_t errlen);
/* The bundle's environment, then extra (replacing the bundle's variables of
 * the same names), plus the defaults docker adds when missing. Static. */
const char *const *build_env(const struct spore_bundle *b, const struct userspec_ids *ids,
			     const char *const *extra, unsigned nextra);
/* In a child: one line on fd 2 ("sporeinit: ..."), then _exit(code). */
_Noreturn void child_fail(int code, const char *fmt, const char *arg, int err);
/* In a child: user, working directory, PATH lookup and exec, with docker's
 * 125/126/127 when one fails. */
_Noreturn void become_and_exec(const struct userspec_ids *ids, const char *user, const char *wd,
			       const char *const *argv, const char *const *env);
void make_workdir(const struct spore_bundle *b);
pid_t start_container(const struct spore_bundle *b, const struct userspec_ids *ids);

/* channel.c: the control channel to spored (/dev/hvc1). */
struct spore_chan_msg;
int chan_open(void);               /* 0 or -errno (no device yet: -ENODEV) */
int chan_fd(void);                 /* -1 when not open */
short chan_events(void);           /* what to poll it for */
void chan_polled(short revents);
bool chan_send(uint8_t type, uint8_t stream, const void *p, size_t len);
size_t chan_room(void);            /* bytes free in its output queue */
size_t chan_pending(void);         /* bytes in it */
bool chan_greeted(void);           /* open, and a spored said HELLO */

/* errout.c: the container's stderr over the channel (else the console). */
struct pollfd;
int errout_pipe(int *wfd);         /* the pipe; *wfd becomes the container's fd 2 */
void errout_pollfd(struct pollfd *p, int *timeout_ms);
void errout_polled(short revents);
void errout_finish(void);          /* after the container: the rest, at most 3 s */

/* exec.c: sporectl exec's sessions. */
struct pollfd;
void exec_init(const struct spore_bundle *b);
void exec_reset(void);             /* kill every session (a new spored) */
bool exec_frame(const struct spore_chan_msg *m); /* false: a broken rule */
bool exec_reaped(pid_t pid, int status); /* true if pid was a session's */
size_t exec_pollfds(struct pollfd *p, size_t max);
void exec_polled(const struct pollfd *p, size_t n);

/* top.c: the process table on out (errors on err), in a child. */
int top_write(int out, int err);

/* supervise.c: PID 1's loop until the container is gone; returns its wait
 * status. */
int supervise(pid_t child, int stop_signal, unsigned stop_timeout);

#endif
