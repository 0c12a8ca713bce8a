#!/usr/bin/env bash
# Builds the wsusmock container image from this checkout, with buildah
# (no daemon needed), as IMAGE (default localhost/wsusmock:dev).
#
#   deploy/build-image.sh [IMAGE]
#
# With Docker or Podman instead: build the static binary into a directory
# of its own and use that directory as the context:
#   CGO_ENABLED=0 go build -trimpath -o ctx/wsusmock ./cmd/wsusmock
#   docker build -f deploy/Containerfile -t wsusmock ctx
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-localhost/wsusmock:dev}
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
CGO_ENABLED=0 go build -trimpath -buildvcs=auto -o "$ctx/wsusmock" ./cmd/wsusmock
# The docker format keeps HEALTHCHECK, which the OCI format has no field for.
buildah ${STORAGE_DRIVER:+--storage-driver "$STORAGE_DRIVER"} bud --quiet --format docker \
	-f "$PWD/deploy/Containerfile" -t "$image" "$ctx" >/dev/null
echo "$image"
