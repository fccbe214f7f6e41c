#!/bin/bash
# sporectl inspect and stats on running guests: inspect's JSON and --format
# against what launch was told; stats' figures are plausible for a guest
# burning CPU and an idle one (Xen's CPU time, the backends' counters).
. tests/e2e/lib.sh

need_launch "inspect and stats tests"

domains() { xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l; }
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
# jf JSON NAME KEY: KEY of the object whose name is NAME in a compact JSON
# array of flat objects (dom0 has no jq).
jf() { printf '%s' "$1" | tr '{' '\n' | grep "\"name\":\"$2\"" | sed -n "s/.*\"$3\":\([^,}]*\).*/\1/p"; }

L -d --name e2e-busy -m 96m "$img" /bin/sh -c 'while :; do :; done' >/dev/null 2>"$E2E_TMP/err"
L -d --name e2e-idle "$img" sleep 600 >/dev/null 2>>"$E2E_TMP/err"
[ -s "$E2E_TMP/err" ] && sed 's/^/#   launch: /' "$E2E_TMP/err" | head -n 5

out=$(sporectl inspect -f '{{.name}} {{.state}} {{.memory_mib}} {{.vcpus}} {{json .exit_code}}' e2e-busy 2>&1)
check_eq "inspect --format shows the fields launch set" "$out" "e2e-busy running 96 1 null"
out=$(sporectl inspect e2e-busy e2e-idle 2>&1)
check_match "inspect prints a JSON array, one object per ID" "$(printf '%s' "$out" | tr -d ' \n')" \
	'^\[\{"id":"[0-9a-f-]{36}","name":"e2e-busy",.*\},\{"id":"[0-9a-f-]{36}","name":"e2e-idle",.*\}\]$'
out=$(sporectl inspect -f '{{.name}}' e2e-idle e2e-no-such 2>"$E2E_TMP/ierr")
rc=$?
check_eq "inspect of a missing ID exits 1 with one line, the others still printed" \
	"$rc:$(wc -l <"$E2E_TMP/ierr"):$out" "1:1:e2e-idle"

# Let the busy loop run, then sampled reports: the idle guest's first
# seconds after launch are its init's (the control channel's greeting,
# under TCG beside a busy guest), so up to 8 samples for it to settle; a
# guest that keeps burning CPU fails all of them.
sleep 3
for _ in 1 2 3 4 5 6 7 8; do
	out=$(sporectl stats --no-stream --json 2>&1)
	busy=$(jf "$out" e2e-busy cpu_percent)
	busy=${busy%%.*}
	idle=$(jf "$out" e2e-idle cpu_percent)
	idle=${idle%%.*}
	[ "${idle:-100}" -ge 10 ] || break
	sleep 2
done
echo "# stats: $out" | cut -c1-400
check "stats --json: a guest in a busy loop uses more than half a CPU (${busy:-?}%)" \
	test "${busy:-0}" -gt 50
check "stats --json: an idle guest less than a tenth (${idle:-?}%)" test "${idle:-100}" -lt 10
mem=$(jf "$out" e2e-busy memory_bytes)
check_eq "stats --json: memory limit is launch's -m" "$(jf "$out" e2e-busy memory_limit_bytes)" "$((96 << 20))"
check "stats --json: memory use is within it, above 0 (${mem:-?})" \
	test "${mem:-0}" -gt 0 -a "${mem:-0}" -le $(((96 + 1) << 20))
check_match "stats --json: the image was read from disk (blkback's counters)" \
	"$(jf "$out" e2e-idle block_read_bytes)" '^[1-9][0-9]*$'
check_match "stats --json: the network counters are there (netback's)" \
	"$(jf "$out" e2e-idle net_rx_bytes)" '^[0-9]+$' 
out=$(sporectl stats --no-stream e2e-idle 2>&1)
check_match "stats --no-stream ID: a table with the one guest" "$(printf '%s' "$out" | sed -n 2p)" \
	'^[0-9a-f-]{12} +e2e-idle +[0-9]+\.[0-9]{2}% +'
check_eq "and only that guest" "$(printf '%s\n' "$out" | wc -l)" 2

sporectl destroy -t 0 e2e-busy e2e-idle >/dev/null 2>&1
check_eq "destroy leaves no domain" "$(domains)" 0
