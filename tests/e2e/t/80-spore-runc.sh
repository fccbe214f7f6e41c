#!/bin/bash
# spore-runc driven as containerd's runc v2 shim drives it: a bundle
# directory (config.json + rootfs/, busybox's image unpacked), create under
# a child subreaper (the shim is one), the pid file read once create
# returns, start, the host process's exit status awaited, delete, delete
# --force; kill TERM -> 143, kill --all 9 -> 137, kill of a created
# container; a terminal through --console-socket; nothing left behind (guest records, loop devices, state,
# private images, temps).
. tests/e2e/lib.sh

need_launch "spore-runc"
build=${SPORE_BUILD:-build}
runc=$PWD/$build/runtime/spore-runc
subreaper=$PWD/$build/tests/subreaper
recvtty=$PWD/$build/tests/recvtty
for f in "$runc" "$subreaper" "$recvtty"; do
	[ -x "$f" ] || { echo "not ok - $f is built (ninja -C $build)"; exit 0; }
done
b=$E2E_TMP/bundle
root=$E2E_TMP/state
g=(--root "$root" --log "$b/log.json" --log-format json)
images=${SPORE_ROOT:-/var/lib/spore}/runc/images

check "the test image is cached" sporectl image pull --insecure-registry "$reg" "$img"
sq=$(sporectl image path "$img" 2>/dev/null | awk 'NR == 1 {print $NF}')
mkdir -p "$b"
check "busybox's root unpacked as the bundle's rootfs" unsquashfs -q -n -d "$b/rootfs" "$sq"
guests_before=$(xenstore-list /spore/guests 2>/dev/null | sort | tr '\n' ' ')
loops_before=$(losetup -a 2>/dev/null | wc -l)

config() { # ARGS-JSON [TERMINAL]: a config.json as containerd writes one, trimmed
	printf '{"ociVersion":"1.0.2","process":{"terminal":%s,"user":{"uid":0,"gid":0},"args":%s,"env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"cwd":"/","capabilities":{"bounding":["CAP_KILL"]},"noNewPrivileges":true},"root":{"path":"rootfs"},"hostname":"runc-e2e","mounts":[{"destination":"/proc","type":"proc","source":"proc"}],"linux":{"resources":{"memory":{"limit":134217728}},"cgroupsPath":"/default/x","namespaces":[{"type":"pid"},{"type":"mount"}]}}' \
		"${2:-false}" "$1" >"$b/config.json"
}

# create ID [OPTION...]: under the subreaper, in the background ($sr), the container's
# stdout/stderr in $E2E_TMP/ID.out/.err, reaped statuses in ID.reaped. Waits
# for create itself to end; its status in $create_rc.
create() {
	local id=$1
	shift
	rm -f "$b/init.pid"
	"$subreaper" "$E2E_TMP/$id.reaped" "$runc" "${g[@]}" create --bundle "$b" \
		--pid-file "$b/init.pid" "$@" "$id" >"$E2E_TMP/$id.out" 2>"$E2E_TMP/$id.err" &
	sr=$!
	wait_for 300 test -s "$E2E_TMP/$id.reaped"
	create_rc=$(awk 'NR == 1 {print $2}' "$E2E_TMP/$id.reaped")
}
# status_of ID PID: the reaped status of PID (after `wait "$sr"` in this
# shell: the subreaper ends once the container's process has).
gone() { ! kill -0 "$1" 2>/dev/null; }
wait_sr() { # bounded: a container process that never ends fails the check, not the file
	if ! wait_for 300 gone "$sr"; then
		echo "# the container's process $pid did not end: killed"
		kill -9 "$pid" "$sr" 2>/dev/null
	fi
	wait "$sr"
}
status_of() { awk -v p="$2" '$1 == p {print $2}' "$E2E_TMP/$1.reaped"; }
state_of() { "$runc" "${g[@]}" state "$1" 2>&1 | sed -n 's/.*"status": "\(.*\)".*/\1/p'; }

# 1. create, start, exit status and output.
config '["/bin/sh","-c","echo out-42 $(hostname); exit 3"]'
create t1
check_eq "create exits 0" "$create_rc" 0
check_eq "create printed nothing (the caller's pipes are the container's)" "$(cat "$E2E_TMP/t1.out" "$E2E_TMP/t1.err")" ""
pid=$(cat "$b/init.pid" 2>/dev/null)
check_match "the pid file holds a pid" "$pid" '^[0-9]+$'
check_eq "... and no newline" "$(wc -l <"$b/init.pid")" 0
check "the pid is a live process" kill -0 "$pid"
check_eq "state: created" "$(state_of t1)" created
sleep 2
check_eq "nothing ran before start" "$(cat "$E2E_TMP/t1.out")" ""
check "start" "$runc" "${g[@]}" start t1
wait_sr
check_eq "the container's status is the pid's exit status (3)" "$(status_of t1 "$pid")" 3
check_match "its stdout reached the caller's pipe, with config.json's hostname" "$(cat "$E2E_TMP/t1.out")" 'out-42 runc-e2e'
check_eq "state: stopped" "$(state_of t1)" stopped
check "delete" "$runc" "${g[@]}" delete t1
check "delete --force after delete: 0" "$runc" "${g[@]}" delete --force t1
check_match "state after delete: does not exist" "$("$runc" "${g[@]}" state t1 2>&1)" 'container t1 does not exist'

# 2. kill TERM -> 143.
config '["/bin/sh","-c","echo ready; exec sleep 600"]'
create t2
pid=$(cat "$b/init.pid" 2>/dev/null)
check "t2 created and started" "$runc" "${g[@]}" start t2
check "t2 runs" wait_for 120 grep -q ready "$E2E_TMP/t2.out"
check_eq "state: running" "$(state_of t2)" running
check_eq "ps --format json: [pid]" "$("$runc" "${g[@]}" ps --format json t2)" "[$pid]"
check "kill t2 15" "$runc" "${g[@]}" kill t2 15
wait_sr
check_eq "SIGTERM: 143" "$(status_of t2 "$pid")" 143
check_match "kill of the stopped container: container not running" \
	"$("$runc" "${g[@]}" kill t2 9 2>&1)" 'container not running'
check "delete t2" "$runc" "${g[@]}" delete t2

# 3. kill --all 9 -> 137, as CRI does after a container exits.
create t3
pid=$(cat "$b/init.pid" 2>/dev/null)
check "t3 started" "$runc" "${g[@]}" start t3
check "t3 runs" wait_for 120 grep -q ready "$E2E_TMP/t3.out"
check "kill --all t3 9" "$runc" "${g[@]}" kill --all t3 9
wait_sr
check_eq "SIGKILL: 137" "$(status_of t3 "$pid")" 137
check "delete t3, then delete --force" sh -c '"$0" "$@" delete t3 && "$0" "$@" delete --force t3' "$runc" "${g[@]}"

# 4. a created container killed before start; delete --force of a running one.
create t4
pid=$(cat "$b/init.pid" 2>/dev/null)
check "kill of a created container" "$runc" "${g[@]}" kill t4 15
wait_sr
check_eq "... its process ends, 137" "$(status_of t4 "$pid")" 137
check "delete t4" "$runc" "${g[@]}" delete t4
create t5
pid=$(cat "$b/init.pid" 2>/dev/null)
check "t5 started" "$runc" "${g[@]}" start t5
check_fails "delete of a running container without --force fails" "$runc" "${g[@]}" delete t5
check "delete --force of a running container" "$runc" "${g[@]}" delete --force t5
wait_sr
check_eq "... its process ends, 137" "$(status_of t5 "$pid")" 137

# 5. a terminal, as conmon and ctr -t ask for one: the pty's master goes to
# the caller over --console-socket, the container's tty is its console.
config '["/bin/sh","-c","tty; echo tty-ok; exit 4"]' true
"$recvtty" "$E2E_TMP/tty.sock" >"$E2E_TMP/tty.out" 2>"$E2E_TMP/tty.err" &
rt=$!
wait_for 10 test -S "$E2E_TMP/tty.sock"
create t6 --console-socket "$E2E_TMP/tty.sock"
pid=$(cat "$b/init.pid" 2>/dev/null)
check_eq "create with a terminal exits 0" "$create_rc" 0
check_match "the caller got the pty before create ended" "$(cat "$E2E_TMP/tty.err")" '^pty /dev/pts/[0-9]+$'
check "start t6" "$runc" "${g[@]}" start t6
wait_sr
check_eq "the terminal container's status (4)" "$(status_of t6 "$pid")" 4
wait_for 30 gone "$rt" || kill "$rt"
check_match "its output came through the pty" "$(cat "$E2E_TMP/tty.out")" 'tty-ok'
check_match "... and it had a terminal" "$(cat "$E2E_TMP/tty.out")" '/dev/(hvc0|console|tty)'
check_eq "nothing on create's own stdout and stderr" "$(cat "$E2E_TMP/t6.out" "$E2E_TMP/t6.err")" ""
check "delete t6" "$runc" "${g[@]}" delete t6

# Nothing left behind.
sleep 1
check_eq "no guest record left" "$(xenstore-list /spore/guests 2>/dev/null | sort | tr '\n' ' ')" "$guests_before"
check_eq "no loop device left" "$(losetup -a 2>/dev/null | wc -l)" "$loops_before"
check_eq "no state left" "$(ls -A "$root" 2>/dev/null)" ""
check_eq "no private image or temp left" "$(ls -A "$images" 2>/dev/null | grep -E '^(ctr-|runc-)')" ""
check_eq "no domain left but dom0" "$(xl list 2>/dev/null | awk 'NR > 2' | wc -l)" 0
check_match "the --log file holds the refusals as JSON" "$(cat "$b/log.json")" '"level": *"error"'
