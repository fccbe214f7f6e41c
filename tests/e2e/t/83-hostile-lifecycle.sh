#!/bin/bash
# Guests that end themselves the hard way, from inside the container (root
# in the guest): one reboots its kernel (reboot -f: Xen's "reboot" shutdown,
# which spore does not honour with a new boot), one crashes it (the kernel
# has no sysrq: panic_on_oom set, then memory exhausted, so the kernel
# panics and Xen reports a crash). Each is shown as the README documents
# (`Exited (reboot)`, `Exited (crash)`) and leaves nothing: no domain, loop
# device, xenstore node or sporenet worker.
. tests/e2e/lib.sh

need_launch "hostile lifecycle"
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }

L --attach --rm "$img" true >/dev/null 2>&1 # warm the image cache

# case_ NAME STATUS LAUNCH-ARGS...: a detached launch that ends itself,
# shown `Exited (STATUS)`.
case_() {
	local name=$1 word=$2 want="Exited \\($2\\)" before id st
	shift 2
	before=$(leak_baseline)
	echo "# $name: before: $(dom0_usage)"
	id=$(L --name "$name" "$@" 2>"$E2E_TMP/err")
	if [ -z "$id" ]; then
		echo "not ok - $name: launched"
		sed 's/^/#   /' "$E2E_TMP/err"
		return
	fi
	# shellcheck disable=SC2317
	ended() { [ "$(xenstore-read "/spore/guests/$id/state" 2>/dev/null)" = exited ]; }
	if ! wait_for 300 ended; then
		echo "not ok - $name: the guest ends (state $(xenstore-read "/spore/guests/$id/state" 2>&1))"
		sporectl destroy -t 0 "$name" >/dev/null 2>&1
		return
	fi
	st=$(sporectl list -a | grep " $name ")
	check_match "$name: list shows it Exited ($word)" "$st" "$want"
	check_eq "$name: the record's exit status" \
		"$(xenstore-read "/spore/guests/$id/exit-status" 2>/dev/null)" "$word"
	check "$name: rm removes its record" sporectl rm "$name"
	check_no_leak "$name: nothing is left" "$before"
	echo "# $name: after: $(dom0_usage)"
}

case_ e2e-reboots reboot "$img" /bin/sh -c 'sleep 1; reboot -f'
# awk doubles a string until the kernel runs out of memory; panic_on_oom
# turns the OOM killer into a panic.
case_ e2e-crashes crash -m 64 "$img" /bin/sh -c \
	'echo 1 >/proc/sys/vm/panic_on_oom && awk "BEGIN { s = \"x\"; while (1) s = s s }"'
