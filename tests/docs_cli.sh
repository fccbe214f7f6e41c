#!/bin/sh
# The docs users look for stay in step with --help: the man pages render
# without warnings, every sporectl command and every long option its --help
# lists is in sporectl.8 and in the bash completion, every sporenet option
# is in sporenet.8, every spored option in spored.8, every spore-runc
# command and global option in spore-runc.8, and the completion completes.
# TAP.
# Usage: docs_cli.sh SPORECTL SPORENET SPORED SOURCE_ROOT [SPORE-RUNC]
sporectl=$1 sporenet=$2 spored=$3 src=$4 runc=${5:-}
man8=$src/doc/man/sporectl.8 net8=$src/doc/man/sporenet.8 svc8=$src/doc/man/spored.8
comp=$src/doc/completion/sporectl runc8=$src/doc/man/spore-runc.8
. "$(dirname "$0")/tap.sh"

for page in "$man8" "$net8" "$svc8" "$runc8"; do
	if command -v groff >/dev/null; then
		w=$(groff -mdoc -ww -z "$page" 2>&1)
		ok $([ -z "$w" ]; echo $?) "$(basename "$page") renders without warnings" "$w"
	else
		echo "ok $((n += 1)) # SKIP groff is not installed"
	fi
done

# Long options of a --help text: those on option lines ("  -x, --opt ...").
long_opts() {
	grep -E '^ +(-[a-zA-Z0-9], )?--[a-z]' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

verbs=$("$sporectl" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
ok $([ -n "$verbs" ]; echo $?) "sporectl --help lists its commands"
missing_man= missing_comp= opts_man= opts_comp=
for v in $verbs; do
	grep -qx "\.Ss $v" "$man8" || missing_man="$missing_man $v"
	grep -q "verbs=.*\\b$v\\b" "$comp" || missing_comp="$missing_comp $v"
	helps=$("$sporectl" "$v" --help 2>&1)
	# Verbs with subcommands: their subcommands' options too.
	subs=$(printf '%s\n' "$helps" | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
	[ "$v" = xs ] && subs=
	for s in $subs; do
		helps="$helps
$("$sporectl" "$v" "$s" --help 2>&1)"
	done
	for o in $(printf '%s\n' "$helps" | long_opts); do
		[ "$o" = --help ] && continue
		grep -q -- "Fl -${o#--}\\b" "$man8" || opts_man="$opts_man $v:$o"
		grep -q -- "$o\\b" "$comp" || opts_comp="$opts_comp $v:$o"
	done
done
ok $([ -z "$missing_man" ]; echo $?) "every command has a section in sporectl.8" "missing:$missing_man"
ok $([ -z "$missing_comp" ]; echo $?) "every command is completed" "missing:$missing_comp"
ok $([ -z "$opts_man" ]; echo $?) "every long option of every command's --help is in sporectl.8" "missing:$opts_man"
ok $([ -z "$opts_comp" ]; echo $?) "every long option of every command's --help is completed" "missing:$opts_comp"

net_missing=
for o in $("$sporenet" --help | long_opts); do
	[ "$o" = --help ] && continue
	grep -q -- "Fl -${o#--}\\b" "$net8" || net_missing="$net_missing $o"
done
ok $([ -z "$net_missing" ]; echo $?) "every sporenet option is in sporenet.8" "missing:$net_missing"

svc_missing=
for o in $("$spored" --help | long_opts); do
	[ "$o" = --help ] && continue
	grep -q -- "Fl -${o#--}\\b" "$svc8" || svc_missing="$svc_missing $o"
done
ok $([ -z "$svc_missing" ]; echo $?) "every spored option is in spored.8" "missing:$svc_missing"

# spore-runc: every command its --help lists has a section, every global
# option is in spore-runc.8.
if [ -n "$runc" ]; then
	runc_help=$("$runc" --help)
	runc_missing=
	for v in $(printf '%s\n' "$runc_help" | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }'); do
		grep -qx "\.Ss $v" "$runc8" || runc_missing="$runc_missing $v"
	done
	for o in $(printf '%s\n' "$runc_help" | long_opts); do
		[ "$o" = --help ] && continue
		grep -q -- "Fl -${o#--}\\b" "$runc8" || runc_missing="$runc_missing $o"
	done
	ok $([ -z "$runc_missing" ]; echo $?) "every spore-runc command and option is in spore-runc.8" "missing:$runc_missing"
fi

# The completion itself, through bash-completion as a shell would load it.
bc=/usr/share/bash-completion/bash_completion
if command -v bash >/dev/null && [ -r "$bc" ]; then
	complete_words() { # complete_words WORD... : what TAB offers for the last word
		PATH=$(dirname "$sporectl"):$PATH bash -c '
			. "$1" 2>/dev/null; . "$2"; shift 2
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
			_sporectl sporectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
			printf "%s\n" "${COMPREPLY[@]}"' sh "$bc" "$comp" "$@"
	}
	got=$(complete_words sporectl la)
	ok $([ "$got" = launch ]; echo $?) "sporectl la<TAB> completes launch" "got: $got"
	got=$(complete_words sporectl launch --cp)
	ok $([ "$got" = --cpus ]; echo $?) "sporectl launch --cp<TAB> completes --cpus" "got: $got"
	got=$(complete_words sporectl volume c)
	ok $([ "$got" = create ]; echo $?) "sporectl volume c<TAB> completes create" "got: $got"
	got=$(complete_words sporectl --log d)
	ok $([ "$got" = debug ]; echo $?) "sporectl --log d<TAB> completes debug" "got: $got"
else
	echo "ok $((n += 1)) # SKIP bash-completion is not installed"
fi

tap_done
