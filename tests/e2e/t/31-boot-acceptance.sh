#!/bin/bash
# Issue 4's acceptance for `sporectl boot`: Debian's standard kernel (xz
# bzImage), a gzip bzImage and a gzip vmlinux boot and show a marker through
# --attach; --vcpus and --memory reach the guest; bad input is refused with
# one error line, a non-zero exit and no domain left behind.
. tests/e2e/lib.sh

# A private kernel cache, so the gzip images below can be cut from the ELF
# spore itself decompressed.
export SPORE_ROOT=$E2E_TMP/spore

# A busybox initrd whose init prints the marker with what it sees, then
# powers off.
initrd=$E2E_TMP/marker.cpio
mkdir -p "$E2E_TMP/ird/bin" "$E2E_TMP/ird/proc"
cp "$(command -v busybox)" "$E2E_TMP/ird/bin/busybox"
ln -s busybox "$E2E_TMP/ird/bin/sh"
cat >"$E2E_TMP/ird/init" <<'INIT'
#!/bin/sh
bb=/bin/busybox
$bb mount -t proc proc /proc
echo "ACC-MARKER cpus=$($bb grep -c ^processor /proc/cpuinfo) memkb=$($bb awk '/^MemTotal:/ { print $2 }' /proc/meminfo) cmdline=$($bb cat /proc/cmdline)"
$bb poweroff -f
INIT
chmod +x "$E2E_TMP/ird/init"
(cd "$E2E_TMP/ird" && find . | cpio -o -H newc 2>/dev/null >"$initrd")

domains() { xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l; }
dom_nodes() { xenstore-list /local/domain | grep -vx 0 | wc -l; }

# boot_ok LABEL KERNEL [OPTION...]: boots with --attach; the marker must show
# and nothing may remain. Leaves the console output in $out.
boot_ok() {
	local label=$1 kernel=$2 rc
	shift 2
	out=$(timeout 300 sporectl boot "$kernel" --initrd "$initrd" \
		--cmdline "console=hvc0 quiet acc=$label" --attach "$@" 2>&1)
	rc=$?
	check_match "$label: the marker shows through --attach" "$out" "ACC-MARKER .*acc=$label"
	check_eq "$label: sporectl exits 0 when the guest powers off" "$rc" 0
	check_eq "$label: no domain or xenstore node is left" "$(domains)$(dom_nodes)" 00
	cleanup
}

# After a failure: destroy what is left so later checks start clean.
cleanup() {
	local d
	for d in $(xl list | awk 'NR > 1 && $1 != "Domain-0" { print $2 }'); do
		xl destroy "$d" >/dev/null 2>&1
	done
	for d in $(xenstore-list /local/domain | grep -vx 0); do
		xenstore-rm "/local/domain/$d" >/dev/null 2>&1
	done
}

pkgroot=$(ls -d .cache/sandbox/pkgroot-* 2>/dev/null | head -n 1)
cloud=$(ls "$pkgroot"/boot/vmlinuz-*-cloud-amd64 2>/dev/null | head -n 1)
std=$(ls "$pkgroot"/boot/vmlinuz-*-amd64 2>/dev/null | grep -v cloud | head -n 1)
if [ -z "$cloud" ] || [ -z "$std" ]; then
	echo "not ok - Debian's kernels are missing under .cache/sandbox (run scripts/setup.sh)"
	exit 0
fi

# Debian's standard (dom0) kernel: an xz bzImage, also PV capable.
check_match "the standard kernel is an xz bzImage" \
	"$(sporectl kernel-info "$std" | grep -E '^(format|compression):' | tr -s ' ' | tr '\n' ' ')" \
	'format: bzImage compression: xz'
boot_ok std-xz "$std" --memory 128

# A gzip bzImage: the setup and decompressor of a real bzImage with its
# payload replaced by the gzip of the very ELF spore decompressed from it
# (payload_length and syssize patched). Xen's domain builders only read the
# payload, so this is what a CONFIG_KERNEL_GZIP build looks like to them.
# spore's small kernel when built (faster to gzip under TCG), else the cloud one.
src=$cloud
[ -e .cache/kernel/spore-vmlinuz ] && src=.cache/kernel/spore-vmlinuz
boot_ok source "$src" --memory 128
elf=$SPORE_ROOT/kernels/$(sha256sum "$src" | cut -d' ' -f1).elf
le32() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
	$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
if [ -s "$elf" ]; then
	# The cache entry is a 128-byte header, then the ELF (kernel_cache.c).
	tail -c +129 "$elf" | gzip -1 >"$E2E_TMP/vmlinux.gz"
	sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$src" | tr -d ' ')
	[ "$sects" = 0 ] && sects=4
	poff=$(od -An -tu4 -j $((0x248)) -N4 "$src" | tr -d ' ')
	gzbz=$E2E_TMP/bzImage-gzip
	head -c $(((sects + 1) * 512 + poff)) "$src" >"$gzbz"
	cat "$E2E_TMP/vmlinux.gz" >>"$gzbz"
	plen=$(stat -c %s "$E2E_TMP/vmlinux.gz")
	pm=$(($(stat -c %s "$gzbz") - (sects + 1) * 512))
	le32 "$plen" | dd of="$gzbz" bs=1 seek=$((0x24c)) conv=notrunc status=none
	le32 $(((pm + 15) / 16)) | dd of="$gzbz" bs=1 seek=$((0x1f4)) conv=notrunc status=none
	check_match "the repacked kernel is a gzip bzImage" \
		"$(sporectl kernel-info "$gzbz" | grep -E '^(format|compression):' | tr -s ' ' | tr '\n' ' ')" \
		'format: bzImage compression: gzip'
	boot_ok bz-gzip "$gzbz" --memory 128
	check_match "a gzip vmlinux is a compressed ELF" \
		"$(sporectl kernel-info "$E2E_TMP/vmlinux.gz" | grep -E '^(format|compression):' | tr -s ' ' | tr '\n' ' ')" \
		'format: compressed-elf compression: gzip'
	boot_ok vmlinux-gz "$E2E_TMP/vmlinux.gz" --memory 128
else
	echo "not ok - no cached ELF for $src at $elf"
fi

# vCPUs and memory as the guest sees them.
boot_ok vcpus2 "$cloud" --vcpus 2
check_match "--vcpus 2: the guest counts 2 processors" "$out" 'ACC-MARKER cpus=2 '
boot_ok mem256 "$cloud" --memory 256
memkb=$(printf '%s' "$out" | sed -n 's/.*ACC-MARKER .*memkb=\([0-9]*\).*/\1/p' | head -n 1)
echo "# --memory 256: MemTotal ${memkb:-?} kB"
check "--memory 256: MemTotal is between 200 and 256 MiB" \
	test "${memkb:-0}" -ge $((200 * 1024)) -a "${memkb:-0}" -le $((256 * 1024))

# Bad input: exit 1, exactly one line "sporectl: ..." naming the problem, and
# nothing left behind.
# refused LABEL REGEX KERNEL [OPTION...]
refused() {
	local label=$1 re=$2 rc lines
	shift 2
	out=$(timeout 120 sporectl boot "$@" 2>&1)
	rc=$?
	lines=$(printf '%s\n' "$out" | wc -l)
	echo "# $label: $out"
	check_eq "$label: exit status 1" "$rc" 1
	check_eq "$label: one error line" "$lines" 1
	check_match "$label: the line says what failed" "$out" "^sporectl: .*$re"
	check_eq "$label: no domain or xenstore node is left" "$(domains)$(dom_nodes)" 00
	cleanup
}
echo 'this is not a kernel' >"$E2E_TMP/kernel.txt"
head -c 2000000 "$cloud" >"$E2E_TMP/truncated-bzImage"
long=$(head -c 1500 /dev/zero | tr '\0' x)
refused "text file as kernel" "not a kernel image" "$E2E_TMP/kernel.txt"
refused "truncated bzImage" "truncated" "$E2E_TMP/truncated-bzImage"
refused "ELF without Xen notes" "not PV capable.*no Xen ELF notes" "$(command -v busybox)"
refused "missing initrd" "initrd.*$E2E_TMP/no-such-initrd.*No such file" \
	"$cloud" --initrd "$E2E_TMP/no-such-initrd"
refused "memory beyond Xen's free memory" "not enough free memory.*100000 MiB wanted" \
	"$cloud" --memory 100000
refused "over-long command line" "command line is 1500 bytes.*1023" "$cloud" --cmdline "$long"
refused "--vcpus 0" "vcpus.*'0'" "$cloud" --vcpus 0
