#!/bin/sh
# spore-runc's verbs that need no Xen (TAP): global options as containerd and
# podman pass them, state/ps/delete against a state directory written here,
# errors on stderr and in the --log file.
# Usage: runc_cli.sh SPORE-RUNC SUBREAPER RECVTTY
runc=$1 subreaper=$2 recvtty=$3
dir=$(mktemp -d /tmp/spore-runc-cli.XXXXXX) || exit 1
sleeper= sr=
trap '[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null; [ -n "$sr" ] && kill "$sr" 2>/dev/null; rm -rf "$dir"' EXIT
. "$(dirname "$0")/tap.sh"
has() { printf '%s\n' "$1" | grep -q -- "$2"; }
root=$dir/root
g="--root $root --log $dir/log.json --log-format json"

out=$("$runc" --version)
t "--version: first line NAME version X" has "$(printf '%s\n' "$out" | head -1)" '^spore-runc version [0-9]'
t "--version: then spec: Y" has "$(printf '%s\n' "$out" | sed -n 2p)" '^spec: 1\.'
t "--help lists the verbs" has "$("$runc" --help)" 'delete \[--force\] ID'

err=$("$runc" $g state nosuch 2>&1 >/dev/null)
t "state of a missing container: exit 1" [ $? -eq 1 ]
t "says does not exist, one line" [ "$err" = "spore-runc: container nosuch does not exist" ]
t "--log gets a JSON error line" has "$(tail -1 "$dir/log.json")" '^{"level": *"error", *"msg": *"container nosuch does not exist"'
"$runc" $g --systemd-cgroup --debug --criu /x --rootless false --cgroup-manager cgroupfs delete --force nosuch
t "runc's other global flags accepted; delete --force of nothing is 0" [ $? -eq 0 ]
"$runc" $g delete nosuch 2>/dev/null
t "delete without --force of nothing fails" [ $? -eq 1 ]
"$runc" --root "$root" --log "$dir/log.txt" state nosuch 2>/dev/null
t "text --log: logrus's line" has "$(cat "$dir/log.txt")" '^time="[0-9T:Z-]*" level=error msg="container nosuch does not exist"$'

"$runc" $g --bogus state x 2>/dev/null
t "unknown global option: exit 2" [ $? -eq 2 ]
"$runc" $g 2>/dev/null
t "no command: exit 2" [ $? -eq 2 ]
"$runc" $g state 2>/dev/null
t "state without an ID: exit 2" [ $? -eq 2 ]
"$runc" $g --log-format yaml state x 2>/dev/null
t "bad --log-format: exit 2" [ $? -eq 2 ]
err=$("$runc" $g checkpoint x 2>&1)
t "an unsupported runc verb: exit 1 and one clear line" sh -c '[ $1 -eq 1 ] && [ "$2" = "spore-runc: checkpoint: not supported by spore-runc" ]' - $? "$err"
"$runc" $g state ../../etc 2>/dev/null
t "a path as ID does not exist" [ $? -eq 1 ]

# A container as create leaves it, its host process a sleep.
sleep 600 &
sleeper=$!
start=$(sed 's/.*) //' /proc/$sleeper/stat | cut -d' ' -f20)
mkdir -p "$root/c1"
printf '{"ociVersion":"1.0.2","id":"c1","pid":%d,"pidStart":%s,"status":"running","bundle":"/b/c1","rootfs":"/b/c1/rootfs","created":"2026-12-07T13:00:00.000000000Z","uuid":"","annotations":{"a":"b"}}' \
	"$sleeper" "$start" >"$root/c1/state.json"
out=$("$runc" $g state c1)
t "state: running while its process lives" has "$out" '"status": "running"'
t "state: the pid" has "$out" "\"pid\": $sleeper"
t "state: annotations" has "$out" '"a": "b"'
t "ps --format json: [pid]" [ "$("$runc" $g ps --format json c1)" = "[$sleeper]" ]
err=$("$runc" $g start c1 2>&1)
t "start of a running container fails" sh -c '[ $1 -eq 1 ] && [ "$2" = "spore-runc: cannot start a container that is running" ]' - $? "$err"
"$runc" $g kill c1 FOO 2>/dev/null
t "kill with an unknown signal: exit 2" [ $? -eq 2 ]
err=$("$runc" $g kill c1 USR1 2>&1)
t "kill with a signal no guest gets: exit 1, says so" sh -c '[ $1 -eq 1 ] && printf "%s" "$2" | grep -q "signal 10: only stop signals and SIGKILL"' - $? "$err"
err=$("$runc" $g delete c1 2>&1)
t "delete of a running container without --force fails" sh -c '[ $1 -eq 1 ] && printf "%s" "$2" | grep -q "not stopped: running"' - $? "$err"
printf '{"id":"c2","pid":%d,"pidStart":1,"status":"running","bundle":"/b"}' "$sleeper" >"$dir/s2"
mkdir -p "$root/c2" && mv "$dir/s2" "$root/c2/state.json"
t "state: a recycled pid (other start time) is stopped" has "$("$runc" $g state c2)" '"status": "stopped"'
t "ps of a stopped container: []" [ "$("$runc" $g ps --format json c2)" = "[]" ]
err=$("$runc" $g kill c2 9 2>&1)
t "kill of a stopped container: container not running" sh -c '[ $1 -eq 1 ] && [ "$2" = "spore-runc: container not running" ]' - $? "$err"
t "... also in the --log file" has "$(tail -1 "$dir/log.json")" '"msg": *"container not running"'
err=$("$runc" $g start c2 2>&1)
t "start of a stopped container fails" [ "$err" = "spore-runc: cannot start a container that is stopped" ]
"$runc" $g delete c2
t "delete of a stopped container: no --force needed" [ $? -eq 0 ] && [ ! -e "$root/c2" ]
"$runc" $g delete --force c1
t "delete --force of a running one: 0" [ $? -eq 0 ]
wait "$sleeper"
rc=$?
t "its process was killed (SIGKILL: 137)" [ $rc -eq 137 ]
sleeper=
t "and its state is gone" [ ! -e "$root/c1" ]
"$runc" $g delete --force c1
t "delete --force again: still 0" [ $? -eq 0 ]

# create without Xen: everything up to the guest is done, then undone.
mkdir -p "$dir/b/rootfs/bin" "$dir/sr"
echo hi >"$dir/b/rootfs/bin/x"
printf '{"process":{"args":["/bin/x"]},"root":{"path":"rootfs"}}' >"$dir/b/config.json"
if [ -e /dev/xen/privcmd ]; then
	echo "ok $((n += 1)) # SKIP create's failure path: this host runs Xen"
elif ! command -v gensquashfs >/dev/null; then
	echo "ok $((n += 1)) # SKIP create's failure path: no gensquashfs"
else
	: >"$dir/kernel"
	out=$(SPORE_ROOT=$dir/sr SPORE_KERNEL=$dir/kernel SPORE_INITRD=$dir/kernel \
		"$runc" $g create --bundle "$dir/b" --pid-file "$dir/b/init.pid" c3 2>"$dir/err")
	rc=$?
	t "create without Xen: exit 1" [ $rc -eq 1 ]
	t "... nothing on stdout (the container's stream)" [ -z "$out" ]
	t "... one line naming privcmd" sh -c '[ $(wc -l <"$1") -eq 1 ] && grep -q "^spore-runc: create c3: .*privcmd" "$1"' - "$dir/err"
	t "... no pid file" [ ! -e "$dir/b/init.pid" ]
	t "... no state left" [ ! -e "$root/c3" ]
	t "... no image or temp left" [ -z "$(ls -A "$dir/sr/runc/images")" ]
fi
err=$("$runc" $g create --bundle "$dir/nosuch" --pid-file "$dir/p" c4 2>&1)
t "create with a missing bundle: exit 1, one line" sh -c '[ $1 -eq 1 ] && [ $(printf "%s\n" "$2" | wc -l) -eq 1 ]' - $? "$err"
err=$("$runc" $g create --bundle "$dir/b" --pid-file "$dir/p" --console-socket "$dir/no.sock" c5 2>&1)
t "--console-socket without process.terminal: refused" sh -c '[ $1 -eq 1 ] && printf "%s" "$2" | grep -q "without process.terminal"' - $? "$err"
printf '{"process":{"args":["/bin/x"],"terminal":true},"root":{"path":"rootfs"}}' >"$dir/b/config.json"
err=$("$runc" $g create --bundle "$dir/b" --pid-file "$dir/p" c5 2>&1)
t "process.terminal without --console-socket: refused" sh -c '[ $1 -eq 1 ] && printf "%s" "$2" | grep -q "needs --console-socket"' - $? "$err"
t "... no state left" [ ! -e "$root/c5" ]
if [ -e /dev/xen/privcmd ] || ! command -v gensquashfs >/dev/null; then
	echo "ok $((n += 1)) # SKIP the console socket without Xen: Xen here, or no gensquashfs"
else
	"$recvtty" "$dir/tty.sock" >"$dir/tty.out" 2>"$dir/tty.err" &
	rt=$!
	i=0
	while [ ! -S "$dir/tty.sock" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	SPORE_ROOT=$dir/sr SPORE_KERNEL=$dir/kernel SPORE_INITRD=$dir/kernel \
		"$runc" $g create --bundle "$dir/b" --pid-file "$dir/p" --console-socket "$dir/tty.sock" c6 2>/dev/null
	rc=$?
	wait "$rt"
	t "--console-socket: the pty's master and name arrive before create ends (exit 1 without Xen)" \
		sh -c '[ $1 -eq 1 ] && grep -q "^pty /dev/pts/[0-9]*$" "$2"' - $rc "$dir/tty.err"
	t "... no state left" [ ! -e "$root/c6" ]
fi
"$runc" $g create --bundle "$dir/b" --pid-file "$dir/p" ../x 2>/dev/null
t "create with a bad ID: exit 2" [ $? -eq 2 ]

# CRI's sandbox (pause) container: no guest, a host process only, the
# whole life cycle without Xen, under a subreaper as the shim runs it.
mkdir -p "$dir/sb"
printf '{"process":{"args":["/pause"]},"root":{"path":"rootfs"},"annotations":{"io.kubernetes.cri.container-type":"sandbox"}}' >"$dir/sb/config.json"
sandbox() { # ID: create under the subreaper; waits for create's own end
	"$subreaper" "$dir/$1.reaped" "$runc" $g create --bundle "$dir/sb" --pid-file "$dir/sb/$1.pid" "$1" >"$dir/$1.out" 2>&1 &
	sr=$!
	i=0
	while [ ! -s "$dir/$1.reaped" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
}
reaped() { awk -v p="$2" '$1 == p {print $2}' "$dir/$1.reaped"; } # ID PID
sandbox pod1
t "sandbox create: exit 0, nothing printed" sh -c '[ "$(cat "$1")" = "$2 0" ] && [ ! -s "$3" ]' - "$dir/pod1.reaped" "$(awk 'NR == 1 {print $1}' "$dir/pod1.reaped")" "$dir/pod1.out"
pid=$(cat "$dir/sb/pod1.pid")
t "... its pid file, no newline, a live process" sh -c '[ $(wc -l <"$1") -eq 0 ] && kill -0 "$2"' - "$dir/sb/pod1.pid" "$pid"
t "... state: created" has "$("$runc" $g state pod1)" '"status": "created"'
"$runc" $g start pod1
t "start: running" has "$("$runc" $g state pod1)" '"status": "running"'
"$runc" $g kill pod1 15
wait "$sr"
t "kill 15: the pause process ends with 0, as pause does" [ "$(reaped pod1 "$pid")" = 0 ]
t "state: stopped" has "$("$runc" $g state pod1)" '"status": "stopped"'
"$runc" $g delete pod1 && "$runc" $g delete --force pod1
t "delete, delete --force: gone" [ ! -e "$root/pod1" ]
sandbox pod2
pid=$(cat "$dir/sb/pod2.pid")
"$runc" $g kill --all pod2 9
wait "$sr"
t "kill --all 9 of a created sandbox: 137" [ "$(reaped pod2 "$pid")" = 137 ]
sandbox pod3
pid=$(cat "$dir/sb/pod3.pid")
"$runc" $g start pod3
"$runc" $g delete --force pod3
wait "$sr"
t "delete --force of a running sandbox: its process killed, state gone" sh -c '[ "$1" = 137 ] && [ ! -e "$2" ]' - "$(reaped pod3 "$pid")" "$root/pod3"
sr=

tap_done
