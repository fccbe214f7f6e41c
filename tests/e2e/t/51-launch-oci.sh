#!/bin/bash
# sporectl launch follows docker run's semantics: Entrypoint + Cmd, CLI args
# replace Cmd, --entrypoint replaces Entrypoint (and drops Cmd), the image's
# named user with its supplementary groups, WorkingDir (created), Env, and
# -u/-w/-e overriding them; a graceful stop reaches the container as SIGTERM.
# The image spore-test/app (scripts/test-registry.sh) has Entrypoint
# ["/usr/local/bin/show", "ep-arg"], Cmd ["cmd1", "cmd 2"], User "app" (uid
# 1000, in groups extra and more), WorkingDir /home/app/work (not in the
# image), Env APP_MODE=test; show prints its arguments, id, pwd, HOME and
# APP_MODE.
. tests/e2e/lib.sh

need_launch "launch semantics" --repo spore-test/app
app=$reg/spore-test/app:latest
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }

out=$(L --attach --rm "$app" 2>&1)
rc=$?
check_eq "the image's Entrypoint + Cmd run (exit 0)" "$rc" 0
check_match "... with Cmd after the Entrypoint's own argument" "$out" 'args:\[ep-arg\]\[cmd1\]\[cmd 2\]'
check_match "... as the image's named user" "$out" 'id:uid=1000\(app\) gid=1000\(app\)'
check_match "... with its supplementary groups from /etc/group" "$out" \
	'groups=.*2000\(extra\).*2001\(more\)'
check_fails "... and no group it is not a member of" grep -q 'other' <<<"$out"
check_match "... in the WorkingDir (created)" "$out" 'pwd:/home/app/work'
check_match "... with HOME from /etc/passwd" "$out" 'home:/home/app'
check_match "... and the image's Env" "$out" 'mode:test'
[ $rc = 0 ] || sed 's/^/#   /' <<<"$out" | head -n 10

out=$(L --attach --rm "$app" x 'y z' 2>&1)
check_match "arguments replace Cmd, not the Entrypoint" "$out" 'args:\[ep-arg\]\[x\]\[y z\]'

out=$(L --attach --rm --entrypoint /bin/echo "$app" 2>&1)
check_eq "--entrypoint replaces the Entrypoint and drops Cmd (echo prints an empty line)" \
	"$(tr -d '\r' <<<"$out")" ""
check_fails "... (nothing of Cmd is passed)" grep -q cmd1 <<<"$out"
out=$(L --attach --rm --entrypoint /bin/echo "$app" one 'two  three' 2>&1)
check_match "--entrypoint with arguments" "$out" '^one two  three'

out=$(L --attach --rm -u 1234:5678 -w /tmp -e APP_MODE=cli -e NEW=1 "$app" 2>&1)
check_match "-u UID:GID replaces the user" "$out" 'id:uid=1234 gid=5678'
check_match "-w replaces the WorkingDir" "$out" 'pwd:/tmp'
check_match "-e overrides the image's Env" "$out" 'mode:cli'

out=$(L --attach --rm -u app:more "$app" 2>&1)
check_match "-u NAME:GROUP resolves both in the image" "$out" 'id:uid=1000\(app\) gid=2001\(more\)'
out=$(L --attach --rm -u root "$app" 2>&1)
check_match "-u root" "$out" 'id:uid=0\(root\) gid=0\(root\)'

# --- graceful stop ---------------------------------------------------------
trapper='trap "echo TRAPPED-TERM; exit 7" TERM; echo TRAP-READY; while :; do sleep 1; done'

# destroy asks the guest to power off; sporeinit turns that into SIGTERM for
# the container, whose trap runs (its output is in the console log).
u=$(L --name e2e-trap "$img" /bin/sh -c "$trapper" 2>"$E2E_TMP/err")
log=$E2E_TMP/trap.log
if wait_for 120 console_says e2e-trap TRAP-READY; then
	# destroy removes the record and spored the log with it: logs -f keeps
	# what the guest writes until it stops (its last output included).
	sporectl logs -f e2e-trap >"$log" 2>&1 &
	follower=$!
	t0=$SECONDS
	out=$(timeout 120 sporectl destroy -t 60 e2e-trap 2>&1)
	rc=$? dt=$((SECONDS - t0))
	check_eq "destroy of a container that traps SIGTERM succeeds" "$rc:$out" "0:e2e-trap"
	check "... logs -f ends once the guest is gone" wait_for 10 eval '! kill -0 $follower 2>/dev/null'
	check "... the trap ran before the guest powered off" grep -q TRAPPED-TERM "$log"
	check "... well within the grace period ($dt s of 60)" test $dt -lt 60
	check_fails "... the guest is gone" xenstore-exists "/spore/guests/$u"
else
	echo "not ok - the trapping container did not come up within 120 s"
	sed 's/^/#   /' "$E2E_TMP/err" "$log" 2>/dev/null | tail -n 5
	sporectl destroy -t 0 e2e-trap >/dev/null 2>&1
fi

# The same request (what destroy writes) to an attached launch: it shows the
# trap's output and exits with the status the trap chose.
L --attach --name e2e-trap2 "$img" /bin/sh -c "$trapper" >"$E2E_TMP/attached" 2>&1 </dev/null &
pid=$!
if wait_for 120 grep -q TRAP-READY "$E2E_TMP/attached"; then
	d=$(xenstore-read "/spore/guests/$(xenstore-list /spore/guests | while read -r x; do
		[ "$(xenstore-read /spore/guests/$x/name)" = e2e-trap2 ] && echo "$x"; done)/domid")
	xenstore-write "/local/domain/$d/control/shutdown" poweroff
	wait $pid
	rc=$?
	check "an attached launch shows the trap's output" grep -q TRAPPED-TERM "$E2E_TMP/attached"
	check_eq "... and exits with the trap's status" "$rc" 7
	check_match "list -a shows it Exited (7)" "$(sporectl list -a 2>&1)" 'e2e-trap2 .*Exited \(7\)'
	sporectl rm e2e-trap2 >/dev/null 2>&1
else
	echo "not ok - the attached trapping container did not come up within 120 s"
	sed 's/^/#   /' "$E2E_TMP/attached" | tail -n 5
	kill $pid 2>/dev/null
	sporectl destroy -t 0 e2e-trap2 >/dev/null 2>&1
fi
