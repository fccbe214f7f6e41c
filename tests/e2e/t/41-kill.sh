#!/bin/bash
# Crash safety: a sporectl launch (and boot) SIGKILLed at each named step
# leaves nothing behind once the next sporectl command or the reaper has
# run: no domain, loop device, backend or domain nodes, record, or file.
# SPORE_STOP_AT=STEP makes sporectl stop itself (SIGSTOP) at STEP, so the
# kill lands exactly there.
# e2e-timeout: 1800
. tests/e2e/lib.sh

need_launch "kill tests"
root=${SPORE_ROOT:-/var/lib/spore}

# The image is cached first: the points below are the launch's own.
check "the test image is cached" sporectl image pull --insecure-registry "$reg" "$img"

proc_state() { awk '{sub(/.*\) /, ""); print $1}' "/proc/$1/stat" 2>/dev/null; }
# wait_stopped PID: until PID stops itself (T) or exits; 0 if stopped.
wait_stopped() {
	local end=$((SECONDS + 180)) s
	while [ $SECONDS -lt $end ]; do
		s=$(proc_state "$1")
		[ -z "$s" ] || [ "$s" = Z ] && return 1
		[ "$s" = T ] && return 0
		sleep 0.2
	done
	return 1
}
records_named() { # NAME: how many records carry it
	local u n=0
	for u in $(xenstore-list /spore/guests 2>/dev/null); do
		[ "$(xenstore-read "/spore/guests/$u/name" 2>/dev/null)" = "$1" ] && n=$((n + 1))
	done
	echo $n
}
# What a guest can leave behind, as one line; "" when nothing is.
leftovers() { # NAME
	local out= n
	n=$(xl list 2>/dev/null | awk 'NR > 1 && $1 != "Domain-0"' | wc -l)
	[ "$n" = 0 ] || out+="domains:$n "
	n=$(losetup -a 2>/dev/null | wc -l)
	[ "$n" = 0 ] || out+="loops:$n "
	n=$(xenstore-list /local/domain 2>/dev/null | grep -vcx 0)
	[ "$n" = 0 ] || out+="/local/domain/*:$n "
	n=$(for k in $(xenstore-list /local/domain/0/backend 2>/dev/null); do
		xenstore-list "/local/domain/0/backend/$k" 2>/dev/null; done | wc -l)
	[ "$n" = 0 ] || out+="backends:$n "
	n=$(ls /sys/class/net | grep -c '^vif')
	[ "$n" = 0 ] || out+="vifs:$n "
	n=$(xenstore-list /spore/claims/ipv4 /spore/claims/mac 2>/dev/null | wc -l)
	[ "$n" = 0 ] || out+="claims:$n "
	n=$(xenstore-list /vm 2>/dev/null | wc -l)
	[ "$n" = 0 ] || out+="/vm/*:$n "
	n=$(records_named "$1")
	[ "$n" = 0 ] || out+="records:$n "
	n=$(find "$root/run" "$root/images/tmp" -type f 2>/dev/null | wc -l)
	[ "$n" = 0 ] || out+="files:$n "
	echo "$out"
}
settle() { # NAME: up to 20 s for nothing to be left (a dying domain takes a moment)
	local end=$((SECONDS + 20)) left
	while :; do
		left=$(leftovers "$1")
		[ -z "$left" ] || [ $SECONDS -ge $end ] && break
		sleep 0.5
	done
	echo "$left"
}

before=$(leftovers no-such-name)
check_eq "nothing is left over before the kill tests" "$before" ""

# kill_at TAG STEP CMD...: runs CMD (which names its guest kill-STEP) with
# SPORE_STOP_AT=STEP, SIGKILLs it where it stopped, runs the next command
# (list -a) and checks what is left.
kill_at() {
	local tag=$1 step=$2 name=kill-$2
	shift 2
	SPORE_STOP_AT=$step "$@" >"$E2E_TMP/kill.out" 2>&1 </dev/null &
	local pid=$!
	if ! wait_stopped $pid; then
		echo "not ok - $tag: sporectl stops at step $step"
		sed 's/^/#   /' "$E2E_TMP/kill.out" | head -n 5
		kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
		return
	fi
	# Stopped, its owner alive, nothing is cleaned up: what it holds shows
	# (the check below is not blind), a record at least once it exists.
	local held
	held=$(leftovers "$name")
	if [ "$step" != image ] && [ "$step" != record ]; then
		check_match "$tag stopped at $step holds: $held" "$held" 'records:1'
	fi
	kill -KILL $pid
	wait $pid 2>/dev/null
	sporectl list -a >/dev/null 2>&1
	check_eq "$tag killed at $step: nothing is left" "$(settle "$name")" ""
}

# One point per distinct state: launch's vif and vif-up hooks follow vbd
# and console with nothing in between (the devices are written in one
# transaction; the console and the vif are awaited together), so killing
# there again would test nothing new.
for step in image record bundle loop-image kernel create-domain \
	populate load grant-table xenstore introduce vbd unpause console record-running; do
	kill_at launch "$step" sporectl launch --attach --insecure-registry "$reg" --name "kill-$step" "$img" \
		/bin/sh -c 'sleep 1000'
done

# sporectl boot shares the builder's steps; its own come after them.
initrd=build/container/sporeinit.cpio
for step in record create-domain introduce console unpause record-running; do
	kill_at boot "$step" sporectl boot .cache/kernel/spore-vmlinuz --initrd "$initrd" \
		--memory 64 --attach --name "kill-$step"
done
# boot's own devices: a disk and the network.
sq=$(sporectl image path "$img" 2>/dev/null | awk 'NR == 1 {print $NF}')
for step in loop-disk vbd vif vif-up; do
	kill_at boot "$step" sporectl boot .cache/kernel/spore-vmlinuz --initrd "$initrd" \
		--memory 64 --attach --net --disk "$sq" --name "kill-$step"
done

# Past its last step a detached launch has a running guest: it stays, and
# is freed by destroy like any other.
out=$(SPORE_STOP_AT=none timeout 600 sporectl launch --insecure-registry "$reg" --name kill-done \
	"$img" /bin/sh -c 'sleep 1000' 2>&1)
check_match "a launch not stopped completes" "$out" '^[0-9a-f-]{36}$'
check "... and its guest is destroyed as usual" sporectl destroy -t 0 kill-done
check_eq "... leaving nothing" "$(settle kill-done)" ""
