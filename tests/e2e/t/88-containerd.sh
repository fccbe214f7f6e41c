#!/bin/bash
# spore-runc under Debian's real containerd 1.6 (ctr, the runc v2 shim) and
# podman 4.3 (conmon 2.1), each first with Debian's runc to show the
# harness is right: `run --rm` prints the container's output and exits
# with its status (3); a detached container stopped with SIGTERM gives
# 143, with SIGKILL 137; after the removal nothing is left (guest, loop
# device, xenstore node, spore-runc state or temp image).
# How they run in the busybox dom0 (no systemd, root on the initramfs):
# - containerd: its own config, root, state and socket under the test's
#   /tmp dir, the CRI plugin off; the test registry's image pulled with
#   `ctr images pull --plain-http`; `ctr run --runc-binary`, with runc
#   `--no-pivot` too (pivot_root fails on an initramfs). Not with
#   spore-runc: containerd 1.6 sends --no-pivot as task options, which
#   replace the runtime's, --runc-binary included (runc ran instead).
#   Exit statuses from `ctr events` (ctr 1.6's `task delete` gives none).
# - podman: `--root/--runroot` under /tmp (overlay driver),
#   `--cgroup-manager cgroupfs --events-backend file`, CONTAINERS_CONF with
#   no_pivot_root and conmon's path, `--network none`, pulled with
#   `--tls-verify=false`; Debian's policy.json in /etc/containers, and a
#   /var/tmp (containers/storage writes its temp files there).
# - runc needs cgroup2 mounted on /sys/fs/cgroup (done here when it is not).
# e2e-needs: peers
# e2e-timeout: 900
. tests/e2e/lib.sh

# About 8 minutes of TCG: outside the whole suite's run (CI's time), in it
# when named (tests/e2e/run.sh 88) or with SPORE_E2E_PEERS=1.
if [ -z "${SPORE_E2E_PEERS:-}" ]; then
	skip "containerd and podman with spore-runc" \
		"8 minutes under TCG (tests/e2e/run.sh 88, or SPORE_E2E_PEERS=1)"
	exit 0
fi
need_launch "containerd and podman with spore-runc"
need_peers "containerd and podman with spore-runc"
build=${SPORE_BUILD:-build}
spore_runc=$PWD/$build/runtime/spore-runc
[ -x "$spore_runc" ] || { echo "not ok - $spore_runc is built (ninja -C $build)"; exit 0; }
runc=$(command -v runc)
images=${SPORE_ROOT:-/var/lib/spore}/runc/images
T=$E2E_TMP
cpid= epid=
images_before=$(ls -A "$images" 2>/dev/null | sort | tr '\n' ' ')

cleanup() {
	local c
	for c in $(podman_ ps -aq 2>/dev/null); do podman_ rm -f "$c" >/dev/null 2>&1; done
	for c in $(ctr_ task ls -q 2>/dev/null); do ctr_ task kill -s KILL "$c" >/dev/null 2>&1; done
	sleep 1
	for c in $(ctr_ task ls -q 2>/dev/null); do ctr_ task delete -f "$c" >/dev/null 2>&1; done
	for c in $(ctr_ container ls -q 2>/dev/null); do ctr_ container rm "$c" >/dev/null 2>&1; done
	[ -z "$cpid" ] || { kill $epid "$cpid"; wait $epid "$cpid"; } 2>/dev/null
	for c in $(awk -v t="$T/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r); do
		umount "$c" 2>/dev/null || umount -l "$c"
	done
	# The images spore-runc cached for these snapshots (dom0's RAM).
	for c in $(ls -A "$images" 2>/dev/null); do
		case " $images_before " in *" $c "*) ;; *) rm -f "$images/$c" ;; esac
	done
	rm -rf "$T"
}
trap cleanup EXIT

grep -q " /sys/fs/cgroup " /proc/mounts || mount -t cgroup2 cgroup2 /sys/fs/cgroup ||
	echo "# cgroup2 could not be mounted: runc will fail"

# step DESC CMD...: check, returning CMD's status.
step() {
	local d=$1
	shift
	if "$@" >"$E2E_TMP/out" 2>&1; then
		echo "ok - $d"
		return 0
	fi
	echo "not ok - $d"
	sed 's/^/#   /' "$E2E_TMP/out" | head -n 20
	return 1
}
# Shows a failure's context: the last lines of FILE...
# (containerd's: its warnings and errors).
tail_of() {
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		case $f in *containerd.log) grep -E 'level=(warn|error|fatal)' "$f" ;; *) cat "$f" ;; esac |
			tail -n 15 | sed "s|^|#   ${f##*/}: |"
	done
}

# nothing_left DESC BEFORE: no guest, loop device, xenstore node, domain or
# spore-runc state/temp beyond what was there before.
nothing_left() {
	local out
	out=$(check_no_leak "$1: no guest, loop device or xenstore node left" "$2")
	echo "$out"
	case $out in "not ok"*)
		xenstore-ls -f / 2>/dev/null | cut -c1-160 | sort >"$T/xs.after"
		diff "$T/xs.before" "$T/xs.after" | grep -E '^[-+<>][^-+]' | head -n 20 | sed 's/^/#   /' ;;
	esac
	check_eq "$1: no runtime state left" "$(ls -A /run/containerd/runc/default /run/spore-runc \
		"$T/podman/run/runc" 2>/dev/null | grep -v ':$' | grep .)" ""
	check_eq "$1: no temp or private image left" "$(ls -A "$images" 2>/dev/null | grep -E '^(ctr-|runc-)')" ""
}

# --- containerd
mkdir -p "$T/containerd"
cat >"$T/containerd/config.toml" <<EOF
version = 2
root = "$T/containerd/root"
state = "$T/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$T/containerd/sock"
[ttrpc]
  address = "$T/containerd/sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$T/containerd/opt"
EOF
CTR=(ctr --address "$T/containerd/sock")
ctr_() { "${CTR[@]}" "$@"; }
containerd --config "$T/containerd/config.toml" >"$T/containerd.log" 2>&1 &
cpid=$!
if ! wait_for 120 ctr_ version; then
	echo "not ok - containerd answers on its socket"
	tail_of "$T/containerd.log"
	exit 0
fi
# containerd's events (ctr 1.6's task delete does not give the exit status).
ctr_ events >"$T/events" 2>&1 &
epid=$!
exit_status() {
	local l
	l=$(grep '/tasks/exit ' "$T/events" | grep -F "\"container_id\":\"$1\"" | tail -n 1)
	[ -n "$l" ] || return
	case $l in *'"exit_status":'*) l=${l#*\"exit_status\":}; echo "${l%%[!0-9]*}" ;; *) echo 0 ;; esac
}
check "ctr pulls the test image (plain http)" ctr_ images pull --plain-http "$img"
# A first guest makes spore's empty parent nodes (/spore/guests, /spore/claims,
# /vm, dom0's backend directories), which stay: the baselines come after one.
check "a first spore-runc container (warm-up)" timeout 300 "${CTR[@]}" run --rm \
	--runc-binary "$spore_runc" "$img" warm-up true

# ctr_state ID: the task's status (RUNNING, STOPPED, ...).
ctr_state() { ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id {print $3}'; }
ctr_stopped() { [ "$(ctr_state "$1")" = STOPPED ]; }
ctr_running() { [ "$(ctr_state "$1")" = RUNNING ]; }

# ctr_cases NAME BINARY SLEEPER [CTR-RUN-OPTION...]: run --rm, then TERM and
# KILL of a detached one (SLEEPER: a command that prints "ready" and ends on
# SIGTERM with 143).
ctr_cases() {
	local n=$1 bin=$2 sleeper=$3 before out rc sig want
	shift 3
	before=$(leak_baseline)
	xenstore-ls -f / 2>/dev/null | cut -c1-160 | sort >"$T/xs.before"
	out=$(timeout 300 "${CTR[@]}" run --rm "$@" --runc-binary "$bin" "$img" "$n-rm" \
		sh -c 'echo out-42; exit 3' 2>"$T/$n-rm.err")
	rc=$?
	check_eq "$n: ctr run --rm prints the container's output" "$out" out-42
	check_eq "$n: ... and exits with its status (3)" "$rc" 3
	[ "$rc" = 3 ] || tail_of "$T/$n-rm.err" "$T/containerd.log"
	for sig in TERM KILL; do
		want=$([ $sig = TERM ] && echo 143 || echo 137)
		if ! step "$n: ctr run -d ($sig)" timeout 300 "${CTR[@]}" run -d "$@" --runc-binary "$bin" \
			"$img" "$n-$sig" sh -c "$sleeper"; then
			tail_of "$T/containerd.log"
			continue
		fi
		check "$n: the detached container runs" wait_for 120 ctr_running "$n-$sig"
		sleep 1 # its shell is past "ready" and waiting
		check "$n: ctr task kill -s $sig" ctr_ task kill -s $sig "$n-$sig"
		check "$n: ... the task stops" wait_for 120 ctr_stopped "$n-$sig"
		[ "$(ctr_state "$n-$sig")" = STOPPED ] ||
			tail_of "$T/containerd/state/io.containerd.runtime.v2.task/default/$n-$sig/log.json" "$T/containerd.log"
		check_eq "$n: containerd's exit event gives the status ($want)" "$(exit_status "$n-$sig")" "$want"
		check "$n: ctr task delete" ctr_ task delete "$n-$sig"
		check "$n: ctr container rm" ctr_ container rm "$n-$sig"
	done
	nothing_left "$n" "$before"
}
# runc's container is PID 1 of its namespace: without a handler SIGTERM
# would not end it. sporeinit is the guest's PID 1: the workload is not.
ctr_cases runc "$runc" 'trap "exit 143" TERM; echo ready; while :; do sleep 1; done' --no-pivot
ctr_cases spore-runc "$spore_runc" 'echo ready; exec sleep 600'
check "containerd: no task or container left" test -z "$(ctr_ task ls -q; ctr_ container ls -q)"
kill "$epid" "$cpid" && wait "$epid" "$cpid" 2>/dev/null
cpid= epid=

# --- podman
mkdir -p "$T/podman"
cat >"$T/podman/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$T/podman/events.log"
no_pivot_root = true
conmon_path = ["$(command -v conmon)"]
tmp_dir = "$T/podman/tmp"
image_copy_tmp_dir = "$T/podman/tmp"
EOF
mkdir -p "$T/podman/tmp" /var/tmp # containers/storage's temp files: /var/tmp
export CONTAINERS_CONF=$T/podman/containers.conf
PODMAN=(podman --root "$T/podman/root" --runroot "$T/podman/run" --storage-driver overlay)
podman_() { "${PODMAN[@]}" "$@"; }
check "podman pulls the test image (--tls-verify=false)" podman_ pull -q --tls-verify=false "$img"

# podman_cases NAME BINARY SLEEPER: as ctr_cases; podman stop sends SIGTERM
# (SIGKILL after -t seconds).
podman_cases() {
	local n=$1 bin=$2 sleeper=$3 before out rc
	before=$(leak_baseline)
	xenstore-ls -f / 2>/dev/null | cut -c1-160 | sort >"$T/xs.before"
	out=$(timeout 300 "${PODMAN[@]}" --runtime "$bin" run --rm --network none "$img" \
		sh -c 'echo out-42; exit 3' 2>"$T/p-$n-rm.err")
	rc=$?
	check_eq "podman $n: run --rm prints the container's output" "$out" out-42
	check_eq "podman $n: ... and exits with its status (3)" "$rc" 3
	[ "$rc" = 3 ] || tail_of "$T/p-$n-rm.err"
	if step "podman $n: run -d" timeout 300 "${PODMAN[@]}" --runtime "$bin" run -d --name "p-$n" \
		--network none "$img" sh -c "$sleeper"; then
		check "podman $n: the detached container runs" wait_for 120 sh -c \
			'podman --root "$0" --runroot "$1" --storage-driver overlay logs "$2" | grep -q ready' \
			"$T/podman/root" "$T/podman/run" "p-$n"
		check "podman $n: podman stop" timeout 300 "${PODMAN[@]}" --runtime "$bin" stop -t 60 "p-$n"
		check_eq "podman $n: inspect's exit code (143)" \
			"$(podman_ inspect -f '{{.State.ExitCode}}' "p-$n" 2>&1)" 143
		check "podman $n: podman rm" podman_ --runtime "$bin" rm "p-$n"
	fi
	nothing_left "podman $n" "$before"
}
podman_cases runc "$runc" 'trap "exit 143" TERM; echo ready; while :; do sleep 1; done'
podman_cases spore-runc "$spore_runc" 'echo ready; exec sleep 600'
