#!/bin/bash
# Restart policies and stop/start/restart (issue 19): a container crashing
# with --restart on-failure:2 is relaunched twice, then stays exited; one
# exiting 0 with --restart always is relaunched until stop; a pending
# restart survives a kill -9 of spored; stop/start keep the name, the ID
# and the configuration (environment, a volume's content); restart works;
# nothing is left behind.
. tests/e2e/lib.sh

need_launch "restart policies and stop/start"
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
rec() { xenstore-read "/spore/guests/$(guest_uuid "$1")/$2" 2>/dev/null; }
field() { sporectl inspect -f "$2" "$1" 2>/dev/null; } # NAME TEMPLATE
start_spored() {
	spored --log info >>/var/log/spored.log 2>&1 &
	wait_for 10 spored --ping
}
stop_spored() { # SIGNAL
	local p
	p=$(pidof spored) || return 0
	# shellcheck disable=SC2086 # one pid or several
	kill "-$1" $p
	wait_for 10 sh -c "! pidof spored"
}
names="rs-fail rs-always rs-keep rs-att rs-k9"
cleanup() {
	pidof spored >/dev/null || start_spored
	for n in $names; do sporectl destroy -t 0 "$n" >/dev/null 2>&1; done
	sporectl volume rm rs-vol >/dev/null 2>&1
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT
# The first launch of a boot (and the first with a volume) makes parent
# nodes under /spore/claims that stay: one before the baseline, as 81
# does, so that only this test's own nodes count.
L --attach --rm -v rs-warm:/w "$img" true >/dev/null 2>&1
sporectl volume rm rs-warm >/dev/null 2>&1
before=$(leak_baseline)
xenstore-ls -f / 2>/dev/null | sed 's/ = .*//' | sort >"$E2E_TMP/nodes.before"

# on-failure:2: two restarts, then Exited (3) for good.
out=$(L --name rs-fail --restart on-failure:2 "$img" /bin/sh -c 'echo ran; exit 3' 2>&1)
check_match "a container exiting 3 with --restart on-failure:2 launches" "$out" '^[0-9a-f-]{36}$'
gave_up() { [ "$(field rs-fail '{{.state}} {{.RestartCount}}')" = "exited 2" ] &&
	sporectl list -a | grep rs-fail | grep -q 'Exited (3)'; }
check "it is relaunched twice, then stays Exited (3) with RestartCount 2" wait_for 300 gave_up
sleep 5
check_eq "... and stays so (no third restart)" "$(field rs-fail '{{.state}} {{.RestartCount}}')" "exited 2"
runs=$(guest_log rs-fail | grep -c '^ran$')
check_eq "its log has its three runs" "$runs" 3
[ "$runs" = 3 ] || guest_log rs-fail | head -n 5 | sed 's/^/#   log: /' 
check_eq "inspect shows the policy" "$(field rs-fail '{{.restart_policy}}')" "on-failure:2"
check_match "list counts the restarts" "$(sporectl list -a | grep rs-fail)" 'Exited \(3\) .* \(2 restarts\)'

# always: restarted whatever the status, until stop.
L --name rs-always --restart always "$img" /bin/sh -c 'echo up; exit 0' >/dev/null 2>&1
restarted() { [ "$(field rs-always '{{.RestartCount}}')" -ge 2 ]; }
check "--restart always relaunches a container that exits 0" wait_for 300 restarted
check "stop rs-always" sporectl stop -t 5 rs-always
count=$(field rs-always '{{.RestartCount}}')
sleep 8
check_eq "after stop it stays exited" "$(field rs-always '{{.state}}')" exited
check_eq "... and is not restarted again" "$(field rs-always '{{.RestartCount}}')" "$count"
check_eq "... marked stopped in its record" "$(rec rs-always stopped)" 1

# A restart pending while spored is killed (-9) happens once it is back:
# its due time, as the restarter keeps it in the record, planted 60 s ahead
# (a back-off the test can outwait; the real ones are checked above).
L --name rs-k9 --restart on-failure:1 "$img" /bin/sh -c 'sleep 3; exit 5' >/dev/null 2>&1
xenstore-write "/spore/guests/$(guest_uuid rs-k9)/restart-at" $((($(date +%s) + 60) * 1000))
check "rs-k9 exits (5)" wait_for 120 sh -c "sporectl list -a | grep rs-k9 | grep -q '(5)'"
stop_spored KILL
check "spored is gone (kill -9) with the restart pending" sh -c '! pidof spored'
due=$(rec rs-k9 restart-at)
past_due() { [ "$(($(date +%s) * 1000))" -gt "$((due + 2000))" ]; }
check "its due time passes while spored is down" wait_for 90 past_due
check_eq "the restart waits for spored (still exited, 0 restarts)" \
	"$(field rs-k9 '{{.state}} {{.RestartCount}}')" "exited 0"
start_spored
k9_back() { [ "$(field rs-k9 '{{.RestartCount}}')" = 1 ]; }
check "the restarted spored restarts it (RestartCount 1)" wait_for 90 k9_back
check "... then leaves it exited (on-failure:1)" wait_for 90 sh -c \
	"sporectl list -a | grep rs-k9 | grep -q 'Exited (5)'"

# stop/start: the same name, ID and configuration.
vol=$(sporectl volume create rs-vol 2>&1)
check_eq "volume rs-vol" "$vol" rs-vol
# shellcheck disable=SC2016 # the container's shell expands them
FROMHOST=host-value L --name rs-keep -e KEEP=val1 -e FROMHOST -v rs-vol:/data "$img" \
	/bin/sh -c 'echo "env=$KEEP/$FROMHOST"; echo "content=$(cat /data/f 2>/dev/null)"
		echo written >/data/f; sync; echo ready; while :; do sleep 1; done' >/dev/null 2>&1
check "rs-keep runs" wait_for 120 sh -c "sporectl logs rs-keep | grep -q ready"
id=$(field rs-keep '{{.id}}')
dom=$(field rs-keep '{{.domid}}')
check_eq "stop rs-keep prints its ID" "$(sporectl stop rs-keep 2>&1)" rs-keep
check_match "it shows as Exited (143) in list -a (SIGTERM)" "$(sporectl list -a | grep rs-keep)" 'Exited \(143\)'
check_eq "its record stays, exited" "$(field rs-keep '{{.state}}')" exited
check_eq "stop of an exited guest does nothing" "$(sporectl stop rs-keep 2>&1; echo $?)" "rs-keep
0"
check_eq "start rs-keep prints its ID" "$(sporectl start rs-keep 2>&1)" rs-keep
check_eq "it runs again" "$(field rs-keep '{{.state}}')" running
check_eq "under the same ID" "$(field rs-keep '{{.id}}')" "$id"
check "in a new domain" test "$(field rs-keep '{{.domid}}')" != "$dom"
check "it comes up again" wait_for 120 sh -c "[ \$(sporectl logs rs-keep | grep -c ready) -ge 2 ]"
check_eq "the environment again (-e KEEP=val1, and -e FROMHOST as the launch saw it)" \
	"$(guest_log rs-keep | grep -c '^env=val1/host-value$')" 2
check_eq "the volume again: what the first run wrote" \
	"$(guest_log rs-keep | grep -c '^content=written$')" 1
check_eq "start of a running guest does nothing" "$(sporectl start rs-keep 2>&1; echo $?)" "rs-keep
0"
dom=$(field rs-keep '{{.domid}}')
check_eq "restart rs-keep prints its ID" "$(sporectl restart -t 5 rs-keep 2>&1)" rs-keep
check_eq "it runs after restart" "$(field rs-keep '{{.state}}')" running
check "in a new domain again" test "$(field rs-keep '{{.domid}}')" != "$dom"
check "and comes up a third time" wait_for 120 sh -c "[ \$(sporectl logs rs-keep | grep -c ready) -ge 3 ]"

# start -a: attached, with the container's status.
L --name rs-att "$img" /bin/sh -c 'echo att; exit 4' >/dev/null 2>&1
check "rs-att exits" wait_for 120 sh -c "sporectl list -a | grep rs-att | grep -q 'Exited (4)'"
timeout 300 sporectl start -a rs-att >"$E2E_TMP/att" 2>&1 </dev/null
check_eq "start -a exits with the container's status" "$?" 4
check "... after relaying its output" grep -q '^att' "$E2E_TMP/att"
grep -q '^att' "$E2E_TMP/att" || head -n 5 "$E2E_TMP/att" | sed 's/^/#   start -a: /' 
check_eq "... this run's only, not the first run's from the log" "$(grep -c '^att' "$E2E_TMP/att")" 1

out=$(L --rm --restart always "$img" true 2>&1)
check_eq "--restart with --rm: 125 and one line" "$?:$(printf '%s\n' "$out" | wc -l)" "125:1"
out=$(L --restart sometimes "$img" true 2>&1)
check_eq "an unknown policy: 125 and one line" "$?:$(printf '%s\n' "$out" | wc -l)" "125:1"

# shellcheck disable=SC2086 # a list of names
check "destroy them all" sporectl destroy -t 0 $names
sporectl volume rm rs-vol >/dev/null 2>&1
check_no_leak "nothing is left behind" "$before"
xenstore-ls -f / 2>/dev/null | sed 's/ = .*//' | sort >"$E2E_TMP/nodes.after"
grep -vxF -f "$E2E_TMP/nodes.before" "$E2E_TMP/nodes.after" | head -n 20 | sed 's/^/# new node: /' 
# What spored's restarter did, for the record of this run.
grep -a 'restarter\|error' /var/log/spored.log | tail -n 40 | sed 's/^/# spored: /' 
