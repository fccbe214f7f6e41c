#!/bin/bash
# sporectl launch: an OCI image from the test registry (on the host, seen
# from dom0 as 10.0.2.2:5000) runs as a container in its own PV guest.
. tests/e2e/lib.sh

need_launch "launch tests"

domains() { xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l; }
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }

out=$(L --attach --name e2e-hello "$img" /bin/sh -c 'echo hello; exit 3' 2>"$E2E_TMP/err")
rc=$?
check_match "launch --attach shows the container's output" "$out" '^hello'
check_eq "launch --attach exits with the container's status" "$rc" 3
check_eq "the guest is gone afterwards" "$(domains)" 0
check_eq "no loop device is left" "$(losetup -a 2>/dev/null | wc -l)" 0
check_eq "no backend nodes are left" "$(xenstore-list /local/domain/0/backend/vbd 2>/dev/null | wc -l)" 0
uuid=$(xenstore-list /spore/guests 2>/dev/null | while read -r u; do
	[ "$(xenstore-read /spore/guests/$u/name)" = e2e-hello ] && echo "$u"; done)
check_eq "the record keeps the exit status" "$(xenstore-read /spore/guests/$uuid/exit-status 2>&1)" "exited 3"
check_eq "the record says exited" "$(xenstore-read /spore/guests/$uuid/state 2>&1)" exited
[ -s "$E2E_TMP/err" ] && sed 's/^/#   stderr: /' "$E2E_TMP/err" | head -n 5

out=$(L --attach --rm -e FOO='a b=c' -w /work/dir -u 1000:50 "$img" \
	/bin/sh -c 'echo "foo=$FOO"; pwd; echo "ids=$(id -u):$(id -g)"' 2>&1)
check_match "-e sets the environment (spaces and = kept)" "$out" 'foo=a b=c'
check_match "-w sets (and creates) the working directory" "$out" '/work/dir'
check_match "-u sets uid and gid" "$out" 'ids=1000:50'
check_eq "--rm leaves no record" "$(for u in $(xenstore-list /spore/guests 2>/dev/null); do
	xenstore-read /spore/guests/$u/image; done | grep -c . )" 1

# Output written just before the container exits is not lost: it crosses
# the guest's tty buffer, the console ring and xenconsoled after the guest
# has stopped.
L --attach --rm "$img" seq 1 20000 >"$E2E_TMP/seq" 2>&1
check_eq "a container's last output arrives whole (20000 lines)" \
	"$(tr -d '\r' <"$E2E_TMP/seq" | grep -c .):$(tr -d '\r' <"$E2E_TMP/seq" | tail -n 1)" "20000:20000"

# destroy from another shell while attached: the attached launch still
# exits with the container's status (here its TERM trap's), as docker run
# does under docker rm -f, though destroy removes the record.
L --attach --name e2e-stop "$img" /bin/sh -c \
	'trap "echo trapped; exit 7" TERM; echo ready; while :; do sleep 1; done' >"$E2E_TMP/stop" 2>&1 &
lp=$!
wait_for 300 grep -q ready "$E2E_TMP/stop"
sporectl destroy e2e-stop >/dev/null 2>&1
wait $lp
rc=$?
check_eq "an attached launch whose guest is destroyed elsewhere exits with the container's status" "$rc:$(grep -c trapped "$E2E_TMP/stop")" "7:1"
check_eq "and destroy removed its record" "$(for u in $(xenstore-list /spore/guests 2>/dev/null); do
	xenstore-read /spore/guests/$u/name; done | grep -c '^e2e-stop$')" 0

L --attach --rm "$img" /no/such/command >/dev/null 2>&1
check_eq "a command that does not exist exits 127" "$?" 127
L --attach --rm "$img" /etc/passwd >/dev/null 2>&1
check_eq "a command that is not executable exits 126" "$?" 126

out=$(L --attach "$reg/spore-test/no-such-image:latest" true 2>&1)
rc=$?
check_eq "a missing image exits 125" "$rc" 125
check_match "with one clear line" "$out" '^sporectl: .*no-such-image'
check_eq "and nothing is left behind" "$(domains)$(losetup -a | wc -l)" 00

# What xl list -l and xenstore readers see of a running guest's image.
L --name e2e-vm "$img" sleep 120 >/dev/null 2>"$E2E_TMP/err"
vm=$(xenstore-read "/local/domain/$(xl domid e2e-vm 2>/dev/null)/vm" 2>/dev/null)
check_match "/vm/<uuid>/image/ramdisk names sporeinit's initrd file" \
	"$(xenstore-read "$vm/image/ramdisk" 2>&1)" '/sporeinit\.cpio$'
sporectl destroy e2e-vm >/dev/null 2>&1
check_eq "destroy leaves no domain" "$(domains)" 0

# docker's resource flags: -d (detached, the default), -m with a suffix,
# --cpus as vCPUs plus a credit2 cap (xl reads both back from Xen).
uuid=$(L -d -m 64m --cpus 0.5 --name e2e-res "$img" sleep 120 2>"$E2E_TMP/err")
check_match "launch -d prints the guest's UUID" "$uuid" '^[0-9a-f-]{36}$'
check_eq "-m 64m gives 64 MiB, --cpus 0.5 one vCPU (xl list)" \
	"$(xl list e2e-res 2>/dev/null | awk 'NR == 2 { print $3 ":" $4 }')" "64:1"
check_eq "--cpus 0.5 caps the guest at 50% of a CPU (xl sched-credit2)" \
	"$(xl sched-credit2 -d e2e-res 2>/dev/null | awk 'NR == 2 { print $NF }')" 50
sporectl destroy e2e-res >/dev/null 2>&1
check_eq "and destroy leaves no domain" "$(domains)" 0
