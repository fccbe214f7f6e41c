/* sporectl <-> spored messages (include/spore/svc_proto.h): every length
 * and content rule, and a round trip over a SOCK_SEQPACKET pair. */
#include "tap.h"
#include <spore/svc_proto.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static size_t pack(uint8_t *buf, uint16_t type, uint16_t version, uint32_t len, const void *p,
		   size_t n)
{
	struct spore_svc_hdr h = {type, version, len};
	memcpy(buf, &h, sizeof(h));
	if (n)
		memcpy(buf + sizeof(h), p, n);
	return sizeof(h) + n;
}

static int parse(uint16_t type, const void *p, size_t n)
{
	static uint8_t buf[SPORE_SVC_MAX_MSG + 64];
	struct spore_svc_msg m;
	size_t len = pack(buf, type, SPORE_SVC_VERSION, (uint32_t)n, p, n);
	return spore_svc_parse(buf, len, &m);
}

int main(void)
{
	static uint8_t buf[SPORE_SVC_MAX_MSG + 64];
	struct spore_svc_msg m;
	struct spore_svc_attach at;
	const char *uuid = "0123abcd-4567-89ef-0123-456789abcdef";

	is_int(parse(SPORE_SVC_PING, NULL, 0), 0, "PING, empty");
	is_int(parse(SPORE_SVC_PING, "x", 1), -EBADMSG, "PING with a payload is refused");
	is_int(parse(SPORE_SVC_TYPE_END, NULL, 0), -EBADMSG, "an unknown type is refused");
	is_int(parse(0, NULL, 0), -EBADMSG, "type 0 is refused");
	is_int(spore_svc_parse(buf, 7, &m), -EBADMSG, "a packet shorter than the header");

	size_t n = pack(buf, SPORE_SVC_PING, SPORE_SVC_VERSION + 1, 0, NULL, 0);
	is_int(spore_svc_parse(buf, n, &m), -EBADMSG, "another protocol version is refused");
	n = pack(buf, SPORE_SVC_OUTPUT, SPORE_SVC_VERSION, 5, "abcd", 4);
	is_int(spore_svc_parse(buf, n, &m), -EBADMSG, "a length beyond the packet is refused");
	n = pack(buf, SPORE_SVC_OUTPUT, SPORE_SVC_VERSION, 3, "abcd", 4);
	is_int(spore_svc_parse(buf, n, &m), -EBADMSG, "a length short of the packet is refused");

	is_int(parse(SPORE_SVC_OUTPUT, NULL, 0), -EBADMSG, "OUTPUT needs a byte");
	is_int(parse(SPORE_SVC_OUTPUT_ERR, NULL, 0), -EBADMSG, "OUTPUT_ERR needs a byte");
	is_int(parse(SPORE_SVC_OUTPUT_ERR, "e", 1), 0, "OUTPUT_ERR of one byte");
	static uint8_t big[SPORE_SVC_MAX_PAYLOAD + 1];
	is_int(parse(SPORE_SVC_OUTPUT, big, SPORE_SVC_MAX_PAYLOAD), 0, "OUTPUT of the largest size");
	is_int(parse(SPORE_SVC_INPUT, big, SPORE_SVC_MAX_PAYLOAD + 1), -EBADMSG,
	       "INPUT beyond the largest size is refused");

	memcpy(at.uuid, uuid, 36);
	at.history = 100;
	is_int(parse(SPORE_SVC_ATTACH, &at, sizeof(at)), 0, "ATTACH with a UUID");
	is_int(parse(SPORE_SVC_ATTACH, &at, sizeof(at) - 1), -EBADMSG, "ATTACH one byte short");
	at.uuid[3] = 'A';
	is_int(parse(SPORE_SVC_ATTACH, &at, sizeof(at)), -EBADMSG, "ATTACH: upper-case hex refused");
	memcpy(at.uuid, uuid, 36);
	at.uuid[8] = 'a';
	is_int(parse(SPORE_SVC_ATTACH, &at, sizeof(at)), -EBADMSG, "ATTACH: a missing dash refused");

	uint8_t e[4 + 8];
	uint32_t code = EPERM;
	memcpy(e, &code, 4);
	memcpy(e + 4, "no such", 7);
	is_int(parse(SPORE_SVC_ERROR, e, 11), 0, "ERROR: code and text");
	is_int(parse(SPORE_SVC_ERROR, e, 4), -EBADMSG, "ERROR without text is refused");
	e[6] = 0x1b;
	is_int(parse(SPORE_SVC_ERROR, e, 11), -EBADMSG, "ERROR with a control byte is refused");
	code = 0;
	memcpy(e, &code, 4);
	e[6] = 's';
	is_int(parse(SPORE_SVC_ERROR, e, 11), -EBADMSG, "ERROR with code 0 is refused");

	/* EXEC: the header, then kind-text-NUL items with an argument. */
	uint8_t ex[sizeof(struct spore_svc_exec) + 64];
	struct spore_svc_exec xh = {.flags = SPORE_SVC_EXEC_STDIN_OPEN};
	memcpy(xh.uuid, uuid, 36);
	memcpy(ex, &xh, sizeof(xh));
	size_t xl = sizeof(xh);
	memcpy(ex + xl, "eK=V\0u1000\0aecho\0ahi\0", 21);
	is_int(parse(SPORE_SVC_EXEC, ex, xl + 21), 0, "EXEC with env, user and two arguments");
	is_int(parse(SPORE_SVC_EXEC, ex, xl + 11), -EBADMSG, "EXEC without an argument is refused");
	is_int(parse(SPORE_SVC_EXEC, ex, xl + 20), -EBADMSG, "EXEC with an item not ended is refused");
	ex[xl + 5] = 'z';
	is_int(parse(SPORE_SVC_EXEC, ex, xl + 21), -EBADMSG, "EXEC with an item of an unknown kind");
	ex[xl + 5] = 'u';
	memcpy(ex + xl + 11, "\0\0", 2);
	is_int(parse(SPORE_SVC_EXEC, ex, xl + 21), -EBADMSG, "EXEC with an empty item is refused");
	memcpy(ex + xl + 11, "ae", 2);
	xh.flags = 0x80;
	memcpy(ex, &xh, sizeof(xh));
	is_int(parse(SPORE_SVC_EXEC, ex, xl + 21), -EBADMSG, "EXEC with an unknown flag is refused");
	xh.flags = SPORE_SVC_EXEC_TTY | SPORE_SVC_EXEC_STDIN_OPEN;
	xh.tty = (struct spore_svc_winsize){24, 80};
	memcpy(ex, &xh, sizeof(xh));
	is_int(parse(SPORE_SVC_EXEC, ex, xl + 21), 0, "EXEC -it with a terminal size");
	xh.flags = SPORE_SVC_EXEC_TOP;
	memcpy(ex, &xh, sizeof(xh));
	is_int(parse(SPORE_SVC_EXEC, ex, xl), 0, "EXEC TOP without items");
	is_int(parse(SPORE_SVC_EXEC, ex, xl + 21), -EBADMSG, "EXEC TOP with items is refused");
	xh.flags = SPORE_SVC_EXEC_TOP | SPORE_SVC_EXEC_TTY;
	memcpy(ex, &xh, sizeof(xh));
	is_int(parse(SPORE_SVC_EXEC, ex, xl), -EBADMSG, "EXEC TOP with another flag is refused");
	xh.flags = 0;
	memcpy(ex, &xh, sizeof(xh));
	is_int(parse(SPORE_SVC_EXEC, ex, xl), -EBADMSG, "EXEC without items or TOP is refused");
	struct spore_svc_winsize ws = {50, 132};
	is_int(parse(SPORE_SVC_EXEC_RESIZE, &ws, sizeof(ws)), 0, "EXEC_RESIZE");
	is_int(parse(SPORE_SVC_EXEC_RESIZE, &ws, 2), -EBADMSG, "EXEC_RESIZE of 2 bytes is refused");
	is_int(parse(SPORE_SVC_EXEC_STDIN, NULL, 0), 0, "EXEC_STDIN empty: EOF");
	is_int(parse(SPORE_SVC_EXEC_STDOUT, NULL, 0), -EBADMSG, "EXEC_STDOUT empty is refused");
	uint32_t xc = 255;
	is_int(parse(SPORE_SVC_EXEC_EXIT, &xc, 4), 0, "EXEC_EXIT 255");
	xc = 256;
	is_int(parse(SPORE_SVC_EXEC_EXIT, &xc, 4), -EBADMSG, "EXEC_EXIT 256 is refused");

	struct spore_svc_pong pong = {42, 3};
	is_int(parse(SPORE_SVC_PONG, &pong, sizeof(pong)), 0, "PONG");
	is_int(parse(SPORE_SVC_EOF, NULL, 0), 0, "EOF");

	/* LAUNCHED: a launch's phase times, bounded and consistent. */
	struct spore_svc_launched lt = {.reached = 1 << SPORE_LAUNCH_IMAGE | 1 << SPORE_LAUNCH_BUILD,
					.ns = {[SPORE_LAUNCH_IMAGE] = 5, [SPORE_LAUNCH_BUILD] = 7},
					.total_ns = 12};
	is_int(parse(SPORE_SVC_LAUNCHED, &lt, sizeof(lt)), 0, "LAUNCHED: two phases and their total");
	is_int(parse(SPORE_SVC_LAUNCHED, &lt, sizeof(lt) - 1), -EBADMSG, "LAUNCHED one byte short");
	lt.failed = 2;
	is_int(parse(SPORE_SVC_LAUNCHED, &lt, sizeof(lt)), -EBADMSG, "LAUNCHED: failed is 0 or 1");
	lt.failed = 1;
	lt.total_ns = 11;
	is_int(parse(SPORE_SVC_LAUNCHED, &lt, sizeof(lt)), -EBADMSG,
	       "LAUNCHED: phases beyond the total refused");
	lt.total_ns = 12;
	lt.ns[SPORE_LAUNCH_BOOT] = 1;
	lt.total_ns = 13;
	is_int(parse(SPORE_SVC_LAUNCHED, &lt, sizeof(lt)), -EBADMSG,
	       "LAUNCHED: a time for a phase not reached refused");
	lt.ns[SPORE_LAUNCH_BOOT] = 0;
	lt.reached = 1u << SPORE_LAUNCH_NPHASES;
	is_int(parse(SPORE_SVC_LAUNCHED, &lt, sizeof(lt)), -EBADMSG, "LAUNCHED: an unknown phase refused");
	lt.reached = 0;
	lt.ns[SPORE_LAUNCH_IMAGE] = lt.ns[SPORE_LAUNCH_BUILD] = 0;
	is_int(parse(SPORE_SVC_LAUNCHED, &lt, sizeof(lt)), -EBADMSG, "LAUNCHED: no phase refused");
	lt.reached = 1;
	lt.ns[0] = lt.total_ns = SPORE_LAUNCH_MAX_NS + 1;
	is_int(parse(SPORE_SVC_LAUNCHED, &lt, sizeof(lt)), -EBADMSG, "LAUNCHED: over a day refused");
	is_str(spore_launch_phase_name(SPORE_LAUNCH_DEVICES), "devices", "phase names");
	ok(!spore_launch_phase_name(SPORE_LAUNCH_NPHASES), "... none past the last");
	ok(spore_launch_phase_of("loop-image") == SPORE_LAUNCH_DISKS &&
		   spore_launch_phase_of("vif-up") == SPORE_LAUNCH_BOOT &&
		   spore_launch_phase_of("record-running") == SPORE_LAUNCH_RUNNING &&
		   spore_launch_phase_of("create-domain") == SPORE_LAUNCH_BUILD,
	   "step hooks' names map to phases (the builder's to build)");

	/* A round trip, and the receiver's view of a truncated packet. */
	int sv[2];
	ok(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) == 0, "a seqpacket pair");
	struct spore_err err = {0};
	is_int(spore_svc_send(sv[0], SPORE_SVC_OUTPUT, "hello", 5, 0), 0, "send OUTPUT");
	is_int(spore_svc_recv(sv[1], buf, &m, &err), 1, "receive it");
	ok(m.type == SPORE_SVC_OUTPUT && m.len == 5 && !memcmp(m.payload, "hello", 5),
	   "... type, length and bytes intact");
	is_int(spore_svc_send_error(sv[0], ENOENT, "no guest \x1b]52;%s", "x"), 0,
	       "send ERROR with a control byte in its text");
	is_int(spore_svc_recv(sv[1], buf, &m, &err), 1, "receive it");
	char text[SPORE_SVC_MAX_TEXT + 1];
	is_int(spore_svc_error_text(&m, text), ENOENT, "... its code");
	is_str(text, "no guest ?]52;x", "... its text, the control byte replaced");
	is_int(spore_svc_recv(sv[1], buf, &m, &err), -EAGAIN, "nothing more: -EAGAIN");
	uint8_t huge[SPORE_SVC_MAX_MSG + 16] = {0};
	ok(send(sv[0], huge, sizeof(huge), 0) == (ssize_t)sizeof(huge), "send an oversized packet");
	is_int(spore_svc_recv(sv[1], buf, &m, &err), -EBADMSG, "... refused as malformed");
	close(sv[0]);
	is_int(spore_svc_recv(sv[1], buf, &m, &err), 0, "the peer's close: 0");
	close(sv[1]);
	return tap_done();
}
