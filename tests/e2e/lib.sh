# Helpers for end-to-end tests. Each test file in tests/e2e/t/ is a bash
# script run as root in the sandbox's dom0 (cwd: the repository). It prints
# TAP result lines without numbers ("ok - what", "not ok - what"); the suite
# numbers them. Source this file from a test.
# shellcheck shell=bash

E2E_TMP=$(mktemp -d /tmp/e2e.XXXXXX)
trap 'rm -rf "$E2E_TMP"' EXIT

# check DESC CMD...: passes when CMD exits 0; shows its output otherwise.
check() {
	local desc=$1
	shift
	if "$@" >"$E2E_TMP/out" 2>&1; then
		echo "ok - $desc"
	else
		echo "not ok - $desc (exit $?)"
		sed 's/^/#   /' "$E2E_TMP/out" | head -n 30
	fi
}

# check_fails DESC CMD...: passes when CMD exits non-zero.
check_fails() {
	local desc=$1
	shift
	if "$@" >"$E2E_TMP/out" 2>&1; then
		echo "not ok - $desc (unexpectedly succeeded)"
		sed 's/^/#   /' "$E2E_TMP/out" | head -n 30
	else
		echo "ok - $desc"
	fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "#   got:  '$2'"
		echo "#   want: '$3'"
	fi
}

# check_match DESC TEXT REGEX (extended regex)
check_match() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then
		echo "ok - $1"
	else
		echo "not ok - $1"
		echo "#   '$2' does not match /$3/" | head -n 20
	fi
}

skip() {
	echo "ok - $1 # SKIP $2"
}

# need_launch WHAT [--repo NAME] [FILE...]: for the files that launch
# guests. Sets reg (the test registry, the host's loopback seen from dom0),
# img (its busybox) and kernel (spore's); unless the registry answers (for
# NAME's tags, with --repo), and spore's kernel and each FILE exist, reports
# WHAT as skipped and ends the test file.
need_launch() {
	local what=$1 url f
	shift
	# shellcheck disable=SC2034 # for the test files
	reg=10.0.2.2:5000 img=10.0.2.2:5000/spore-test/busybox:latest kernel=.cache/kernel/spore-vmlinuz
	url=http://$reg/v2/
	if [ "${1:-}" = --repo ]; then
		url=http://$reg/v2/$2/tags/list
		shift 2
	fi
	if ! wget -q -O /dev/null "$url" 2>/dev/null; then
		skip "$what" "test registry not reachable at $url (scripts/test-registry.sh start)"
		exit 0
	fi
	for f in "$kernel" "$@"; do
		if [ ! -e "$f" ]; then
			skip "$what" "$f is not built (kernel/build.sh, ninja -C build)"
			exit 0
		fi
	done
}

# need_peers WHAT: for the files that run Debian's container engines
# (header "# e2e-needs: peers": tests/e2e/run.sh fetches them on the host
# into .cache/sandbox/peers, scripts/lib/sandbox-peers.sh). Puts containerd,
# ctr, its shims, runc, podman and conmon on PATH and the libraries dom0
# lacks in its library directory (dom0 is rebuilt at every boot: nothing
# outlives the run), podman's default policy in /etc/containers; reports
# WHAT as skipped and ends the test file when they were not fetched.
need_peers() {
	local p=$PWD/.cache/sandbox/peers f
	if [ ! -e "$p/.done" ]; then
		skip "$1" "Debian's container engines are not fetched (tests/e2e/run.sh fetches them)"
		exit 0
	fi
	for f in "$p"/lib/*; do
		[ -e "/lib/x86_64-linux-gnu/${f##*/}" ] || ln -s "$f" /lib/x86_64-linux-gnu/
	done
	for f in "$p"/bin/*; do
		ln -sfn "$(readlink -f "$f")" "/usr/local/bin/${f##*/}"
	done
	mkdir -p /etc/containers
	[ -e /etc/containers/policy.json ] || cp "$p/root/etc/containers/policy.json" /etc/containers/
}

# wait_for SECONDS CMD...: polls CMD (quietly, every 0.3 s: no busier, so as
# not to take dom0's CPUs from what is awaited) until it succeeds; 1 when
# SECONDS pass first.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.3
	done
}

# A guest's console output so far, from spored's log of it (sporectl logs),
# without the tty's \r; and whether it says something (a grep -E pattern).
guest_log() { sporectl logs --raw "$1" 2>/dev/null | tr -d '\r'; }
console_says() { guest_log "$1" | grep -q -- "$2"; }

# --- hostile guests (tests/e2e/t/8N-hostile-*.sh)

# hostile_initrd OUT: writes an initrd of busybox (every applet on PATH) and
# tests/tools/guest-xs whose /init runs the script on stdin after mounting
# /proc and /dev, in place of sporeinit (launch's SPORE_INITRD).
hostile_initrd() {
	local out=$1 d a
	d=$(mktemp -d "$E2E_TMP/initrd.XXXXXX")
	mkdir -p "$d/bin" "$d/proc" "$d/dev" "$d/tmp"
	cp "$(command -v busybox)" "$d/bin/busybox"
	cp "${SPORE_BUILD:-build}/tests/guest-xs" "$d/bin/guest-xs"
	for a in $(busybox --list); do
		[ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"
	done
	{
		printf '#!/bin/sh\nexport PATH=/bin\nmount -t proc proc /proc\n'
		printf 'mount -t devtmpfs dev /dev\n'
		cat
	} >"$d/init"
	chmod +x "$d/init"
	(cd "$d" && find . | cpio -o -H newc 2>/dev/null) >"$out"
}

# dom0_usage: one line of what dom0 spends (printed before and after each
# case; figures, not assertions). dom0's root is its initramfs (RAM): disk
# is what spore's state, logs and temp files take there.
dom0_usage() {
	local xs=0 p r d disk=
	for p in $(pidof oxenstored xenstored 2>/dev/null); do
		r=$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null)
		xs=$((xs + ${r:-0}))
	done
	for d in /var/lib/spore /var/log /tmp /run; do
		disk+=" $d $(du -sk "$d" 2>/dev/null | cut -f1) kB,"
	done
	echo "MemAvailable $(awk '/^MemAvailable/ {print $2}' /proc/meminfo) kB," \
		"xenstored RSS $xs kB;${disk%,}"
}

# now_ms: a monotonic clock in ms (dom0's busybox date has no %N).
now_ms() { awk '{printf "%d\n", $1 * 1000}' /proc/uptime; }

# leak_state: what a guest could leave behind, as one comparable line:
# domains, loop devices, xenstore nodes, sporenet processes (parent and
# workers), loop-tagged spore devices.
leak_state() {
	echo "domains $(xl list 2>/dev/null | tail -n +2 | wc -l)" \
		"loops $(losetup -a 2>/dev/null | wc -l)" \
		"nodes $(xenstore-ls -f / 2>/dev/null | wc -l)" \
		"sporenet $(pidof sporenet 2>/dev/null | wc -w)"
}

# leak_baseline: leak_state once dom0 is quiet (a guest that just ended may
# still be going: two readings a second apart agree; at most 30 s).
leak_baseline() {
	local a b i=0
	a=$(leak_state)
	while [ $i -lt 30 ]; do
		sleep 1
		b=$(leak_state)
		[ "$a" = "$b" ] && break
		a=$b
		i=$((i + 1))
	done
	echo "$a"
}

# check_no_leak DESC BEFORE: waits (bounded, 60 s) for leak_state to come
# back to BEFORE, then passes; otherwise shows both.
check_no_leak() {
	local desc=$1 before=$2 now
	# shellcheck disable=SC2317 # called through wait_for
	same_state() { [ "$(leak_state)" = "$before" ]; }
	if wait_for 60 same_state; then
		echo "ok - $desc ($before)"
	else
		now=$(leak_state)
		echo "not ok - $desc"
		echo "#   before: $before"
		echo "#   after:  $now"
	fi
}

# no_raw_controls DESC FILE: passes when FILE holds no escape, BEL or other
# C0 control byte but tab and newline (what a guest wrote, shown raw).
no_raw_controls() {
	local n
	n=$(LC_ALL=C tr -d '\t\n\040-\176\200-\377' <"$2" | wc -c)
	if [ "$n" -eq 0 ]; then
		echo "ok - $1"
	else
		echo "not ok - $1 ($n control bytes)"
		LC_ALL=C tr -d '\t\n\040-\176\200-\377' <"$2" | od -c | head -n 4 | sed 's/^/#   /'
	fi
}

# guest_uuid NAME, guest_domid NAME: a guest's record UUID and domid by name.
guest_uuid() {
	local u
	for u in $(xenstore-list /spore/guests 2>/dev/null); do
		[ "$(xenstore-read "/spore/guests/$u/name" 2>/dev/null)" = "$1" ] && echo "$u" && return 0
	done
	return 1
}
guest_domid() {
	local u
	u=$(guest_uuid "$1") && xenstore-read "/spore/guests/$u/domid" 2>/dev/null
}

# sporenet_pid: the sporenet parent (the oldest sporenet process; dom0's
# busybox pidof has no -s).
sporenet_pid() { pidof sporenet 2>/dev/null | tr ' ' '\n' | sort -n | head -n 1; }
