#!/bin/bash
# A guest owns data/ in its xenstore area, so data/spore/exit-status is
# guest-written: a container that writes terminal escape sequences there
# must not get them onto the admin's screen. spore keeps only the statuses
# sporeinit writes; anything else is stored and shown as "invalid".
. tests/e2e/lib.sh

need_launch "guest-written exit status"

esc=$'\e'
uuid_named() { # NAME
	local u
	for u in $(xenstore-list /spore/guests 2>/dev/null); do
		[ "$(xenstore-read "/spore/guests/$u/name" 2>/dev/null)" = "$1" ] && echo "$u"
	done
}
no_esc() { # TEXT: 0 when TEXT holds no ESC byte
	case $1 in *"$esc"*) return 1 ;; esac
}

# The container writes its own exit-status through the guest's xenbus
# device (an XS_WRITE message: type 11, req_id 1, tx 0, 45 payload bytes),
# waits for xenstored's reply, then powers the guest off at once (busybox
# poweroff -f), before sporeinit could report anything. The value:
# "exited 1" + ESC[2J (clear screen) + ESC]0;pwned BEL (window title).
msg='\013\000\000\000\001\000\000\000\000\000\000\000\055\000\000\000'
msg+='data/spore/exit-status\000exited 1\033[2J\033]0;pwned\007'
out=$(timeout 600 sporectl launch --attach --insecure-registry "$reg" --name e2e-xstatus "$img" \
	/bin/sh -c "exec 3<>/dev/xen/xenbus && printf '$msg' >&3 && head -c 16 <&3 >/dev/null &&
		echo WROTE; poweroff -f" 2>"$E2E_TMP/err")
rc=$?
err=$(cat "$E2E_TMP/err")
check_match "the container wrote its exit-status itself" "$out" WROTE
check_eq "launch exits 125: no status sporeinit writes was reported" "$rc" 125
check_match "launch's error names the status as invalid" "$err" 'stopped \(invalid\)'
check "... and carries no escape byte" no_esc "$err"
u=$(uuid_named e2e-xstatus)
check_eq "the record stores invalid, not the guest's bytes" \
	"$(xenstore-read "/spore/guests/$u/exit-status" 2>&1)" invalid

list=$(sporectl list -a 2>&1)
check_match "list -a shows it Exited (invalid)" "$list" "e2e-xstatus +[^ ]+ +Exited \(invalid\) "
check "... with no escape byte anywhere" no_esc "$list"
json=$(sporectl list -a --json 2>&1)
check_match "list --json gives exit_status invalid" "$(echo "$json" | tr -d ' \n')" \
	"\"name\":\"e2e-xstatus\",[^}]*\"status\":\"Exited\(invalid\)[^}]*\"exit_status\":\"invalid\""
check "... with no escape byte anywhere" no_esc "$json"

# A record written by an older spore may hold a guest's bytes unchecked:
# list shows them as invalid too, and xs read escapes them.
xenstore-write "/spore/guests/$u/exit-status" "exited 1${esc}[2J${esc}]0;pwned"$'\a'
list=$(sporectl list -a 2>&1)
check_match "an older record's raw status: list -a shows Exited (invalid)" "$list" \
	"e2e-xstatus +[^ ]+ +Exited \(invalid\) "
check "... with no escape byte anywhere" no_esc "$list"
json=$(sporectl list -a --json 2>&1)
check_match "... list --json gives exit_status invalid" "$(echo "$json" | tr -d ' \n')" \
	"\"name\":\"e2e-xstatus\",[^}]*\"exit_status\":\"invalid\""
check "... with no escape byte anywhere" no_esc "$json"
out=$(sporectl xs read "/spore/guests/$u/exit-status" 2>&1)
check_eq "xs read shows the bytes escaped" "$out" 'exited 1\x1b[2J\x1b]0;pwned\x07'

check "rm removes the record" sporectl rm e2e-xstatus
