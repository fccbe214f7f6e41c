# Debian's container engines for the sandbox's dom0, as the peers of
# spore-runc in tests that ask for them ("# e2e-needs: peers"): containerd
# (with ctr and the runc v2 shim), runc, podman and conmon. Fetched with
# `apt-get download`, unpacked under $SPORE_CACHE/sandbox/peers (never
# installed on the host, never in the initramfs every boot pays for); dom0
# links them in when a test asks (tests/e2e/lib.sh: need_peers). Source
# after common.sh and sandbox.sh.
# shellcheck shell=bash

# The engines, their configuration defaults, and the libraries they link
# that a Debian host without them may lack (the rest of the closure is
# copied from the host, as for the initramfs).
SANDBOX_PEER_DEBS=(
	containerd runc podman conmon golang-github-containers-common golang-github-containers-image
	libsubid4 libgpgme11 libassuan0 libgpg-error0 libdevmapper1.02.1 libseccomp2
)
# The executables dom0 puts on PATH (Debian's paths in the packages).
SANDBOX_PEER_BINS=(
	usr/bin/containerd usr/bin/ctr usr/bin/containerd-shim usr/bin/containerd-shim-runc-v1
	usr/bin/containerd-shim-runc-v2 usr/sbin/runc usr/bin/podman usr/bin/conmon
)

# sandbox_peers_prepare: makes $SPORE_CACHE/sandbox/peers current (a
# relative link to peers-KEY, so that dom0 resolves it too): root/ the
# unpacked packages, lib/ the executables' libraries, bin/ links to them.
sandbox_peers_prepare() {
	local debdir=$SPORE_CACHE/debs-peers dir uris f want=() missing=() key b closure lib
	mkdir -p "$debdir" "$SANDBOX_DIR"
	uris=$(apt-get download --print-uris "${SANDBOX_PEER_DEBS[@]}" 2>"$SANDBOX_DIR/fetch-peers.log") || {
		apt-get update -qq >/dev/null 2>&1 || true
		uris=$(apt-get download --print-uris "${SANDBOX_PEER_DEBS[@]}" 2>"$SANDBOX_DIR/fetch-peers.log")
	} || die "cannot resolve the container engines' packages: $(tail -n1 "$SANDBOX_DIR/fetch-peers.log")"
	while read -r _ f _; do
		[ -n "$f" ] || continue
		want+=("$f")
		[ -s "$debdir/$f" ] || missing+=("${f%%_*}=$(echo "$f" | cut -d_ -f2 | sed 's/%3a/:/')")
	done <<<"$uris"
	if [ ${#missing[@]} -gt 0 ]; then
		note "downloading ${#missing[@]} Debian packages (containerd, podman) for the sandbox"
		(cd "$debdir" && run_logged "$SANDBOX_DIR/fetch-peers.log" apt-get download "${missing[@]}") ||
			die "apt-get download of the container engines failed"
	fi
	key=$( {
		printf '%s\n' "${want[@]}" | sort
		cat "$SPORE_ROOT_DIR/scripts/lib/sandbox-peers.sh"
	} | sha256sum | cut -c1-16)
	dir=$SANDBOX_DIR/peers-$key
	if [ ! -e "$dir/.done" ]; then
		rm -rf "$SANDBOX_DIR"/peers-*
		mkdir -p "$dir/root" "$dir/lib" "$dir/bin"
		for f in "${want[@]}"; do
			dpkg -x "$debdir/$f" "$dir/root" || die "cannot unpack $f"
		done
		# The unpacked libraries first, then the host's.
		closure=$(for b in "${SANDBOX_PEER_BINS[@]}"; do
			[ -x "$dir/root/$b" ] || die "$b missing from the unpacked packages"
			LD_LIBRARY_PATH=$dir/root/usr/lib/x86_64-linux-gnu:$dir/root/lib/x86_64-linux-gnu \
				ldd "$dir/root/$b" 2>/dev/null | awk '
				/not found/ { print "MISSING " $1; next }
				$2 == "=>" && $3 ~ /^\// { print $3 }'
		done | sort -u)
		! grep -q '^MISSING' <<<"$closure" ||
			die "libraries not found for the container engines: $(grep '^MISSING' <<<"$closure" | cut -d' ' -f2 | tr '\n' ' ')"
		while read -r lib; do
			[ -n "$lib" ] && cp -L "$lib" "$dir/lib/${lib##*/}"
		done <<<"$closure"
		for b in "${SANDBOX_PEER_BINS[@]}"; do
			ln -s "../root/$b" "$dir/bin/${b##*/}"
		done
		touch "$dir/.done"
	fi
	ln -sfn "peers-$key" "$SANDBOX_DIR/peers"
	for f in "$debdir"/*.deb; do
		[ -e "$f" ] || continue
		printf '%s\n' "${want[@]}" | grep -qxF "${f##*/}" || rm -f "$f"
	done
}
