#!/bin/bash
# sporectl boot: spore's own PV builder boots real kernels on the real
# hypervisor; failures leave no domain or xenstore node behind.
. tests/e2e/lib.sh

# A busybox initrd whose init prints a marker and powers off.
initrd=$E2E_TMP/marker.cpio
mkdir -p "$E2E_TMP/ird/bin" "$E2E_TMP/ird/proc"
cp "$(command -v busybox)" "$E2E_TMP/ird/bin/busybox"
ln -s busybox "$E2E_TMP/ird/bin/sh"
printf '#!/bin/sh\n/bin/busybox mount -t proc proc /proc\necho "BOOT-MARKER $(/bin/busybox cat /proc/cmdline)"\n/bin/busybox poweroff -f\n' \
	>"$E2E_TMP/ird/init"
chmod +x "$E2E_TMP/ird/init"
(cd "$E2E_TMP/ird" && find . | cpio -o -H newc 2>/dev/null >"$initrd")

domains() { xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l; }
dom_nodes() { xenstore-list /local/domain | grep -vx 0 | wc -l; }

cloud=$(ls .cache/sandbox/pkgroot-*/boot/vmlinuz-*-cloud-amd64 2>/dev/null | head -n 1)
for kernel in "$cloud" .cache/kernel/spore-vmlinuz; do
	if [ ! -e "$kernel" ]; then
		skip "boot ${kernel##*/}" "kernel not built"
		continue
	fi
	k=${kernel##*/}
	out=$(timeout 300 sporectl boot "$kernel" --initrd "$initrd" --cmdline "console=hvc0 quiet spore=$k" \
		--memory 128 --attach 2>&1)
	rc=$?
	check_match "boot --attach $k: the guest's init runs and sees its command line" "$out" \
		"BOOT-MARKER .*spore=$k"
	check_eq "boot --attach $k: exits 0 when the guest powers off" "$rc" 0
	check_eq "boot --attach $k: the domain is gone afterwards" "$(domains)" 0
	check_eq "boot --attach $k: its xenstore nodes are gone" "$(dom_nodes)" 0
done

kernel=${cloud:-.cache/kernel/spore-vmlinuz}
long=$(head -c 1100 /dev/zero | tr '\0' x)
out=$(sporectl boot "$kernel" --cmdline "$long" 2>&1)
rc=$?
check_eq "a 1100-byte command line is refused" "$rc" 1
check_match "the error says why, on one line" "$out" '^sporectl: .*1100 bytes.*1023$'
check_eq "nothing is left after the refusal" "$(domains)" 0

out=$(sporectl boot "$(command -v busybox)" 2>&1)
check_match "a non-kernel file is refused with a reason" "$out" '^sporectl: .*(not|no) .*'
check_eq "nothing is left after a bad kernel" "$(domains)$(dom_nodes)" 00

out=$(sporectl boot "$kernel" --initrd "$initrd" --name e2e-bg --memory 96 2>&1)
check_match "boot without --attach prints the UUID and the name" "$out" \
	'^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} e2e-bg$'
check "the guest is listed by xl under its name" sh -c 'xl list e2e-bg'
out=$(sporectl boot "$kernel" --name e2e-bg 2>&1)
check_match "a second guest with the same name is refused" "$out" "already exists"
xl destroy e2e-bg >/dev/null 2>&1
xenstore-rm /vm >/dev/null 2>&1

# A name claimed by another guest between the name check and the record's
# write (a concurrent boot): the record's transaction reads the claim with
# its writes and commits nothing. SPORE_STOP_AT holds sporectl between the two.
SPORE_STOP_AT=record sporectl boot "$kernel" --name e2e-race >"$E2E_TMP/race.out" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 900); do
	[ "$(awk '{sub(/.*\) /, ""); print $1}' "/proc/$pid/stat" 2>/dev/null)" = T ] && break
	sleep 0.2
done
other=0badc0de-0000-4000-8000-000000000001
xenstore-write /spore/claims/name/e2e-race "$other"
kill -CONT "$pid"
wait "$pid"
rc=$?
check_eq "a name claimed while the record was being written: refused" "$rc" 1
check_match "... with one line saying so" "$(grep -v 'stopping at step' "$E2E_TMP/race.out")" \
	"^sporectl: .*a guest named 'e2e-race' already exists"
check_eq "... the other guest keeps the claim" "$(xenstore-read /spore/claims/name/e2e-race)" "$other"
check_eq "... and nothing of the refused boot is left" \
	"$(domains)$(dom_nodes)$(for u in $(xenstore-list /spore/guests 2>/dev/null); do
		xenstore-read "/spore/guests/$u/name"; done | grep -cx e2e-race)" 000
xenstore-rm /spore/claims/name/e2e-race
