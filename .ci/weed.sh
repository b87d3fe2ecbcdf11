#!/usr/bin/env bash
# weed.sh: build SeaweedFS's weed binary (Apache-2.0), the S3-compatible
# store the deploy integration tests run against, once per version.
#
# The module's go.mod carries replace directives, which `go install` refuses,
# so this downloads the module from the Go module proxy, copies its folder
# (the module cache is read-only) and builds ./weed there. The binary is
# cached outside the checkout; a second run only prints its path.
#
# Usage: .ci/weed.sh            builds if missing, prints the binary's path
# Tests find it at the same path, or at $QUALBRIDGE_WEED.
set -euo pipefail

version=v0.0.0-20261109003541-7506e5f91cd6
cache="${XDG_CACHE_HOME:-$HOME/.cache}/qualbridge"
bin="$cache/weed-$version"

if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache"
# Outside any module, so that the checkout's go.sum is left alone.
dir=$(cd "$cache" && GO111MODULE=on go mod download -json "github.com/seaweedfs/seaweedfs@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$dir" ] || { echo "weed.sh: go mod download gave no module folder" >&2; exit 1; }

src=$(mktemp -d "$cache/weed-src.XXXXXX")
trap 'chmod -R u+w "$src" 2>/dev/null; rm -rf "$src"' EXIT
cp -R "$dir/." "$src/"
chmod -R u+w "$src"
# The build is heavy (several minutes on two cores); nice keeps the machine usable.
(cd "$src" && GOFLAGS=-buildvcs=false nice -n 10 go build -trimpath -ldflags '-s -w' -o "$bin.tmp" ./weed)
mv "$bin.tmp" "$bin"
echo "$bin"
