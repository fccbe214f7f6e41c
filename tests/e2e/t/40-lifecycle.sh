#!/bin/bash
# Guest lifecycle as a user sees it: boot in the background, list, console
# re-attach, reaping of a guest that powers off by itself (with no sporectl
# attached), destroy of a running guest, rm, and errors that name the guest.
. tests/e2e/lib.sh

cloud=$(ls .cache/sandbox/pkgroot-*/boot/vmlinuz-*-cloud-amd64 2>/dev/null | head -n 1)
kernel=${cloud:-.cache/kernel/spore-vmlinuz}
if [ ! -e "$kernel" ]; then
	skip "lifecycle" "no guest kernel"
	exit 0
fi

# mkinitrd NAME BODY: a busybox initrd whose /init runs BODY; /sbin/poweroff
# (what the kernel runs when dom0 asks it to power off) powers off at once.
mkinitrd() {
	local d=$E2E_TMP/ird-$1
	mkdir -p "$d/bin" "$d/sbin" "$d/proc"
	cp "$(command -v busybox)" "$d/bin/busybox"
	ln -s busybox "$d/bin/sh"
	printf '#!/bin/sh\n/bin/busybox poweroff -f\n' >"$d/sbin/poweroff"
	printf '#!/bin/sh\nexport PATH=/bin\n/bin/busybox mount -t proc proc /proc\n%s\n' "$2" >"$d/init"
	chmod +x "$d/init" "$d/sbin/poweroff"
	(cd "$d" && find . | cpio -o -H newc 2>/dev/null >"$E2E_TMP/$1.cpio")
}
mkinitrd echo 'echo LIFE-READY
while read -r line; do echo "ECHO:$line"; [ "$line" = quit ] && /bin/busybox poweroff -f; done
/bin/busybox sleep 100000'
mkinitrd selfoff 'echo LIFE-READY; /bin/busybox sleep 8; echo LIFE-BYE; /bin/busybox poweroff -f'
mkinitrd sleeper 'echo LIFE-READY; exec /bin/busybox sleep 100000'

state() { xenstore-read "/spore/guests/$1/state" 2>/dev/null; }
domid_of() { xenstore-read "/spore/guests/$1/domid" 2>/dev/null; }
spored_running() { spored --ping >/dev/null 2>&1; }
boot() { # NAME INITRD: prints the UUID
	sporectl boot "$kernel" --initrd "$E2E_TMP/$2.cpio" --cmdline "console=hvc0 quiet" \
		--memory 96 --name "$1" 2>"$E2E_TMP/boot.err" | awk '{print $1}'
}

if spored_running; then
	echo "ok - the sandbox's dom0 runs spored (it answers on its socket)"
else
	echo "not ok - the sandbox's dom0 runs spored (starting one for this test)"
	spored --log info >"$E2E_TMP/spored.log" 2>&1 &
	own_reaper=$!
	trap 'kill $own_reaper 2>/dev/null; rm -rf "$E2E_TMP"' EXIT
fi

# --- boot in the background, list, console -------------------------------
up=$(boot life-up echo)
check_match "boot without --attach prints a UUID" "$up" '^[0-9a-f-]{36}$'
[ -n "$up" ] || sed 's/^/#   /' "$E2E_TMP/boot.err"
check_eq "its record says running" "$(state "$up")" running
out=$(sporectl list 2>&1)
check_match "list shows it Up, with the short ID" "$out" "^${up:0:12} +life-up +- +Up "
check_match "list has docker's columns" "$(echo "$out" | head -n 1)" \
	'^ID +NAME +IMAGE +STATUS +CREATED +IPV4 +IPV6 +PORTS +MOUNTS$'
out=$(sporectl list --json 2>&1 | tr -d ' \n')
check_match "list --json: an array of objects, the guest's running" "$out" \
	"^\\[.*\\{\"id\":\"$up\",\"name\":\"life-up\",[^}]*\"state\":\"running\",\"status\":\"Up"

if wait_for 120 console_says life-up LIFE-READY; then
	out=$( (printf 'hello-console\n'; sleep 3; printf 'quit\n') | timeout 60 sporectl console life-up 2>&1)
	rc=$?
	check_match "console re-attaches: input reaches the guest, output comes back" "$out" \
		'ECHO:hello-console'
	check_eq "console returns 0 when the guest powers off" "$rc" 0
	wait_for 10 sh -c "[ \"\$(xenstore-read /spore/guests/$up/state)\" = exited ]"
	check_eq "the powered-off guest's record says exited" "$(state "$up")" exited
else
	echo "not ok - the guest life-up did not come up within 120 s"
fi

# --- reaping with no sporectl attached ----------------------------------
self=$(boot life-self selfoff)
if wait_for 120 console_says life-self LIFE-READY; then
	d=$(domid_of "$self")
	# What sporeinit would report before powering off.
	xenstore-write "/local/domain/$d/data/spore/exit-status" "exited 3"
	wait_for 60 console_says life-self LIFE-BYE
	t0=$SECONDS
	# Event-driven (the reaper wakes on @releaseDomain); the deadline is
	# only there for a loaded machine. How fast is measured, not asserted.
	wait_for 60 sh -c "[ \"\$(xenstore-read /spore/guests/$self/state)\" = exited ]"
	check_eq "a guest that powers off by itself is reaped (no sporectl attached)" \
		"$(state "$self")" exited
	echo "# ... $((SECONDS - t0)) s after its last words on the console"
	check_fails "... its domain is gone" xl list life-self
	check_fails "... so is /local/domain/$d" xenstore-exists "/local/domain/$d"
	check_fails "... and /vm/<uuid>" xenstore-exists "/vm/$self"
	check_eq "... its record keeps sporeinit's exit status" \
		"$(xenstore-read "/spore/guests/$self/exit-status")" "exited 3"
	check_eq "... and has no domid any more" "$(domid_of "$self")" -1
	out=$(sporectl list 2>&1)
	check_fails "list (running only) no longer shows it" grep -q life-self <<<"$out"
	out=$(sporectl list -a 2>&1)
	check_match "list -a shows it Exited (3)" "$out" "life-self +- +Exited \(3\) .* ago"
	check_match "list -a shows life-up Exited (0)" "$out" "life-up +- +Exited \(0\) .* ago"
	check "rm removes the exited guest's record" sporectl rm life-self
	check_fails "... it is gone from xenstore" xenstore-exists "/spore/guests/$self"
else
	echo "not ok - the guest life-self did not come up within 120 s"
fi

# --- destroy -------------------------------------------------------------
kill_uuid=$(boot life-kill sleeper)
if wait_for 120 console_says life-kill LIFE-READY; then
	d=$(domid_of "$kill_uuid")
	t0=$SECONDS
	out=$(timeout 60 sporectl destroy -t 30 life-kill 2>&1)
	rc=$?
	check_eq "destroy NAME of a running guest succeeds and names it" "$rc:$out" "0:life-kill"
	check "... the guest powered off when asked ($((SECONDS - t0)) s, grace 30 s)" \
		test $((SECONDS - t0)) -lt 30
	check_fails "... its domain is gone" xl list life-kill
	check_fails "... so is /local/domain/$d" xenstore-exists "/local/domain/$d"
	check_fails "... and its record" xenstore-exists "/spore/guests/$kill_uuid"
else
	echo "not ok - the guest life-kill did not come up within 120 s"
fi

# --- a domain destroyed behind spore's back --------------------------------
# @releaseDomain names no domain: the reaper finds the guest by comparing
# the domain list with the one it saw before. No sporectl runs meanwhile.
gone=$(boot life-gone sleeper)
if wait_for 120 console_says life-gone LIFE-READY; then
	d=$(domid_of "$gone")
	check "xl destroy of a spore guest's domain $d" xl destroy "$d"
	wait_for 60 sh -c "[ \"\$(xenstore-read /spore/guests/$gone/state)\" = exited ]"
	check_eq "... the reaper marks its record exited" "$(state "$gone")" exited
	check_eq "... with no domid" "$(domid_of "$gone")" -1
	check "rm removes it" sporectl rm life-gone
else
	echo "not ok - the guest life-gone did not come up within 120 s"
fi

out=$(sporectl destroy no-such-guest 2>&1)
rc=$?
check_eq "destroy of an unknown name fails" "$rc" 1
check_match "... with one line naming it" "$out" "^sporectl: destroy: no such guest: 'no-such-guest'$"
out=$(sporectl rm life-up life-nope 2>&1)
check_match "rm resolves every ID before removing any" "$out" "no such guest: 'life-nope'"
check "... so life-up's record is still there" xenstore-exists "/spore/guests/$up"
check "destroy of an exited guest removes its record" sporectl destroy life-up
check_fails "... gone" xenstore-exists "/spore/guests/$up"

# --- launches in progress, and one that died half-way ---------------------
# Records as a launch writes them ("building", its pid as owner). owner-pid
# goes first: every partial record already names its owner.
building() { # UUID NAME OWNER
	xenstore-write "/spore/guests/$1/owner-pid" "$3" "/spore/guests/$1/created" "$(date +%s)" \
		"/spore/guests/$1/name" "$2" "/spore/guests/$1/state" building
}
live=feedbeef-0000-4000-8000-$(printf '%012d' $$)
check "a launch in progress (owner alive) is recorded" building "$live" life-live $$
dead=$(sh -c 'echo $$')
fake=deadbeef-0000-4000-8000-$(printf '%012d' $$)
check "a launch whose sporectl died is recorded" building "$fake" life-dead "$dead"
check "... and its record is cleaned up by the reaper (woken by the record's write)" \
	wait_for 60 sh -c "! xenstore-exists /spore/guests/$fake"
check "the live launch's record is left alone" xenstore-exists "/spore/guests/$live"
check_match "list -a shows it as Created" "$(sporectl list -a 2>&1)" "life-live +- +Created "
check "destroy removes a launch in progress" sporectl destroy life-live
check_fails "... gone" xenstore-exists "/spore/guests/$live"

check_eq "no lifecycle guest is left" "$(xl list | grep -c " life-")" 0
