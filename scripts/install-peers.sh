#!/usr/bin/env bash
# Installs the real programs the peer test suite (npm run test:peers) runs against, from Debian.
# Idempotent: packages already present are not reinstalled, and apt-get update runs only when
# something is missing. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  mosquitto          # MQTT broker (agent reporting, server ingest)
  mosquitto-clients  # mosquitto_sub / mosquitto_pub (benchmarks)
  snmpsim            # snmpsimd: serves the .snmprec device recordings
  snmp               # net-snmp command-line tools (snmpwalk, snmptrap)
  cups-ipp-utils     # ippeveprinter (IPP printer) and ipptool (IPP client)
  dbus               # ippeveprinter needs a system bus ...
  avahi-daemon       # ... and mDNS registration
  chromium           # headless browser for dashboard tests
  python3-aiosmtpd   # aiosmtpd: local SMTP receiver (maildir) for the notification e-mail tests
  dovecot-imapd      # IMAP server for the e-mail intake tests (started by the test, private config)
  postgresql         # scale-out storage tests
  prometheus-snmp-exporter  # agent benchmark: CPU per poll compared with snmp_exporter
  poppler-utils      # pdftotext: reads back the final report PDF (Polish glyphs)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-peers: all peer packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "install-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps the install small; services are started by the tests, not by init.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-peers: done"
