#!/bin/bash
# launch --tmpfs PATH[:OPTS] and --read-only (issue 15): a tmpfs with
# docker's defaults (mode 1777, noexec, nosuid, nodev) and with size= and
# mode=; a read-only root rejects writes (EROFS) while --tmpfs /tmp and a
# volume under it stay writable and sporeinit's own files (/etc/hosts) are
# there; bad specs are refused in one line before anything is made.
. tests/e2e/lib.sh

need_launch "tmpfs and read-only tests"

vol=e2e-ro-$$
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
domains() { xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l; }
records() { xenstore-list /spore/guests 2>/dev/null | wc -l; }
cleanup() {
	sporectl volume rm -f "$vol" >/dev/null 2>&1
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT
records0=$(records)

# (a) --tmpfs with docker's defaults, and with size= and mode=.
out=$(L --attach --rm --tmpfs /scratch --tmpfs /run/big:size=8m,mode=700,exec "$img" /bin/sh -c \
	'grep " /scratch \| /run/big " /proc/mounts; stat -c "%a %n" /scratch /run/big
	 df -k /run/big | tail -1; echo hi >/scratch/f && cat /scratch/f' 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
check_eq "launch --tmpfs /scratch --tmpfs /run/big:size=8m,mode=700,exec exits 0" "$rc" 0
check_match "/scratch is a tmpfs, rw,nosuid,nodev,noexec (docker's defaults)" "$out" \
	'^tmpfs /scratch tmpfs rw,nosuid,nodev,noexec'
check_match "... mode 1777" "$out" '^1777 /scratch$'
check_match "... and writable" "$out" '^hi$'
check_match "/run/big: exec (no noexec), still nosuid,nodev" "$out" \
	'^tmpfs /run/big tmpfs rw,nosuid,nodev,relatime,size=8192k,mode=700'
check_match "... mode 700" "$out" '^700 /run/big$'
check_match "... 8 MiB (df)" "$out" '^tmpfs +8192 '

# (b) --read-only: the root refuses writes; --tmpfs /tmp and a volume work.
out=$(L --attach --rm --read-only --tmpfs /tmp -v "$vol:/data" -w /srv/app "$img" /bin/sh -c \
	'grep " / " /proc/mounts | tail -1; touch /rootfile || echo root-write-failed
	 echo t >/tmp/t && cat /tmp/t; echo v >/data/v && cat /data/v
	 grep -c . /etc/hosts; pwd' 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
check_eq "launch --read-only --tmpfs /tmp -v $vol:/data exits 0" "$rc" 0
check_match "/ is mounted read-only" "$out" '^overlay / overlay ro'
check_match "... a write to / fails with EROFS" "$out" "touch: /rootfile: Read-only file system"
check_match "... and the shell sees it fail" "$out" '^root-write-failed$'
check_match "--tmpfs /tmp is writable" "$out" '^t$'
check_match "the volume is writable" "$out" '^v$'
check_match "/etc/hosts was written before the root was sealed" "$out" '^[2-9]$'
check_match "the working directory was made before, too" "$out" '^/srv/app$'
out=$(L --attach --rm --read-only "$img" /bin/sh -c 'echo x >/tmp/x || echo tmp-write-failed' 2>&1)
check_match "without --tmpfs /tmp, /tmp is read-only too (as docker's)" "$(tr -d '\r' <<<"$out")" \
	'^tmp-write-failed$'

# (c) Refused in one line, nothing made.
out=$(L --attach --rm --tmpfs tmp "$img" true 2>&1)
check_eq "a relative --tmpfs target: 125, one line" "$?:$out" \
	"125:sporectl: launch: --tmpfs 'tmp': the target must be an absolute path in the container"
out=$(L --attach --rm --tmpfs /t:uid=0 "$img" true 2>&1)
check_eq "an unknown --tmpfs option: 125, one line" "$?:$out" \
	"125:sporectl: launch: --tmpfs '/t:uid=0': option 'uid=0' is not size=, mode=, ro, rw, [no]exec, [no]suid or [no]dev"
out=$(L --attach --rm -v "$vol:/d" --tmpfs /d "$img" true 2>&1)
check_eq "a --tmpfs on a volume's target: 125, one line" "$?:$out" \
	"125:sporectl: launch: --tmpfs: /d is the target of two mounts"
check_eq "no guest or record is left" "$(domains) $(records)" "0 $records0"
