#!/usr/bin/env bash
# Cross-compiles static release binaries of wsusmock for Linux, Windows and
# macOS on amd64 and arm64 into DIR (default dist/), with SHA256SUMS.
#
#   deploy/release.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
mkdir -p "$out"
for target in linux/amd64 linux/arm64 windows/amd64 windows/arm64 darwin/amd64 darwin/arm64; do
	goos=${target%/*} goarch=${target#*/}
	name=wsusmock-$goos-$goarch
	[ "$goos" = windows ] && name=$name.exe
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath -buildvcs=auto -ldflags=-s -o "$out/$name" ./cmd/wsusmock
	echo "$out/$name"
done
(cd "$out" && sha256sum wsusmock-* >SHA256SUMS)
