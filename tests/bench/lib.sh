# Shared by the benchmark scripts (sourced, also inside dom0).
# shellcheck shell=bash

# bench_median N...: the median of the numbers given (the mean of the middle
# two for an even count).
bench_median() {
	printf '%s\n' "$@" | sort -g |
		awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
