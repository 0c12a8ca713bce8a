#!/bin/sh
# check-drift.sh regenerates the gowsdl clients in e2e/wsusclient and fails
# if the generated files differ from the committed ones, so that a change to
# a WSDL, to the pinned gowsdl or to fixgen cannot land without the code it
# produces. CI runs it from .ci/run; it works from any directory of the
# repository. On failure the regenerated files stay in the work tree: review
# them and commit them.
set -eu

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
cd "$root"

if ! log=$(go generate ./e2e/wsusclient/... 2>&1); then
	printf '%s\n' "$log" >&2
	echo "check-drift: go generate ./e2e/wsusclient/... failed" >&2
	exit 1
fi

# The generated files are those carrying Go's "Code generated" header.
generated=$(grep -rlE '^// Code generated .* DO NOT EDIT\.$' --include='*.go' e2e/wsusclient | sort)
if [ -z "$generated" ]; then
	echo "check-drift: go generate produced no generated files in e2e/wsusclient" >&2
	exit 1
fi

# shellcheck disable=SC2086 # one path per word is what is meant
untracked=$(git ls-files --others --exclude-standard -- $generated)
# shellcheck disable=SC2086
if git diff --quiet -- $generated && [ -z "$untracked" ]; then
	echo "check-drift: e2e/wsusclient is up to date with the WSDLs, gowsdl and fixgen"
	exit 0
fi

{
	echo "check-drift: the generated clients in e2e/wsusclient differ from what"
	echo "'go generate ./e2e/wsusclient/...' produces. Commit the regenerated files:"
	echo
	# shellcheck disable=SC2086
	git --no-pager diff --stat -- $generated
	# shellcheck disable=SC2086
	git --no-pager diff -- $generated
	if [ -n "$untracked" ]; then
		echo "New generated files, not yet committed:"
		printf '  %s\n' $untracked
	fi
} >&2
exit 1
