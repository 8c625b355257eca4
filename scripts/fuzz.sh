#!/usr/bin/env bash
# Runs one fuzz target for a bounded time and says how many inputs it tried.
#   scripts/fuzz.sh PACKAGE TARGET FUZZTIME
# Minimisation of a new interesting input is capped at 100 runs, so a short
# budget is spent fuzzing rather than minimising (the default minimisation
# time let the XLSX target run 7 inputs in 60 s).
# Go 1.26's coordinator can fail a target at the end of -fuzztime with a bare
# "context deadline exceeded" and no crasher (go.dev/issue/75804, fixed in Go
# 1.27): that run is reported as such and passes; a run that wrote a new
# crasher into testdata/fuzz, or failed any other way, fails.
set -uo pipefail
pkg=$1 target=$2 budget=$3
corpus="$pkg/testdata/fuzz/$target"
before=$(ls "$corpus" 2>/dev/null | sort)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
go test "./$pkg" -run XXX -fuzz "^$target\$" -fuzztime "$budget" -fuzzminimizetime 100x >"$out" 2>&1
status=$?
after=$(ls "$corpus" 2>/dev/null | sort)
execs=$(grep -o 'execs: [0-9]*' "$out" | tail -1 | cut -d' ' -f2)
if [ $status -ne 0 ]; then
	if [ "$before" = "$after" ] && grep -q '^    context deadline exceeded$' "$out"; then
		echo "fuzz $pkg $target: ${execs:-0} inputs in $budget (the run ended with Go 1.26's spurious deadline error, no crasher written)"
		exit 0
	fi
	cat "$out"
	echo "fuzz $pkg $target: FAILED after ${execs:-0} inputs"
	exit 1
fi
echo "fuzz $pkg $target: ${execs:-0} inputs in $budget"
