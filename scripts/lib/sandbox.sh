# Builds the sandbox's artefacts from Debian packages: the uncompressed Xen
# hypervisor, dom0's kernel and a busybox initramfs holding Xen's daemons.
# Nothing is installed on the host: packages are fetched with
# `apt-get download` and unpacked under $SPORE_CACHE. Source after common.sh.
# shellcheck shell=bash

SANDBOX_DIR=$SPORE_CACHE/sandbox
XEN_VER=4.17

# Modules dom0 loads (dependencies are added automatically).
SANDBOX_MODULES=(
	xenfs xen-evtchn xen-privcmd xen-gntdev xen-gntalloc xen-blkback xen-netback
	loop squashfs overlay tun af_packet bridge
	virtio_pci virtio_net virtio_console 9pnet_virtio 9p
)

# Host programs copied into dom0 (with their libraries) when present.
SANDBOX_HOST_TOOLS=(
	/usr/bin/mksquashfs /usr/bin/unsquashfs /usr/bin/tar2sqfs /usr/bin/sqfs2tar
	/usr/bin/gensquashfs # spore-runc: a container's root directory to its image
	/usr/bin/curl /bin/bash
	/usr/bin/flock /usr/sbin/losetup # xl's hotplug scripts (benchmarks' peer)
	/usr/sbin/mkfs.ext4 /usr/sbin/e2fsck # sporectl volume create; checking volumes
)

# Xen binaries dom0 runs, from xen-utils-4.17 and xenstore-utils.
SANDBOX_XEN_BINS=(
	usr/lib/xen-$XEN_VER/bin/xenstored usr/lib/xen-$XEN_VER/bin/oxenstored
	usr/lib/xen-$XEN_VER/bin/xenconsoled usr/lib/xen-$XEN_VER/bin/xen-init-dom0
	usr/lib/xen-$XEN_VER/bin/xl usr/lib/xen-$XEN_VER/bin/xenconsole
	usr/lib/xen-$XEN_VER/bin/xenstore-control
	usr/bin/xenstore
)

# sandbox_kernel_abi: the ABI of Debian's current 6.1 kernel (e.g. 6.1.0-56).
sandbox_kernel_abi() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1/p' | head -n1
}

sandbox_debs() {
	local abi=$1
	echo xen-hypervisor-$XEN_VER-amd64 xen-utils-$XEN_VER xen-utils-common xenstore-utils \
		libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenmisc$XEN_VER \
		libxenstore4 libxentoollog1 libxenhypfs1 libxendevicemodel1 libxentoolcore1 \
		libyajl2 linux-image-$abi-amd64 linux-image-$abi-cloud-amd64
}

# sandbox_fetch: downloads the packages (only those missing) and unpacks them
# into $SANDBOX_DIR/pkgroot-KEY; sets SANDBOX_PKGROOT and SANDBOX_ABI.
sandbox_fetch() {
	local debdir=$SPORE_CACHE/debs uris abi key f name
	abi=$(sandbox_kernel_abi)
	[ -n "$abi" ] || {
		apt-get update -qq >/dev/null 2>&1 || true
		abi=$(sandbox_kernel_abi)
	}
	[ -n "$abi" ] || die "cannot find Debian's linux-image-amd64 (is apt configured?)"
	SANDBOX_ABI=$abi
	mkdir -p "$debdir" "$SANDBOX_DIR"
	# shellcheck disable=SC2046
	uris=$(apt-get download --print-uris $(sandbox_debs "$abi") 2>"$SANDBOX_DIR/fetch.log") ||
		die "cannot resolve the sandbox's packages: $(tail -n1 "$SANDBOX_DIR/fetch.log")"
	local want=() missing=()
	while read -r _ f _; do
		[ -n "$f" ] || continue
		want+=("$f")
		[ -s "$debdir/$f" ] || missing+=("${f%%_*}=$(echo "$f" | cut -d_ -f2 | sed 's/%3a/:/')")
	done <<<"$uris"
	if [ ${#missing[@]} -gt 0 ]; then
		note "downloading ${#missing[@]} Debian packages for the sandbox"
		(cd "$debdir" && run_logged "$SANDBOX_DIR/fetch.log" apt-get download "${missing[@]}") ||
			die "apt-get download of the sandbox packages failed"
	fi
	key=$(printf '%s\n' "${want[@]}" | sort | sha256sum | cut -c1-16)
	SANDBOX_PKGROOT=$SANDBOX_DIR/pkgroot-$key
	if [ ! -e "$SANDBOX_PKGROOT/.done" ]; then
		rm -rf "$SANDBOX_DIR"/pkgroot-*
		mkdir -p "$SANDBOX_PKGROOT"
		for f in "${want[@]}"; do
			dpkg -x "$debdir/$f" "$SANDBOX_PKGROOT" || die "cannot unpack $f"
		done
		depmod -b "$SANDBOX_PKGROOT" "$abi-amd64" || die "depmod failed for $abi-amd64"
		touch "$SANDBOX_PKGROOT/.done"
	fi
	# Drop debs no longer wanted, so the cache does not grow forever.
	for f in "$debdir"/*.deb; do
		name=${f##*/}
		printf '%s\n' "${want[@]}" | grep -qxF "$name" || rm -f "$f"
	done
}

# Resolved libraries of the ELF files given, one path per line; the unpacked
# Xen libraries come first in the search path.
sandbox_lib_closure() {
	local libpath=$SANDBOX_PKGROOT/usr/lib/x86_64-linux-gnu
	local f
	for f in "$@"; do
		file -b "$f" 2>/dev/null | grep -q '^ELF.*dynamic' || continue
		LD_LIBRARY_PATH=$libpath ldd "$f" 2>/dev/null | awk '
			/not found/ { print "MISSING " $1; next }
			$2 == "=>" && $3 ~ /^\// { print $3; next }
			$1 ~ /^\// { print $1 }'
	done | sort -u
}

# The ELF executables of this tree's build that dom0 will run.
sandbox_build_exes() {
	local b=$SPORE_ROOT_DIR/$SPORE_BUILD_DIR
	[ -d "$b" ] || return 0
	find "$b" -path "$b/meson-*" -prune -o -type f -perm -u+x -print 2>/dev/null
}

# sandbox_prepare: makes sure xen, vmlinuz and the initramfs are current;
# sets SANDBOX_XEN, SANDBOX_VMLINUZ, SANDBOX_INITRD.
sandbox_prepare() {
	sandbox_fetch
	local root=$SANDBOX_PKGROOT kver=$SANDBOX_ABI-amd64
	SANDBOX_XEN=$SANDBOX_DIR/xen-$XEN_VER
	SANDBOX_VMLINUZ=$root/boot/vmlinuz-$kver
	SANDBOX_CLOUD_VMLINUZ=$root/boot/vmlinuz-$SANDBOX_ABI-cloud-amd64
	[ -s "$SANDBOX_XEN" ] && [ "$SANDBOX_XEN" -nt "$root/.done" ] ||
		{ zcat "$root/boot/xen-$XEN_VER-amd64.gz" >"$SANDBOX_XEN.tmp" &&
			mv "$SANDBOX_XEN.tmp" "$SANDBOX_XEN"; } || die "cannot uncompress the Xen hypervisor"

	local tools=() t bins=() closure missing key
	for t in "${SANDBOX_HOST_TOOLS[@]}"; do [ -x "$t" ] && tools+=("$t"); done
	for t in "${SANDBOX_XEN_BINS[@]}"; do
		[ -x "$root/$t" ] || die "$t missing from the unpacked Xen packages"
		bins+=("$root/$t")
	done
	mapfile -t exes < <(sandbox_build_exes)
	# Libraries sporectl dlopen()s when it pulls an image (lazy_libs.c),
	# which ldd does not list: the libraries themselves and their closure.
	local dl=() l p
	for l in libcurl.so.4 libarchive.so.13 libisal.so.2; do
		# awk reads to the end: an early exit would kill ldconfig with
		# SIGPIPE, which pipefail + errexit turn into this script's status.
		p=$(ldconfig -p | awk -v l="$l" '$1 == l && /x86-64/ && !p { p = $NF } END { print p }')
		[ -n "$p" ] || die "$l not found on the host (scripts/setup.sh installs it)"
		dl+=("$p")
	done
	closure=$( {
		sandbox_lib_closure "${bins[@]}" "${tools[@]}" "${exes[@]}" /bin/busybox "${dl[@]}"
		printf '%s\n' "${dl[@]}"
	} | sort -u)
	missing=$( (grep '^MISSING' <<<"$closure" || true) | cut -d' ' -f2 | sort -u | tr '\n' ' ')
	[ -z "$missing" ] || die "libraries not found for dom0: $missing"
	key=$( {
		cat "$SPORE_ROOT_DIR/scripts/sandbox/dom0-init" "$SPORE_ROOT_DIR/scripts/lib/sandbox.sh"
		echo "$root" "${tools[@]}" "${SANDBOX_MODULES[@]}"
		echo "$closure"
	} | sha256sum | cut -c1-32)
	# Named by its key: checkouts that differ (worktrees sharing one
	# .cache) each keep their own, and one's build never replaces the file
	# another's sandbox is about to boot.
	SANDBOX_INITRD=$SANDBOX_DIR/dom0-initramfs-$key.cpio
	[ -s "$SANDBOX_INITRD" ] && return 0
	find "$SANDBOX_DIR" -maxdepth 1 -name 'dom0-initramfs*.cpio*' -mmin +1440 -delete 2>/dev/null || true

	note "building the dom0 initramfs"
	local stage
	stage=$(mktemp -d "$SANDBOX_DIR/initramfs.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,mnt/host,usr/bin,usr/sbin} \
		"$stage"/{lib/modules,var/lib/xen,var/log/xen,usr/local/bin,lib64}
	ln -s ../run "$stage/var/run" # xenstored's socket is /run/xenstored/socket
	cp /bin/busybox "$stage/bin/busybox"
	for t in $("$stage/bin/busybox" --list-full); do
		[ -e "$stage/$t" ] || ln -s /bin/busybox "$stage/$t"
	done
	install -m 0755 "$SPORE_ROOT_DIR/scripts/sandbox/dom0-init" "$stage/init"
	# Xen's binaries and configuration, at their Debian paths.
	for t in "${SANDBOX_XEN_BINS[@]}"; do
		mkdir -p "$stage/$(dirname "$t")"
		cp "$root/$t" "$stage/$t"
	done
	for t in xenstore-read xenstore-write xenstore-ls xenstore-list xenstore-rm \
		xenstore-exists xenstore-chmod xenstore-watch; do
		ln -sf xenstore "$stage/usr/bin/$t"
	done
	cp -a "$root/etc/xen" "$stage/etc/xen"
	for t in "${tools[@]}"; do
		mkdir -p "$stage/$(dirname "$t")"
		rm -f "$stage/$t" # may be a busybox applet link
		cp -L "$t" "$stage/$t"
	done
	# Libraries: the unpacked Xen ones are placed where Debian puts them.
	local lib dest
	while read -r lib; do
		[ -n "$lib" ] || continue
		case $lib in
		"$root"/*) dest=${lib#"$root"} ;;
		*) dest=$lib ;;
		esac
		mkdir -p "$stage/$(dirname "$dest")"
		cp -L "$lib" "$stage/$dest"
	done <<<"$closure"
	# libgcc_s is dlopen()ed by pthread_cancel (xl aborts without it).
	for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1; do cp -L "$lib" "$stage$lib"; done
	# usrmerge: /lib is /usr/lib on Debian 12 hosts; mirror both spellings.
	if [ -d "$stage/usr/lib/x86_64-linux-gnu" ]; then
		mkdir -p "$stage/lib/x86_64-linux-gnu"
		cp -an "$stage/usr/lib/x86_64-linux-gnu/." "$stage/lib/x86_64-linux-gnu/"
		rm -rf "$stage/usr/lib/x86_64-linux-gnu"
		ln -s ../../lib/x86_64-linux-gnu "$stage/usr/lib/x86_64-linux-gnu"
	fi
	# Kernel modules with their dependencies, in load order.
	local m ko order=()
	for m in "${SANDBOX_MODULES[@]}"; do
		while read -r _ ko _; do
			[ -n "$ko" ] || continue
			ko=${ko#"$root"}
			printf '%s\n' "${order[@]}" | grep -qxF "$ko" || order+=("$ko")
		done < <(modprobe -d "$root" -S "$kver" --show-depends "$m" 2>/dev/null | grep '^insmod')
		modprobe -d "$root" -S "$kver" --show-depends "$m" >/dev/null 2>&1 ||
			modprobe -d "$root" -S "$kver" --show-depends "$m" 2>&1 | grep -q builtin ||
			die "kernel module $m not found in $kver"
	done
	for ko in "${order[@]}"; do
		mkdir -p "$stage/$(dirname "$ko")"
		cp "$root/$ko" "$stage/$ko"
	done
	printf '%s\n' "${order[@]}" >"$stage/lib/modules/load.order"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
		>"$stage/etc/passwd"
	printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$stage/etc/group"
	printf 'PS1="dom0:\\w# "\n' >"$stage/etc/profile"
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet >"$stage.cpio") || die "cannot write the initramfs"
	mv "$stage.cpio" "$SANDBOX_INITRD"
	rm -rf "$stage"
}

# Host commands the sandbox needs (installed by scripts/setup.sh).
sandbox_check_host() {
	local c missing=()
	for c in qemu-system-x86_64 depmod modprobe cpio file apt-get dpkg busybox; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ ${#missing[@]} -eq 0 ] || die "missing host commands: ${missing[*]} (run scripts/setup.sh)"
}
