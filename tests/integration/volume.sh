#!/bin/bash
# `sporectl volume` on the host, as a user sees it (no Xen: no guest uses a
# volume here; tests/e2e/t/70-volume.sh checks "in use" in the sandbox):
# create, ls (text and JSON), inspect, rm, prune; the file is sparse and
# e2fsck-clean; a create killed while mkfs.ext4 runs, or after it, leaves
# nothing after the next command; every error is one line with its exit
# status (2 for usage, 1 for failures). Prints TAP.
#
# SPORECTL overrides the binary (default: build-san's, else build's).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
diag() { sed 's/^/#   /'; }

sporectl=${SPORECTL:-}
for b in build-san build; do
	[ -n "$sporectl" ] || [ ! -x "$root/$b/controller/sporectl" ] || sporectl=$root/$b/controller/sporectl
done
if [ -z "$sporectl" ]; then
	echo "1..0 # SKIP sporectl is not built"
	exit 0
fi
mkfs=$(PATH=$PATH:/usr/sbin:/sbin command -v mkfs.ext4)
e2fsck=$(PATH=$PATH:/usr/sbin:/sbin command -v e2fsck)
if [ -z "$mkfs" ] || [ -z "$e2fsck" ]; then
	echo "1..0 # SKIP e2fsprogs is not installed (mkfs.ext4, e2fsck)"
	exit 0
fi
sporectl=$(realpath "$sporectl")
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
vroot=$tmp/root
vdir=$vroot/volumes
sv() { "$sporectl" volume "$1" --root "$vroot" "${@:2}"; }

# one_line DESC STATUS REGEX CMD...: CMD exits STATUS with exactly one
# stderr line matching REGEX, and no raw control bytes anywhere.
one_line() {
	local desc=$1 want=$2 re=$3 rc
	shift 3
	"$@" >"$tmp/o" 2>"$tmp/e" </dev/null
	rc=$?
	if [ $rc = "$want" ] && [ "$(wc -l <"$tmp/e")" = 1 ] && grep -qE -- "$re" "$tmp/e" &&
		! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$tmp/e"); then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		echo "exit $rc (want $want); stderr:" | diag
		diag <"$tmp/e"
	fi
}

# json EXPR FILE: evaluates a Python expression over the JSON in FILE (as j).
json() { python3 -c 'import json, sys; j = json.load(open(sys.argv[2])); print(eval(sys.argv[1]))' "$1" "$2"; }

# --- create
sv create data >"$tmp/o" 2>"$tmp/e"
rc=$?
ok $rc "create data succeeds"
[ $rc = 0 ] || diag <"$tmp/e"
ok $([ "$(cat "$tmp/o")" = data ] && [ ! -s "$tmp/e" ]; echo $?) "create prints the name, nothing else"
disk=$vdir/data/disk.ext4
ok $([ "$(stat -c %s "$disk")" = 1073741824 ]; echo $?) "the default size is 1 GiB"
kib=$(du -k "$disk" | cut -f1)
ok $([ "$kib" -lt 4096 ]; echo $?) "the file is sparse: $kib KiB of 1 GiB allocated"
"$e2fsck" -fn "$disk" >"$tmp/fsck" 2>&1
ok $? "e2fsck -fn finds the filesystem clean"
[ -z "$(grep -v '^e2fsck' "$tmp/fsck" | grep -v -e '^Pass [1-5]' -e 'files .* blocks$')" ] || diag <"$tmp/fsck"
dumpe2fs -h "$disk" >"$tmp/dump" 2>/dev/null
ok $(grep -qE '^Filesystem features:.*has_journal.*extent' "$tmp/dump" &&
	grep -qE '^Reserved block count: +0$' "$tmp/dump" &&
	grep -qE '^Filesystem volume name: +data$' "$tmp/dump"; echo $?) \
	"it is ext4 with a journal, no reserved blocks, labelled with the name"
ok $([ "$(stat -c '%a %u' "$vdir/data" "$disk" | tr '\n' ' ')" = "700 0 600 0 " ]; echo $?) \
	"the volume is root's alone (0700 directory, 0600 file)"

sv create --size 512m --label env=prod --label tier= logs >/dev/null 2>"$tmp/e"
ok $? "create --size 512m --label env=prod --label tier= logs succeeds"
ok $([ "$(stat -c %s "$vdir/logs/disk.ext4")" = 536870912 ]; echo $?) "--size 512m makes 512 MiB"
sv create -s 1.5G big >/dev/null 2>&1 && sv create -s 20000000 odd >/dev/null 2>&1
ok $([ "$(stat -c %s "$vdir/big/disk.ext4")" = 1610612736 ] &&
	[ "$(stat -c %s "$vdir/odd/disk.ext4")" = 20000768 ]; echo $?) \
	"1.5G is 1.5 GiB; a byte count is rounded up to 4 KiB"
sv create >"$tmp/o" 2>&1
anon=$(cat "$tmp/o")
ok $(grep -qxE '[0-9a-f]{64}' <<<"$anon" && [ -f "$vdir/$anon/disk.ext4" ]; echo $?) \
	"create without a name makes one of 64 hex digits"

# --- ls
names=$(printf '%s\n' "$anon" big data logs odd | LC_ALL=C sort | tr '\n' ' ')
sv ls >"$tmp/ls" 2>"$tmp/e"
ok $? "ls succeeds"
ok $(head -n 1 "$tmp/ls" | grep -qE '^NAME +DRIVER +SIZE +ON DISK +CREATED$'; echo $?) "ls has a header"
ok $(grep -qE '^data +ext4 +1 GiB +[0-9.]+ KiB +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}$' "$tmp/ls" &&
	grep -qE '^logs +ext4 +512 MiB ' "$tmp/ls"; echo $?) "ls shows each volume: driver, size, space on disk, creation time"
ok $([ "$(sed 1d "$tmp/ls" | awk '{print $1}' | tr '\n' ' ')" = "$names" ]; echo $?) \
	"ls sorts by name"
ok $([ "$(sv ls -q | tr '\n' ' ')" = "$names" ]; echo $?) "ls -q prints the names only"
sv ls --json >"$tmp/ls.json" 2>"$tmp/e"
ok $([ "$(json '" ".join(v["Name"] for v in j) + " "' "$tmp/ls.json")" = "$names" ]; echo $?) \
	"ls --json: an array of every volume"

# --- inspect
sv inspect data logs >"$tmp/in.json" 2>"$tmp/e"
ok $? "inspect data logs succeeds"
ok $([ "$(json 'sorted(j[0].keys())' "$tmp/in.json")" = \
	"['Allocated', 'CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Scope', 'Size']" ]; echo $?) \
	"inspect: docker's keys and Size, Allocated"
ok $([ "$(json 'j[0]["Name"], j[0]["Driver"], j[0]["Mountpoint"], j[0]["Size"]' "$tmp/in.json")" = \
	"('data', 'ext4', '$disk', 1073741824)" ]; echo $?) "inspect: Name, Driver ext4, Mountpoint is the file, Size in bytes"
ok $([ "$(json 'j[0]["Allocated"]' "$tmp/in.json")" -lt $((4096 * 1024)) ]; echo $?) \
	"inspect: Allocated is what the sparse file takes"
now=$(date -u +%s)
created=$(json 'j[0]["CreatedAt"]' "$tmp/in.json")
ok $(c=$(date -u -d "$created" +%s) && [ $((now - c)) -ge 0 ] && [ $((now - c)) -lt 120 ] &&
	grep -qxE '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' <<<"$created"; echo $?) \
	"inspect: CreatedAt is RFC 3339 UTC, the creation time ($created)"
ok $([ "$(json 'j[1]["Labels"]' "$tmp/in.json")" = "{'env': 'prod', 'tier': ''}" ]; echo $?) "inspect: the labels"
ok $(cmp -s <(json 'j[0]' "$tmp/in.json") <(json '[v for v in j if v["Name"] == "data"][0]' "$tmp/ls.json"); echo $?) \
	"ls --json and inspect say the same"

# --- errors: one line each, exit 2 for usage, 1 for failures
before=$(stat -c '%i %Y' "$disk")
one_line "create of an existing name fails: 1, one line" 1 \
	'^sporectl: volume create: data: a volume with that name already exists$' sv create data
ok $([ "$(stat -c '%i %Y' "$disk")" = "$before" ]; echo $?) "... and leaves the volume as it was"
one_line "a name with '/' is a usage error: 2, one line" 2 \
	"^sporectl: volume create: 'a/b': not a valid volume name" sv create a/b
one_line "a name with control bytes: 2, one line, the bytes shown escaped" 2 \
	"'\\\\x1b\\[31mred\\\\x07': not a valid volume name" sv create $'\e[31mred\a'
one_line "a leading '.' is not a name (the store's own files): 2" 2 \
	"'.lock': not a valid volume name" sv rm .lock
one_line "a 65-character name: 2" 2 'not a valid volume name' sv create "$(printf 'a%.0s' {1..65})"
one_line "--size junk: 2, one line" 2 "^sporectl: volume create: --size '12q': want " sv create -s 12q x
one_line "--size below 16 MiB: 2" 2 "^sporectl: volume create: --size '1m'" sv create -s 1m x
one_line "--size above 16 TiB: 2" 2 "^sporectl: volume create: --size '17t'" sv create -s 17t x
one_line "--label without a key: 2" 2 "^sporectl: volume create: --label '=v'" sv create --label =v x
one_line "an option of another command: 2" 2 '^sporectl: volume create: unknown option' sv create --json x
one_line "ls with an argument: 2" 2 '^sporectl: volume ls: wrong number of arguments' sv ls data
one_line "rm without a name: 2" 2 '^sporectl: volume rm: wrong number of arguments' sv rm
one_line "an unknown command: 2" 2 "^sporectl: volume: unknown command 'frob'" "$sporectl" volume frob
one_line "inspect of a missing volume: 1, one line" 1 '^sporectl: volume inspect: nope: no such volume$' \
	sv inspect nope
ok $([ "$(grep -c . "$tmp/o")" = 1 ] && grep -qx '\[\]' "$tmp/o"; echo $?) "... printing an empty array"
ok $([ "$(ls -A "$vdir" | LC_ALL=C sort | tr '\n' ' ')" = ".lock $names" ]; echo $?) \
	"the refused commands made nothing"
for v in "$sporectl volume --help" "$sporectl volume create --help" "$sporectl volume ls --help" \
	"$sporectl volume inspect --help" "$sporectl volume rm --help" "$sporectl volume prune --help"; do
	$v >"$tmp/o" 2>&1
	ok $([ $? = 0 ] && grep -q '^Usage: sporectl volume' "$tmp/o"; echo $?) "${v#"$sporectl "} prints its usage, exits 0"
done

# --- rm
sv rm odd >"$tmp/o" 2>"$tmp/e"
ok $([ $? = 0 ] && [ "$(cat "$tmp/o")" = odd ] && [ ! -e "$vdir/odd" ]; echo $?) "rm odd removes it and prints its name"
one_line "rm of a missing volume: 1, one line" 1 '^sporectl: volume rm: nope: no such volume$' sv rm nope
sv rm nope1 big nope2 >"$tmp/o" 2>"$tmp/e" </dev/null
rc=$?
ok $([ $rc = 1 ] && [ "$(cat "$tmp/o")" = big ] && [ ! -e "$vdir/big" ] &&
	[ "$(cat "$tmp/e")" = "sporectl: volume rm: nope1: no such volume
sporectl: volume rm: nope2: no such volume" ]; echo $?) \
	"rm of several names removes what it can: one line per missing name, in order, exit 1"
[ $rc = 1 ] || diag <"$tmp/e"
sv rm -f nope "$anon" >"$tmp/o" 2>"$tmp/e"
ok $([ $? = 0 ] && [ ! -s "$tmp/e" ] && [ "$(cat "$tmp/o")" = "$anon" ]; echo $?) "rm -f ignores missing names"

# --- prune
one_line "prune with no answer (stdin not a terminal, empty): 1, one line" 1 \
	'^sporectl: volume prune: not confirmed' sv prune
echo n | sv prune >/dev/null 2>&1
ok $([ $? = 1 ] && [ -e "$vdir/data" ] && [ -e "$vdir/logs" ]; echo $?) "prune answered 'n' removes nothing"
alloc=$(($(stat -c %b "$vdir/data/disk.ext4") + $(stat -c %b "$vdir/logs/disk.ext4")))
sv prune -f >"$tmp/o" 2>"$tmp/e"
ok $? "prune -f succeeds"
ok $([ "$(sed -n '1,3p' "$tmp/o" | tr '\n' ' ')" = "Deleted Volumes: data logs " ] &&
	grep -qE '^Total reclaimed space: [0-9.]+ (KiB|MiB)$' "$tmp/o"; echo $?) \
	"prune prints what it removed and the space reclaimed"
ok $([ -z "$(sv ls -q)" ] && [ "$(ls -A "$vdir")" = .lock ]; echo $?) "nothing is left but the lock"
ok $([ "$(sv prune -f)" = "Total reclaimed space: 0 B" ]; echo $?) "a second prune reclaims nothing"
echo "# the two volumes took $((alloc / 2)) KiB: $(grep Total "$tmp/o")"

# --- crash safety: a create killed mid-mkfs, or after it, leaves nothing
# stopped PID: whether the process is stopped (state T).
stopped() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ]; }
wait_for() { local i; for i in $(seq 1 100); do "$@" && return 0; sleep 0.1; done; return 1; }
mkdir -p "$tmp/shim"
# The shim stands in for mkfs.ext4 (found first on PATH): it records its
# pid and stops itself, before running the real one (mid-mkfs) or after
# (the filesystem made, not yet renamed into place).
for when in before after; do
	{
		echo '#!/bin/bash'
		echo "echo \$\$ >'$tmp/shim.pid'"
		[ $when = before ] && echo 'kill -STOP $$'
		echo "'$mkfs' \"\$@\" || exit \$?"
		[ $when = after ] && echo 'kill -STOP $$'
		echo 'exit 0'
	} >"$tmp/shim/mkfs.ext4"
	chmod +x "$tmp/shim/mkfs.ext4"
	rm -f "$tmp/shim.pid"
	PATH=$tmp/shim:$PATH "$sporectl" volume create --root "$vroot" crash >"$tmp/o" 2>"$tmp/e" &
	sc=$!
	pids+=("$sc")
	wait_for test -s "$tmp/shim.pid"
	shim=$(cat "$tmp/shim.pid" 2>/dev/null)
	pids+=("$shim")
	wait_for stopped "$shim"
	temp=$(ls -A "$vdir" | grep "^\.create-$sc-")
	ok $([ -n "$temp" ] && [ -f "$vdir/$temp/disk.ext4" ] && [ ! -e "$vdir/crash" ]; echo $?) \
		"kill $when mkfs: the volume is built in .create-<sporectl's pid>-*, not yet in place"
	kill -9 "$sc"
	wait "$sc" 2>/dev/null
	wait_for sh -c "! kill -0 $shim 2>/dev/null"
	ok $(! kill -0 "$shim" 2>/dev/null; echo $?) "kill $when mkfs: mkfs.ext4 dies with sporectl"
	out=$(sv ls -q 2>&1)
	ok $([ -z "$out" ] && [ "$(ls -A "$vdir")" = .lock ]; echo $?) \
		"kill $when mkfs: the next command (ls) leaves nothing of it"
done

# --- mkfs.ext4 failing or missing: one line, nothing left
printf '#!/bin/sh\necho "mkfs.ext4: Device size reported to be zero." >&2\nexit 1\n' >"$tmp/shim/mkfs.ext4"
one_line "mkfs.ext4 failing: 1, one line with its last output line" 1 \
	'^sporectl: volume create: v: mkfs.ext4 failed \(exit 1\): mkfs.ext4: Device size reported to be zero.$' \
	env PATH="$tmp/shim:$PATH" "$sporectl" volume create --root "$vroot" v
ok $([ "$(ls -A "$vdir")" = .lock ]; echo $?) "... and nothing is left"

echo "1..$n"
