#!/bin/bash
# spore's xenstore client against the running xenstored (oxenstored or C
# xenstored, per the sandbox's --xenstored): what `sporectl xs` users see.
. tests/e2e/lib.sh

xsd=$(sed -n 's/.*spore\.xenstored=\([a-z]*\).*/\1/p' /proc/cmdline)
build=$(sed -n 's/.*spore\.build=\([^ ]*\).*/\1/p' /proc/cmdline)
probe=/mnt/host/${build:-build}/tests/spore-xen-probe
echo "# xenstored: ${xsd:-unknown}"
b=/spore-e2e-xs
xenstore-rm $b 2>/dev/null

check_match "the client talks to xenstored's Unix socket" \
	"$(sporectl --log debug xs read /local/domain/0/name 2>&1)" 'connected via /(var/)?run/xenstored/socket'
check "xs write" sporectl xs write $b/k "v 1"
check_eq "xs read returns the value" "$(sporectl xs read $b/k 2>&1)" "v 1"
check_eq "Debian's xenstore-read agrees" "$(xenstore-read $b/k 2>&1)" "v 1"
xenstore-write $b/other "from xenstore-write"
check_eq "xs read sees Debian's write" "$(sporectl xs read $b/other 2>&1)" "from xenstore-write"
check "xs mkdir" sporectl xs mkdir $b/dir
check_eq "an empty node reads as empty" "$(sporectl xs read $b/dir 2>&1)" ""
check_eq "xs ls prints what xenstore-ls prints" "$(sporectl xs ls $b 2>&1 | sort)" \
	"$(xenstore-ls $b 2>&1 | sort)"
check_eq "xs ls -d lists the names" "$(sporectl xs ls -d $b 2>&1 | sort | tr '\n' ' ')" \
	"dir k other "

check "xs perms sets permissions" sporectl xs perms $b/k n0 r5
check_eq "xs perms reads them back" "$(sporectl xs perms $b/k 2>&1)" "n0 r5"

check "xs rm" sporectl xs rm $b/k
out=$(sporectl xs read $b/k 2>&1)
check_match "reading a removed node fails with ENOENT" "$out" '^sporectl: .*ENOENT'
check_eq "in one line" "$(printf '%s\n' "$out" | wc -l)" 1
check_fails "and exits non-zero" sporectl xs read $b/k
check "xs rm of a missing node is fine" sporectl xs rm $b/nothing

# A watch fires at once for the path itself, then for a write made by
# another process.
timeout 60 sporectl xs watch -n 2 $b/w >"$E2E_TMP/watch" 2>&1 &
wpid=$!
for _ in $(seq 100); do [ -s "$E2E_TMP/watch" ] && break; sleep 0.1; done
xenstore-write $b/w/x 1
wait $wpid
check_eq "xs watch fires on registration and for another process's write" \
	"$(tr '\n' ' ' <"$E2E_TMP/watch")" "$b/w $b/w/x "

# A directory whose listing exceeds the 4096-byte payload: C xenstored
# answers E2BIG and the client switches to DIRECTORY_PART; oxenstored sends
# the whole list over its socket.
args=()
for i in $(seq -w 1 300); do args+=("$b/big/child-with-a-long-name-$i" "$i"); done
xenstore-write "${args[@]}"
check_eq "a 300-entry (~9 KiB) directory lists completely" \
	"$(sporectl xs ls -d $b/big 2>&1 | wc -l)" 300
check_eq "with exactly the names written" "$(sporectl xs ls -d $b/big 2>&1 | sort | md5sum)" \
	"$(seq -w 1 300 | sed 's/^/child-with-a-long-name-/' | sort | md5sum)"

# The same client over /dev/xen/xenbus (the kernel's ring to xenstored).
check_eq "round-trip over /dev/xen/xenbus" \
	"$(XENSTORED_PATH=/dev/xen/xenbus sporectl xs read $b/other 2>&1)" "from xenstore-write"
out=$(XENSTORED_PATH=/dev/xen/xenbus sporectl xs ls -d $b/big 2>&1)
if [ "$xsd" = oxenstored ]; then
	# oxenstored 4.17 caps ring replies at 4096 bytes and has no DIRECTORY_PART.
	check_match "a large directory over the ring fails clearly on oxenstored" "$out" \
		'E2BIG|does not support DIRECTORY_PART'
else
	check_eq "a large directory over the ring via DIRECTORY_PART" \
		"$(printf '%s\n' "$out" | wc -l)" 300
fi

if [ -x "$probe" ]; then
	# Four processes add 1 to one counter 25 times each in read-sleep-write
	# transactions: they conflict, retry, and no update is lost.
	"$probe" tx-counter $b/counter 4 25 2>&1
	"$probe" watch-queue $b/wq 2>&1
else
	skip "transaction conflicts and the watch queue" "no $probe"
fi

out=$(sporectl xs read "/$(head -c 3100 /dev/zero | tr '\0' a)" 2>&1)
check_match "a path over the protocol limit: one clear line" "$out" \
	'^sporectl: .*over the protocol limit of 3072$'
out=$(XENSTORED_PATH=/run/no-such-socket sporectl xs read /x 2>&1)
check_match "no xenstored at the socket: one clear line" "$out" \
	'^sporectl: .*cannot connect to xenstored at /run/no-such-socket'

xenstore-rm $b
