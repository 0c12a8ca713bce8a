#!/usr/bin/env bash
# Checks a wsusmock image without running a container (these machines run
# none): its configuration, and its binary, extracted and run on the host.
#
#   deploy/check-image.sh [IMAGE]
set -euo pipefail
image=${1:-localhost/wsusmock:dev}
b() { buildah ${STORAGE_DRIVER:+--storage-driver "$STORAGE_DRIVER"} "$@"; }
fail() { echo "check-image: $*" >&2; exit 1; }

cfg=$(b inspect --type image "$image" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["Docker"]["config"], separators=(",", ":")))')
want() { grep -qF -- "$1" <<<"$cfg" || fail "image config lacks $1: $cfg"; }
want '"Entrypoint":["/wsusmock"]'
want '"Cmd":["serve"]'
want '"User":"65532:65532"'
want '"8530/tcp"'
want '"WSUSMOCK_ADDR=0.0.0.0:8530"'
want '"Test":["CMD","/wsusmock","healthcheck"]'

ctr=$(b from --quiet "$image")
trap 'b rm "$ctr" >/dev/null' EXIT
root=$(b mount "$ctr")
bin=$root/wsusmock
[ -x "$bin" ] || fail "no executable /wsusmock in the image"
files=$(cd "$root" && find . -mindepth 1 -not -path './dev*' -not -path './proc*' -not -path './sys*' -not -path './etc*' -not -path './run*')
[ "$files" = "./wsusmock" ] || fail "the image holds more than the binary: $files"
if ldd "$bin" >/dev/null 2>&1; then fail "the binary is dynamically linked"; fi

# The extracted binary serves: start it on a free port, ask it as the
# health check would, stop it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WSUSMOCK_ADDR=127.0.0.1:$port "$bin" serve 2>/dev/null & pid=$!
trap 'kill "$pid" 2>/dev/null; b rm "$ctr" >/dev/null' EXIT
for _ in $(seq 50); do
	"$bin" healthcheck --server "http://127.0.0.1:$port" >/dev/null 2>&1 && break
	sleep 0.1
done
"$bin" healthcheck --server "http://127.0.0.1:$port" >/dev/null || fail "the image's binary does not answer /healthz"
echo "check-image: $image: $("$bin" version)"
