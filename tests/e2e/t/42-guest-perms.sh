#!/bin/bash
# xenstore permissions as a guest sees them: from inside a launched guest
# (its initrd swapped, through $SPORE_INITRD, for busybox and a static
# xenstore client, tests/tools/guest-xs, speaking to /dev/xen/xenbus), it
# reads its own nodes and its backends' but cannot read spore's records or
# another guest's nodes, and cannot write another guest's nodes, its own
# backends' or create a backend for itself.
. tests/e2e/lib.sh

gxs=${SPORE_BUILD:-build}/tests/guest-xs
need_launch "guest permissions" "$gxs"
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }

# Another guest, the one the probe pokes at.
victim=$(L --name e2e-victim "$img" /bin/sh -c 'sleep 1000' 2>"$E2E_TMP/err")
vd=$(xenstore-read "/spore/guests/$victim/domid" 2>/dev/null)
if [ -z "$vd" ] || [ "$vd" -le 0 ] 2>/dev/null; then
	echo "not ok - a guest to probe is launched"
	sed 's/^/#   /' "$E2E_TMP/err"
	exit 0
fi

d=$E2E_TMP/probe
mkdir -p "$d/bin" "$d/proc" "$d/dev"
cp "$(command -v busybox)" "$d/bin/busybox"
cp "$gxs" "$d/bin/guest-xs"
ln -s busybox "$d/bin/sh"
cat >"$d/init" <<EOF
#!/bin/sh
export PATH=/bin
busybox mount -t proc proc /proc
busybox mount -t devtmpfs dev /dev
X=/bin/guest-xs
# probe DESC CMD...: one line "PROBE:DESC:allowed|denied:what it said"
probe() {
	desc=\$1; shift
	if out=\$("\$@" 2>&1); then r=allowed; else r=denied; fi
	echo "PROBE:\$desc:\$r:\$(echo \$out | busybox head -c 60)"
}
self=\$(\$X read domid)
be=\$(\$X read device/vbd/51712/backend)
echo "PROBE-SELF:\$self:\$be"
probe read-own-name \$X read name
probe read-own-backend-state \$X read "\$be/state"
probe read-own-backend-params \$X read "\$be/params"
probe write-own-data \$X write data/probe 1
probe ls-records \$X ls /spore/guests
probe read-record \$X read /spore/guests/$victim/name
probe ls-domains \$X ls /local/domain
probe read-other-name \$X read /local/domain/$vd/name
probe read-other-vm \$X read /vm/$victim/name
probe read-other-backend \$X read /local/domain/0/backend/vbd/$vd/51712/params
probe write-other-shutdown \$X write /local/domain/$vd/control/shutdown poweroff
probe write-other-frontend \$X write /local/domain/$vd/device/vbd/51712/state 6
probe write-other-data \$X write /local/domain/$vd/data/x 1
probe write-other-backend \$X write /local/domain/0/backend/vbd/$vd/51712/state 6
probe write-own-backend-state \$X write "\$be/state" 6
probe write-own-backend-device \$X write "\$be/physical-device" 8:0
probe rm-own-backend \$X rm "\$be"
probe create-backend \$X write /local/domain/0/backend/vbd/\$self/51800/physical-device 8:0
probe write-dom0 \$X write /local/domain/0/name pwned
probe write-records \$X write /spore/guests/x 1
probe write-root \$X write /pwned 1
echo PROBE-DONE
busybox poweroff -f
EOF
chmod +x "$d/init"
(cd "$d" && find . | cpio -o -H newc 2>/dev/null >"$E2E_TMP/probe.cpio")

out=$(SPORE_INITRD=$E2E_TMP/probe.cpio L --attach --rm --name e2e-probe "$img" true 2>&1 | tr -d '\r')
check_match "the probe ran inside a guest" "$out" 'PROBE-DONE'
check_match "... which knows its domid and backend" "$out" 'PROBE-SELF:[0-9]+:/local/domain/0/backend/vbd/[0-9]+/51712'
expect() { # DESC allowed|denied
	local line
	line=$(grep "^PROBE:$1:" <<<"$out" | head -n 1)
	check_match "a guest: $1 is $2 (${line#PROBE:$1:})" "$line" "^PROBE:$1:$2:"
}
expect read-own-name allowed
expect read-own-backend-state allowed
expect read-own-backend-params allowed
expect write-own-data allowed
expect ls-records denied
expect read-record denied
expect read-other-name denied
expect read-other-vm denied
expect read-other-backend denied
expect write-other-shutdown denied
expect write-other-frontend denied
expect write-other-data denied
expect write-other-backend denied
expect write-own-backend-state denied
expect write-own-backend-device denied
expect rm-own-backend denied
expect create-backend denied
expect write-dom0 denied
expect write-records denied
expect write-root denied
grep '^PROBE:ls-domains' <<<"$out" | sed 's/^/# (informational) /'

check_eq "the probed guest still runs" "$(xenstore-read "/spore/guests/$victim/state")" running
check_fails "... with nothing written to its nodes" xenstore-exists "/local/domain/$vd/data/x"
sporectl destroy -t 0 e2e-victim >/dev/null 2>&1
