#!/bin/sh
# remediate-954960.sh: an example remediation tool for Security Advisory
# 954960, written as a WSUS administrator's script would be. It
#
#   1. reads the server's build and the file version of
#      Microsoft.UpdateServices.WebServices.Client.dll;
#   2. on WSUS 3.0 SP1 without the fix, installs KB954960 (Client.dll
#      3.1.6001.66);
#   3. on WSUS 3.0 RTM, where KB954960 does not apply, applies the console
#      workaround: decline, approve, decline "Office 2003 Service Pack 1";
#   4. verifies that an Office 2003 client completes a detection cycle.
#
# It drives the server through "wsusmock admin" (a real tool would use the
# WSUS console or its API) and verifies with "wsusmock client".
#
# usage: remediate-954960.sh WSUSMOCK SERVER_URL
# exit:  0 remediated (or nothing to do) and verified, 1 otherwise
set -eu

wsusmock=$1
server=$2
admin() { "$wsusmock" admin --server "$server" --text "$@"; }

info=$(admin server)
echo "server: $info"
build=$(printf '%s\n' "$info" | sed -n 's/.*(build \([^,]*\),.*/\1/p')
dll=$(printf '%s\n' "$info" | sed -n 's/.*Client\.dll \([0-9.]*\),.*/\1/p')

case "$build:$dll" in
wsus30-sp1:3.1.6001.65)
	echo "WSUS 3.0 SP1 without KB954960: installing it"
	admin hotfix install KB954960
	;;
wsus30-rtm:*)
	echo "WSUS 3.0 RTM: KB954960 does not apply; applying the console workaround"
	id=$(admin updates | awk '$0 ~ /  Office 2003 Service Pack 1  / { print $2; exit }')
	if [ -z "$id" ]; then
		echo "Office 2003 Service Pack 1 is not in the catalog" >&2
		exit 1
	fi
	admin decline "$id"
	admin approve "$id"
	admin decline "$id"
	;;
*)
	echo "build $build, Client.dll $dll: the fix is in, nothing to install"
	;;
esac

echo "verifying with an Office 2003 client"
if "$wsusmock" client --server "$server" --profile xp-sp3-office2003 --quiet; then
	echo "remediated: Office 2003 clients synchronise"
else
	echo "NOT remediated: the Office 2003 client still fails" >&2
	exit 1
fi
