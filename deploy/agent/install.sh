#!/bin/sh
# Installs or upgrades the FleetDesk agent from this unpacked release (docs/install-agent.md).
#
#   sudo ./install.sh                           program in /opt/fleetdesk-agent, the systemd unit,
#                                               user fleetdesk-agent, /usr/local/bin/fleetdesk-agent
#   ./install.sh --prefix "$HOME/fleetdesk"     the program only: no root, no systemd
#
# The systemd steps run only as root on a host booted with systemd (and not with --no-systemd).
# An upgrade is the same command with the newer release: config (/etc/fleetdesk) and state
# (/var/lib/fleetdesk-agent) are kept, and a running service is restarted.
set -eu

prefix=/opt/fleetdesk-agent
systemd=auto
usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --no-systemd) systemd=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac

src=$(dirname "$(readlink -f "$0")")
version=$(cat "$src/VERSION")

node_ok=$(node -e 'const [a, b] = process.versions.node.split(".").map(Number); console.log(a > 20 || (a === 20 && b >= 19) ? "yes" : process.version)' 2>/dev/null || echo "not found")
if [ "$node_ok" != yes ]; then
  echo "install.sh: the agent needs Node.js 20.19 or newer; node is $node_ok (Debian/Ubuntu: install nodejs from NodeSource, https://github.com/nodesource/distributions)" >&2
  exit 1
fi

# Copy beside the old version, then swap, so a failed copy leaves the installed one intact.
mkdir -p "$prefix"
new="$prefix/.install-$$"
rm -rf "$new"
mkdir "$new"
cp -R "$src/bin" "$src/lib" "$src/share" "$src/package.json" "$src/VERSION" "$src/uninstall.sh" "$new/"
for part in bin lib share package.json VERSION uninstall.sh; do
  rm -rf "$prefix/$part.old"
  if [ -e "$prefix/$part" ]; then mv "$prefix/$part" "$prefix/$part.old"; fi
  mv "$new/$part" "$prefix/$part"
done
rm -rf "$new" "$prefix"/*.old
"$prefix/bin/fleetdesk-agent" --version >/dev/null
echo "installed FleetDesk agent $version in $prefix"

if [ "$systemd" = auto ] && [ "$(id -u)" = 0 ] && [ -d /run/systemd/system ]; then
  id fleetdesk-agent >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin fleetdesk-agent
  install -d -m 0750 -o root -g fleetdesk-agent /etc/fleetdesk
  sed "s#/opt/fleetdesk-agent#$prefix#g" "$prefix/share/fleetdesk-agent.service" >/etc/systemd/system/fleetdesk-agent.service
  ln -sf "$prefix/bin/fleetdesk-agent" /usr/local/bin/fleetdesk-agent
  systemctl daemon-reload
  if systemctl is-active --quiet fleetdesk-agent; then
    systemctl restart fleetdesk-agent
    echo "restarted the running service with $version"
  elif [ -f /etc/fleetdesk/agent.yaml ]; then
    echo "next: sudo systemctl enable --now fleetdesk-agent"
  else
    echo "next: sudo fleetdesk-agent agent init --tenant T --agent-id A --broker-url mqtts://HOST:8883 --range 10.1.2.0/24"
    echo "      then: sudo systemctl enable --now fleetdesk-agent"
  fi
else
  echo "systemd steps skipped (not root, no systemd, or --no-systemd): run it yourself with"
  echo "  $prefix/bin/fleetdesk-agent agent --config FILE"
fi
