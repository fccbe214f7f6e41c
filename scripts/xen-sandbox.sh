#!/bin/bash
# Boots Xen 4.17 with a Debian dom0 under QEMU (TCG) and runs a command in
# dom0, or gives an interactive dom0 shell. See --help.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/sandbox.sh"

EXIT_TIMEOUT=124
EXIT_SANDBOX=125

usage() {
	cat <<USAGE
Usage: $spore_prog [OPTIONS] [-- COMMAND [ARG...]]

Boots a real Xen $XEN_VER hypervisor with a Debian dom0 under QEMU (TCG).
With COMMAND, runs it in dom0 as root (working directory: the same place
under /mnt/host, or /mnt/host), streams its stdout and stderr, powers off and
exits with the command's status. Without COMMAND, gives a dom0 shell.

In dom0: xenfs at /proc/xen, xenstored (oxenstored by default) and
xenconsoled running, Debian's xl, this repository read-write at /mnt/host,
this tree's build (sporectl, sporenet, sporeinit) on PATH, and outbound
networking through QEMU user networking (the host's loopback is 10.0.2.2).

Options:
  --memory MIB        Memory of the whole machine (default 3072)
  --dom0-memory MIB   Memory of dom0 (default 1024)
  --cpus N            Virtual CPUs (default 2)
  --xenstored NAME    oxenstored (default, as Debian) or xenstored (the C one)
  --timeout S         Give up after S seconds (default 1200)
  --keep-log FILE     Save the full Xen + dom0 serial log to FILE
  --console           Run COMMAND on the Xen console, as an interactive
                      terminal program (e.g. an attached container shell)
  -h, --help          Show this help

Environment (debugging): SPORE_SANDBOX_CPU replaces QEMU's -cpu model
(default max,-smap,-smep); SPORE_SANDBOX_XEN_ARGS is appended to Xen's
command line.

Exit status: the command's own status; $EXIT_TIMEOUT if the timeout expired;
$EXIT_SANDBOX if the sandbox failed (QEMU, Xen or dom0 did not come up, or
dom0 failed before running the command).
USAGE
}

mem=3072 dom0_mem=1024 cpus=2 xenstored=oxenstored timeout=1200 keep_log= console=0
while [ $# -gt 0 ]; do
	case $1 in
	--memory) mem=${2:?--memory needs MIB}; shift 2 ;;
	--dom0-memory) dom0_mem=${2:?--dom0-memory needs MIB}; shift 2 ;;
	--cpus) cpus=${2:?--cpus needs N}; shift 2 ;;
	--xenstored) xenstored=${2:?--xenstored needs NAME}; shift 2 ;;
	--timeout) timeout=${2:?--timeout needs S}; shift 2 ;;
	--keep-log) keep_log=${2:?--keep-log needs FILE}; shift 2 ;;
	--console) console=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	*) echo "$spore_prog: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
done
for v in "$mem" "$dom0_mem" "$cpus" "$timeout"; do
	[[ $v =~ ^[0-9]+$ ]] || { echo "$spore_prog: '$v' is not a number" >&2; exit 2; }
done
[ "$dom0_mem" -lt "$mem" ] || { echo "$spore_prog: --dom0-memory must be below --memory" >&2; exit 2; }
case $xenstored in oxenstored | xenstored) ;; *)
	echo "$spore_prog: --xenstored must be oxenstored or xenstored" >&2; exit 2 ;;
esac

fail() {
	echo "$spore_prog: $*" >&2
	exit $EXIT_SANDBOX
}

(sandbox_check_host) || exit $EXIT_SANDBOX
# Serialise artefact builds between concurrent sandboxes.
mkdir -p "$SANDBOX_DIR/runs"
exec 9>"$SANDBOX_DIR/.lock"
flock 9
(sandbox_prepare) || fail "cannot prepare the sandbox (see above)"
sandbox_prepare >/dev/null 2>&1 # sets the paths; cached, so instant
flock -u 9

# Sweep run directories of sandboxes that were killed outright.
for d in "$SANDBOX_DIR"/runs/*-*; do
	[ -d "$d" ] && ! kill -0 "${d##*-}" 2>/dev/null && rm -rf "$d"
done
run_id=$(date +%s)-$$
run_dir=$SANDBOX_DIR/runs/$run_id
mkdir -p "$run_dir"
log=$run_dir/serial.log
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
	if [ -n "$keep_log" ] && [ -e "$log" ]; then cp "$log" "$keep_log" || true; fi
	rm -rf "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

xen_args="console=com1 com1=115200,8n1 dom0_mem=${dom0_mem}M,max:${dom0_mem}M dom0_max_vcpus=$cpus"
# Eager FPU switching: with Xen's default lazy switching (CR0.TS + #NM) on
# QEMU's TCG, dom0 processes lost SSE/AVX register state whenever a domU ran
# (measured with tests/tools/simdcheck, tests/e2e/t/55-simd-state.sh: most
# of a register-heavy loop's runs corrupted, random
# segfaults and malloc aborts); with eager-fpu, none.
xen_args+=" loglvl=info guest_loglvl=info spec-ctrl=eager-fpu ${SPORE_SANDBOX_XEN_ARGS:-}"
dom0_args="console=hvc0 earlyprintk=xen loglevel=4 spore.xenstored=$xenstored spore.build=$SPORE_BUILD_DIR"

qemu=(qemu-system-x86_64 -accel tcg,thread=multi -cpu "${SPORE_SANDBOX_CPU:-max,-smap,-smep}" -m "$mem" -smp "$cpus"
	-nodefaults -display none -no-reboot -no-user-config
	-kernel "$SANDBOX_XEN" -append "$xen_args"
	-virtfs "local,path=$SPORE_ROOT_DIR,mount_tag=host,security_model=none,id=host"
	-netdev user,id=n0 -device virtio-net-pci,netdev=n0
	-device virtio-serial-pci)

if [ $# -eq 0 ]; then
	# Interactive: Xen's serial console on this terminal; Xen passes its
	# input to dom0 (Ctrl-A three times switches to Xen's own console).
	qemu+=(-initrd "$SANDBOX_VMLINUZ $dom0_args,$SANDBOX_INITRD"
		-chardev "stdio,id=con,signal=off,logfile=$log" -serial chardev:con)
	rc=0
	timeout --foreground "$timeout" "${qemu[@]}" || rc=$?
	[ $rc -ne 124 ] || fail "timed out after ${timeout}s"
	[ $rc -eq 0 ] || fail "QEMU failed (exit $rc)"
	exit 0
fi

# Command mode: the command travels through the share, its output through
# two virtio-serial ports, its status through the share.
{
	printf 'exec'
	for a in "$@"; do printf " '%s'" "${a//\'/\'\\\'\'}"; done
	printf '\n'
} >"$run_dir/cmd"
cwd=$(pwd -P)
case $cwd/ in
"$SPORE_ROOT_DIR"/*) rel=${cwd#"$SPORE_ROOT_DIR"} ;;
*) rel= ;;
esac
{
	printf "SPORE_CWD='/mnt/host%s'\n" "${rel//\'/}"
	[ -z "${SPORE_LOG:-}" ] || printf "export SPORE_LOG='%s'\n" "${SPORE_LOG//\'/}"
	# The e2e suite's stress runs and their sizes (tests/e2e/t/86-concurrency.sh).
	[ -z "${SPORE_E2E_STRESS:-}" ] || echo "export SPORE_E2E_STRESS=1"
	[ -z "${SPORE_E2E_PEERS:-}" ] || echo "export SPORE_E2E_PEERS=1"
	for v in SPORE_E2E_CONCURRENT SPORE_E2E_CYCLE_SECONDS; do
		if [[ ${!v:-} =~ ^[0-9]+$ ]]; then echo "export $v=${!v}"; fi
	done
} >"$run_dir/env"

if [ $console = 1 ]; then
	qemu+=(-initrd "$SANDBOX_VMLINUZ $dom0_args quiet spore.run=$run_id spore.console=1,$SANDBOX_INITRD"
		-chardev "stdio,id=con,signal=off,logfile=$log" -serial chardev:con)
	rc=0
	timeout --foreground "$timeout" "${qemu[@]}" || rc=$?
	[ $rc -ne 124 ] || { echo "$spore_prog: timed out after ${timeout}s" >&2; exit $EXIT_TIMEOUT; }
	status=$(cat "$run_dir/status" 2>/dev/null || true)
	case $status in
	"exit "*) exit "${status#exit }" ;;
	"fail: "*) fail "dom0 failed: ${status#fail: }" ;;
	*) fail "the sandbox stopped before the command finished (QEMU exit $rc)" ;;
	esac
fi

qemu+=(-initrd "$SANDBOX_VMLINUZ $dom0_args spore.run=$run_id,$SANDBOX_INITRD"
	-serial "file:$log"
	-chardev "file,id=out,path=/proc/self/fd/3,append=on" -device virtserialport,chardev=out,name=spore.out
	-chardev "file,id=err,path=/proc/self/fd/4,append=on" -device virtserialport,chardev=err,name=spore.err)

"${qemu[@]}" </dev/null 3>&1 4>&2 2>"$run_dir/qemu.err" &
qemu_pid=$!
deadline=$((SECONDS + timeout))
while kill -0 "$qemu_pid" 2>/dev/null; do
	if [ $SECONDS -ge $deadline ]; then
		kill "$qemu_pid" 2>/dev/null || true
		wait "$qemu_pid" 2>/dev/null || true
		qemu_pid=
		echo "$spore_prog: timed out after ${timeout}s ($(head -c 200 "$run_dir/status" 2>/dev/null || echo 'dom0 not ready'))" >&2
		exit $EXIT_TIMEOUT
	fi
	sleep 0.2
done
qrc=0
wait "$qemu_pid" || qrc=$?
qemu_pid=
status=$(cat "$run_dir/status" 2>/dev/null || true)
case $status in
"exit "*) exit "${status#exit }" ;;
"fail: "*) fail "dom0 failed: ${status#fail: }" ;;
ready) fail "the sandbox stopped while the command ran (last log lines follow)
$(tail -n 15 "$log" | sed 's/^/    /')" ;;
*)
	[ $qrc -eq 0 ] || fail "QEMU failed (exit $qrc): $(head -c 300 "$run_dir/qemu.err")"
	fail "the sandbox did not boot (last log lines follow)
$(tail -n 15 "$log" | sed 's/^/    /')" ;;
esac
