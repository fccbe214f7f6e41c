#!/bin/bash
# Interactive use through a real terminal: `sporectl launch --attach -t -i`
# driven on a pty by tests/tools/ptyrun (it types, reads the output, and
# reports whether sporectl left the terminal's settings as it found them):
# a shell's output and exit status, Ctrl+] detaching while the guest runs
# on, and `sporectl console` re-attaching to it.
. tests/e2e/lib.sh

ptyrun=${SPORE_BUILD:-build}/tests/ptyrun
need_launch "tty tests" "$ptyrun"
L() { echo sporectl launch --insecure-registry "$reg" "$@"; }

# The shell's prompt is "/ # "; typed commands are echoed back, so what is
# expected is built by the shell ($((...))), never a copy of the input.
# shellcheck disable=SC2046
out=$("$ptyrun" --timeout 300 --check-termios expect='/ # ' \
	send='echo hi-$((40+2)); tty; exit 4\r' -- $(L --attach -t -i --rm "$img" /bin/sh) 2>&1)
rc=$?
check_eq "launch -a -t -i: the shell's exit status is sporectl's" "$rc" 4
check_match "... its output comes back" "$out" 'hi-42'
check_match "... on a terminal in the container" "$out" $'\n/dev/[a-z]+[0-9]*\r?\n'
check_match "... and the terminal's settings are restored" "$out" 'ptyrun: termios restored'
[ $rc = 4 ] || sed 's/^/#   /' <<<"$out" | tail -n 10

# shellcheck disable=SC2046
out=$("$ptyrun" --timeout 300 --check-termios expect='/ # ' send='echo one-$((1+1))\r' \
	expect='one-2' send='\x1d' -- $(L --attach -t -i --name e2e-tty "$img" /bin/sh) 2>&1)
rc=$?
check_eq "Ctrl+] detaches: sporectl returns 0" "$rc" 0
check_match "... saying so" "$out" 'detached from e2e-tty'
check_match "... with the terminal's settings restored" "$out" 'ptyrun: termios restored'
check_match "... and the guest runs on" "$(sporectl list 2>&1)" 'e2e-tty +.* Up '

# Re-attach: the same shell (its variable survives), then it exits.
# shellcheck disable=SC2046
out=$("$ptyrun" --timeout 120 --check-termios sleep=1000 send='X=$((6*7)); echo again-$X\r' \
	expect='again-42' send='exit 5\r' -- sporectl console e2e-tty 2>&1)
rc=$?
check_match "console re-attaches to the same shell" "$out" 'again-42'
check_eq "... and returns 0 when the guest powers off" "$rc" 0
check_match "... with the terminal's settings restored" "$out" 'ptyrun: termios restored'
[ $rc = 0 ] || sed 's/^/#   /' <<<"$out" | tail -n 10
wait_exited() {
	local end=$((SECONDS + 30))
	until sporectl list -a 2>/dev/null | grep -Eq 'e2e-tty +.*Exited \(5\)'; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.5
	done
}
check "list -a shows e2e-tty Exited (5)" wait_exited
sporectl rm e2e-tty >/dev/null 2>&1 || sporectl destroy -t 0 e2e-tty >/dev/null 2>&1
