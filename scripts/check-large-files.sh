#!/usr/bin/env bash
# Fails when the repository tracks a file over 5 MB outside reports/assets/
# and docs/: a built binary or a data dump does not belong in it.
set -euo pipefail
cd "$(dirname "$0")/.."
big=$(git ls-files -z | xargs -0 -r stat -c '%s %n' 2>/dev/null |
	awk '$1 > 5242880 && $2 !~ /^(reports\/assets|docs)\// {print $2 " (" int($1/1048576) " MB)"}')
if [ -n "$big" ]; then
	echo "tracked files over 5 MB (built binaries? remove them and ignore them):"
	echo "$big"
	exit 1
fi
