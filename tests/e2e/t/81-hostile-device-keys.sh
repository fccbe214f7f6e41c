#!/bin/bash
# A hostile guest writes bogus frontend states and device keys (out of range
# numbers, garbage, terminal escape sequences: a window title, OSC 52
# clipboard writes) in its own device/, control/ and data/ directories, and
# a bogus exit status before it powers off. dom0's tools must be unharmed:
# list, xs read, sporenet status, destroy and rm work and print nothing raw;
# the dom0 kernel's backends do not oops; nothing is left.
#
# Debian 6.1's blkback WARNs in xen_blkif_disconnect (xenbus.c:337: fewer
# pending requests freed than a ring holds) when a frontend says Connected
# again after the backend failed it ("saw state 999"): a WARN_ON, not an
# oops, and the guest's own doing; the run goes on and nothing leaks
# (checked below). The suite reports it instead of charging it:
# e2e-known-warn: xen-blkback/xenbus\.c:[0-9]+ xen_blkif_disconnect
. tests/e2e/lib.sh

need_launch "hostile device keys" "${SPORE_BUILD:-build}/tests/guest-xs"
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }

hostile_initrd "$E2E_TMP/bogus.cpio" <<'EOF'
X=guest-xs
E=$(printf '\033]0;pwned\007\033]52;c;cHduZWQ=\007\033[2J')
vbd=device/vbd/51712 vif=device/vif/0
for kv in "$vbd/state:999" "$vbd/state:-1" "$vbd/state:" "$vbd/state:4$E" \
	"$vbd/ring-ref:99999999999999999999" "$vbd/event-channel:-1" \
	"$vbd/protocol:$E" "$vbd/feature-persistent:$E" \
	"$vif/state:7" "$vif/state:3$E" "$vif/tx-ring-ref:4294967296" \
	"$vif/rx-ring-ref:$E" "$vif/event-channel:abc" "$vif/request-rx-copy:$E" \
	"$vif/feature-sg:2" "$vif/multi-queue-num-queues:65535" "$vif/mac:$E" \
	"control/feature-poweroff:$E" "control/shutdown:$E" "data/spore/status:$E" \
	"data/$E:x" "feature/$E:x"; do
	k=${kv%%:*} v=${kv#*:}
	$X write "$k" "$v" >/dev/null 2>&1
done
# What it may not write stays refused.
$X write console/tty /dev/mem >/dev/null 2>&1 && echo "TTY-WRITTEN" || echo "TTY-REFUSED"
$X write name "$E" >/dev/null 2>&1 && echo "NAME-WRITTEN" || echo "NAME-REFUSED"
echo BOGUS-WRITTEN
i=0
until go=$($X read data/go 2>&1) && [ "$go" = 1 ]; do
	i=$((i + 1))
	[ $((i % 20)) -ne 0 ] || echo "WAITING: data/go: $go"
	sleep 1
done
$X write data/spore/exit-status "exited 0$E" >/dev/null 2>&1
echo BOGUS-EXITING
# -n: no sync(). Its own bogus vbd states make dom0's blkback fail and
# reconnect its disk under its blkfront, and now and then its kernel's
# sync() then never returns (the domain blocked, 1 run in 4 in one sandbox
# boot): the guest hurting itself, while dom0 is what is under test here.
poweroff -n -f
EOF

L --attach --rm "$img" true >/dev/null 2>&1 # warm the image cache
k0=$(dmesg | wc -l) # only this guest's doing counts
before=$(leak_baseline)
echo "# before: $(dom0_usage)"
net_pid=$(sporenet_pid)
net_pid=${net_pid:-none} # must be found: a vacuous match proves nothing
# Only what is logged from now on is this test's.
log_mark() { wc -c <"$1" 2>/dev/null || echo 0; }
net_log=/var/log/sporenet.log reap_log=/var/log/spored.log
net_at=$(log_mark $net_log) reap_at=$(log_mark $reap_log)

SPORE_INITRD=$E2E_TMP/bogus.cpio L --attach --name e2e-bogus "$img" true >"$E2E_TMP/g.out" 2>&1 &
gpid=$!
# shellcheck disable=SC2317
written() { grep -q BOGUS-WRITTEN "$E2E_TMP/g.out"; }
if ! wait_for 300 written; then
	echo "not ok - the hostile guest writes its bogus keys"
	tr -d '\r' <"$E2E_TMP/g.out" | tail -n 20 | sed 's/^/#   /'
	kill "$gpid" 2>/dev/null
	sporectl destroy -t 0 e2e-bogus >/dev/null 2>&1
	exit 0
fi
domid=$(guest_domid e2e-bogus)
echo "ok - the hostile guest wrote its bogus keys (domain $domid)"
check_match "it cannot write console/tty (which xenconsoled's clients open)" "$(cat "$E2E_TMP/g.out")" TTY-REFUSED
check_match "... nor its name" "$(cat "$E2E_TMP/g.out")" NAME-REFUSED
sleep 2 # let the backends and sporenet react to the states

for cmd in "list" "list -a" "list --json"; do
	# shellcheck disable=SC2086
	sporectl $cmd >"$E2E_TMP/cmd.out" 2>&1
	rc=$?
	check_eq "sporectl $cmd works beside it" "$rc" 0
	no_raw_controls "... and prints nothing raw" "$E2E_TMP/cmd.out"
done
sporectl xs read "/local/domain/$domid/device/vif/0/mac" >"$E2E_TMP/xs.out" 2>&1
check_match "sporectl xs read shows a guest-written escape escaped" "$(cat "$E2E_TMP/xs.out")" '\\x1b|\\033|\\e'
no_raw_controls "... raw nowhere" "$E2E_TMP/xs.out"
sporenet status >"$E2E_TMP/net.out" 2>&1
check_eq "sporenet status works" "$?" 0
no_raw_controls "... and prints nothing raw" "$E2E_TMP/net.out"
check_eq "sporenet is the same process" "$(sporenet_pid)" "$net_pid"

xenstore-write "/local/domain/$domid/data/go" 1
check_eq "dom0 tells it to exit (data/go)" "$(xenstore-read "/local/domain/$domid/data/go" 2>&1)" 1
# shellcheck disable=SC2317
ended() { ! kill -0 "$gpid" 2>/dev/null; }
if wait_for 120 ended; then
	wait "$gpid"
	echo "# the attached launch ended with exit status $?"
	sporectl list -a >"$E2E_TMP/list.out" 2>&1
	check_match "its bogus exit status is shown as invalid" "$(grep e2e-bogus "$E2E_TMP/list.out")" \
		'Exited \(invalid\)'
	no_raw_controls "... and nothing raw in list -a" "$E2E_TMP/list.out"
	check "rm removes it" sporectl rm e2e-bogus
else
	# Its kernel did not finish powering off (see -n above). Say where it
	# stands, then dom0 must still end it cleanly.
	echo "# the guest has not exited 120 s after data/go; its console:"
	tr -d '\r' <"$E2E_TMP/g.out" | cat -v | tail -n 15 | sed 's/^/#   /'
	echo "# its domain: $(xl list "$domid" 2>&1 | tail -n 1)"
	echo "# its data/go: $(xenstore-read "/local/domain/$domid/data/go" 2>&1)"
	echo "# its record: $(sporectl inspect --format '{{.state}} {{.status}}' e2e-bogus 2>&1 | cat -v)"
	echo "# spored's log since it started:"
	tail -c +$((reap_at + 1)) $reap_log 2>/dev/null | cat -v | tail -n 15 | sed 's/^/#   /'
	kill "$gpid" 2>/dev/null
	wait "$gpid"
	skip "its bogus exit status is shown as invalid" "the guest hung in its own shutdown"
	sporectl list -a >"$E2E_TMP/list.out" 2>&1
	no_raw_controls "... and nothing raw in list -a" "$E2E_TMP/list.out"
	check "destroy -t 0 ends and removes it" sporectl destroy -t 0 e2e-bogus
fi
check_no_leak "nothing of it is left" "$before"
tail -c +$((net_at + 1)) $net_log 2>/dev/null >"$E2E_TMP/netlog"
tail -c +$((reap_at + 1)) $reap_log 2>/dev/null >"$E2E_TMP/reaplog"
no_raw_controls "sporenet's log holds nothing raw from it" "$E2E_TMP/netlog"
no_raw_controls "spored's log neither" "$E2E_TMP/reaplog"
dmesg | tail -n +$((k0 + 1)) | grep -E 'BUG:|kernel BUG|Oops|general protection|invalid opcode|Kernel panic' | head -n 5 >"$E2E_TMP/dmesg"
check_eq "dom0's kernel did not oops" "$(cat "$E2E_TMP/dmesg")" ""
echo "# after: $(dom0_usage)"
