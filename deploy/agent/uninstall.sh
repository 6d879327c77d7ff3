#!/bin/sh
# Removes the FleetDesk agent installed by install.sh (docs/install-agent.md).
#
#   sudo /opt/fleetdesk-agent/uninstall.sh            stops the service, removes program and unit;
#                                                     keeps /etc/fleetdesk and /var/lib/fleetdesk-agent
#   sudo /opt/fleetdesk-agent/uninstall.sh --purge    also removes the config, the outbox and the user
#   ./uninstall.sh --prefix "$HOME/fleetdesk"         a non-root install
set -eu

prefix=$(dirname "$(readlink -f "$0")")
purge=no
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "uninstall.sh: --prefix needs a directory" >&2; exit 2; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --purge) purge=yes; shift ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
# Never remove a directory that is not an agent install.
if [ ! -f "$prefix/VERSION" ] || [ ! -f "$prefix/lib/fleetdesk-agent.mjs" ]; then
  echo "uninstall.sh: $prefix is not a FleetDesk agent install (no VERSION, lib/fleetdesk-agent.mjs)" >&2
  exit 1
fi

if [ "$(id -u)" = 0 ] && [ -d /run/systemd/system ] && [ -f /etc/systemd/system/fleetdesk-agent.service ]; then
  systemctl disable --now fleetdesk-agent || true
  rm -f /etc/systemd/system/fleetdesk-agent.service
  systemctl daemon-reload
fi
if [ "$(readlink /usr/local/bin/fleetdesk-agent 2>/dev/null || true)" = "$prefix/bin/fleetdesk-agent" ]; then rm -f /usr/local/bin/fleetdesk-agent; fi
rm -rf "$prefix/bin" "$prefix/lib" "$prefix/share" "$prefix/package.json" "$prefix/VERSION" "$prefix/uninstall.sh"
rmdir "$prefix" 2>/dev/null || true
echo "removed the FleetDesk agent from $prefix"

if [ "$purge" = yes ]; then
  rm -f /etc/fleetdesk/agent.yaml /etc/fleetdesk/agent.env
  rmdir /etc/fleetdesk 2>/dev/null || true
  rm -rf /var/lib/fleetdesk-agent
  if id fleetdesk-agent >/dev/null 2>&1; then userdel fleetdesk-agent || true; fi
  echo "purged the config, the outbox and the user"
fi
