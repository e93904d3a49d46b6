#!/usr/bin/env bash
# Installs the real mail tools the integration tests run: Postfix (postmap, postconf,
# smtp-source, smtp-sink, a private instance; postfix-lmdb for lmdb maps), OpenLDAP
# slapd + ldap-utils, swaks, and BIND (named, named-checkzone: the dns target's tests).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -E"; fi
need=0
for bin in /usr/sbin/postfix /usr/sbin/postmap /usr/sbin/postconf /usr/sbin/smtp-sink /usr/sbin/smtp-source \
  /usr/sbin/slapd /usr/sbin/slapadd /usr/sbin/slaptest /usr/bin/ldapadd /usr/bin/ldapsearch /usr/bin/swaks \
  /usr/sbin/named /usr/bin/named-checkzone; do
  [ -x "$bin" ] || need=1
done
# lmdb maps (build --map-type lmdb) come in Debian's separate postfix-lmdb package
dpkg -s postfix-lmdb >/dev/null 2>&1 || need=1
# ldap: tables (a system's directory with lookups: ldap) come in postfix-ldap
dpkg -s postfix-ldap >/dev/null 2>&1 || need=1
if [ "$need" = 1 ]; then
  # Postfix asks for a mail configuration type; "No configuration" leaves it unconfigured
  # (tests run private instances with their own config_directory). slapd: no initial DB.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends postfix postfix-lmdb postfix-ldap slapd ldap-utils swaks bind9 bind9-utils >/dev/null
fi
# Do not leave the distribution's daemons running: the tests start their own on loopback.
$SUDO service postfix stop >/dev/null 2>&1 || true
$SUDO service slapd stop >/dev/null 2>&1 || true
$SUDO service named stop >/dev/null 2>&1 || true
for bin in postfix postmap postconf smtp-sink smtp-source slapd slapadd slaptest ldapadd ldapsearch swaks named named-checkzone; do
  command -v "$bin" >/dev/null || [ -x "/usr/sbin/$bin" ] || { echo "missing after install: $bin" >&2; exit 1; }
done
dpkg -s postfix-lmdb >/dev/null 2>&1 || { echo "missing after install: postfix-lmdb" >&2; exit 1; }
dpkg -s postfix-ldap >/dev/null 2>&1 || { echo "missing after install: postfix-ldap" >&2; exit 1; }
