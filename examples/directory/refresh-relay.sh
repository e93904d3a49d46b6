#!/bin/sh
# Refreshes a running `chainmail relay` from the directory, on a schedule (cron, a systemd
# timer): import ldap -> build -> SIGHUP, each step only when the one before succeeded, so
# the relay keeps the table it has whenever anything fails (docs/directory.md, "The
# embedded relay"). Run it on trusted content only (the default branch's file): see
# docs/directory.md, Security.
#
#   CHAINMAIL_LDAP_PASSWORD=... refresh-relay.sh FILE SYSTEM OUT_DIR [RELAY_PID]
#
# Without RELAY_PID (the first run, before the relay starts) it only imports and builds.
#
# Exit: 0 nothing changed, 3 the relay was given a new table, 2 the directory could not be
# read or the new file does not build (the relay's table, the snapshot and OUT_DIR are
# untouched; the reason is the line chainmail printed on stderr).
set -u
[ $# -eq 3 ] || [ $# -eq 4 ] || { echo "usage: $0 FILE SYSTEM OUT_DIR [RELAY_PID]" >&2; exit 2; }
file=$1 system=$2 out=$3 pid=${4:-}
chainmail=${CHAINMAIL:-chainmail}

$chainmail import ldap --config "$file" --system "$system" --quiet
case $? in
  0) exit 0 ;;   # the snapshot is unchanged: so is the table
  3) ;;          # recipients changed: build the table
  *) exit 2 ;;   # directory down, bind refused, ...: the snapshot and the relay stay as they were
esac
# build lints first and writes OUT_DIR atomically: a file with errors leaves it as it was
$chainmail build "$file" --out "$out" --target routes || exit 2
# the relay swaps its table in one assignment; a table it cannot read is refused and logged
[ -z "$pid" ] || kill -HUP "$pid" || exit 2
exit 3
