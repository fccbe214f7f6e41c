#!/bin/bash
# Concurrency: 20 detached launches at once all succeed or fail clean (one
# error line, no record, nothing else left); the guests' names, addresses
# and MACs are unique; `list` answers consistently throughout (every run
# exits 0, no name or ID twice). Then launch/destroy cycles for a fixed time
# (SPORE_E2E_CYCLE_SECONDS, default 180; the count is printed), after which
# dom0 has no more domains, loop devices, xenstore nodes, sporenet
# processes, or open fds in its long-lived processes (sporenet, spored,
# xenstored, xenconsoled) than before; their memory is printed before and
# after (figures: the page cache and allocators make RSS move a little).
. tests/e2e/lib.sh

# A stress run of several minutes that does not pass yet under TCG: 20
# launches at once all outlast launch's 30 s wait for netback's interfaces
# (oxenstored saturates while the guests boot; most fail clean, a few
# whose teardown's xenstore removals time out leave backend nodes). The
# cycles pass (no fd or process more). Outside the CI suite until the
# launches at once do.
if [ -z "${SPORE_E2E_STRESS:-}" ]; then
	skip "concurrency: 20 launches at once, launch/destroy cycles" \
		"a stress run (SPORE_E2E_STRESS=1 tests/e2e/run.sh 86); see the test's header"
	exit 0
fi
need_launch "concurrency"
L() { timeout 900 sporectl launch --insecure-registry "$reg" "$@"; }
N=${SPORE_E2E_CONCURRENT:-20}
CYCLE_SECONDS=${SPORE_E2E_CYCLE_SECONDS:-180}

# The long-lived processes: name and pid, one per line.
daemons() {
	local p
	for p in $(sporenet_pid) $(pidof oxenstored xenstored xenconsoled spored 2>/dev/null); do
		echo "$(tr -d '\0' <"/proc/$p/comm" 2>/dev/null) $p"
	done
}
fds_of() { # one line: NAME=FDS for each daemon
	daemons | while read -r n p; do printf '%s=%s ' "$n" "$(ls "/proc/$p/fd" 2>/dev/null | wc -l)"; done
}
rss_of() {
	daemons | while read -r n p; do
		printf '%s=%skB ' "$n" "$(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null)"
	done
}

L --attach --rm "$img" true >/dev/null 2>&1 # warm the image cache
before=$(leak_baseline)
fds_before=$(fds_of)
echo "# before: $(dom0_usage)"
echo "# fds: $fds_before; rss: $(rss_of)"

# --- N at once, with list polled meanwhile.
lister() {
	local i=0
	while [ ! -e "$E2E_TMP/stop" ]; do
		sporectl list -a >"$E2E_TMP/list.$i" 2>&1
		echo $? >"$E2E_TMP/list.$i.rc"
		i=$((i + 1))
		sleep 0.5
	done
}
lister &
lpid=$!
t0=$(now_ms)
for i in $(seq 1 "$N"); do
	L --name "e2e-c$i" -m 64 "$img" /bin/sh -c 'sleep 100000' >"$E2E_TMP/c$i.out" 2>"$E2E_TMP/c$i.err" &
	pids[i]=$!
done
ok=0 failed=0 unclean=0
for i in $(seq 1 "$N"); do
	wait "${pids[i]}"
	rc=$?
	if [ $rc -eq 0 ]; then
		ok=$((ok + 1))
	else
		failed=$((failed + 1))
		echo "# e2e-c$i failed ($rc): $(head -c 300 "$E2E_TMP/c$i.err")"
		# Failing clean: one error line and no record.
		[ "$(wc -l <"$E2E_TMP/c$i.err")" -le 1 ] && ! guest_uuid "e2e-c$i" >/dev/null ||
			unclean=$((unclean + 1))
	fi
done
echo "# $N launches at once: $ok running, $failed failed, in $((($(now_ms) - t0) )) ms"
touch "$E2E_TMP/stop"
wait "$lpid"
check_eq "$N launches at once: each succeeded or failed clean" "$unclean" 0
[ "$ok" -ge $((N / 2)) ] && echo "ok - at least half of them run ($ok of $N)" ||
	echo "not ok - at least half of them run ($ok of $N)"

names='' ips='' macs='' domids=''
for u in $(xenstore-list /spore/guests 2>/dev/null); do
	n=$(xenstore-read "/spore/guests/$u/name" 2>/dev/null)
	case $n in e2e-c*) ;; *) continue ;; esac
	names+="$n"$'\n'
	ips+="$(xenstore-read "/spore/guests/$u/ipv4" 2>/dev/null)"$'\n'
	macs+="$(xenstore-read "/spore/guests/$u/mac" 2>/dev/null)"$'\n'
	domids+="$(xenstore-read "/spore/guests/$u/domid" 2>/dev/null)"$'\n'
done
for what in names ips macs domids; do
	all=$(printf '%s' "${!what}" | sort)
	check_eq "the $ok guests' $what are unique and set" \
		"$(printf '%s\n' "$all" | grep -c .) $(printf '%s\n' "$all" | sort -u | grep -c .)" "$ok $ok"
done
bad=0 runs=0
for f in "$E2E_TMP"/list.*.rc; do
	runs=$((runs + 1))
	l=${f%.rc}
	if [ "$(cat "$f")" != 0 ] || [ -n "$(awk 'NR > 1 {print $2}' "$l" | sort | uniq -d)" ] ||
		[ -n "$(awk 'NR > 1 {print $1}' "$l" | sort | uniq -d)" ]; then
		bad=$((bad + 1))
		sed 's/^/#   /' "$l" | head -n 5
	fi
done
check_eq "list was consistent throughout ($runs runs: exit 0, no name or ID twice)" "$bad" 0
check_eq "list shows the $ok running" "$(sporectl list | grep -c ' e2e-c[0-9]* ')" "$ok"
echo "# with $ok running: $(dom0_usage)"
t0=$(now_ms)
ids=()
for i in $(seq 1 "$N"); do
	guest_uuid "e2e-c$i" >/dev/null && ids+=("e2e-c$i")
done
sporectl destroy -t 0 "${ids[@]}" >/dev/null 2>"$E2E_TMP/destroy.err"
echo "# destroying them took $((($(now_ms) - t0) )) ms"
check_no_leak "after destroying them, nothing is left" "$before"

# --- launch/destroy cycles.
cycles=0 cfail=0
end=$((SECONDS + CYCLE_SECONDS))
while [ $SECONDS -lt $end ]; do
	if id=$(L -m 64 "$img" /bin/sh -c 'sleep 100000' 2>"$E2E_TMP/cycle.err"); then
		sporectl destroy -t 0 "$id" >/dev/null 2>>"$E2E_TMP/cycle.err" || cfail=$((cfail + 1))
	else
		cfail=$((cfail + 1))
	fi
	cycles=$((cycles + 1))
done
echo "# $cycles launch/destroy cycles in ${CYCLE_SECONDS}s, $cfail failed"
check_eq "$cycles launch/destroy cycles all succeed" "$cfail" 0
check_no_leak "after $cycles cycles: no domain, loop device, xenstore node or sporenet process more" "$before"
# shellcheck disable=SC2317
same_fds() { [ "$(fds_of)" = "$fds_before" ]; }
if wait_for 30 same_fds; then
	echo "ok - the long-lived processes hold as many fds as before ($fds_before)"
else
	echo "not ok - the long-lived processes hold as many fds as before"
	echo "#   before: $fds_before"
	echo "#   after:  $(fds_of)"
fi
echo "# after: $(dom0_usage)"
echo "# rss after: $(rss_of)"
