#!/bin/sh
# Install aura-edge on a Debian/Ubuntu store PC from a release binary.
# Usage: sudo ./install.sh path/to/aura-edge [path/to/aura-edge.yaml]
set -eu
bin=${1:?usage: install.sh BINARY [CONFIG]}
conf=${2:-}
here=$(cd "$(dirname "$0")" && pwd)

id aura-edge >/dev/null 2>&1 || useradd --system --user-group --groups dialout,lp --home-dir /var/lib/aura-edge --no-create-home --shell /usr/sbin/nologin aura-edge
install -m 0755 "$bin" /usr/bin/aura-edge
install -d -m 0750 -o root -g aura-edge /etc/aura-edge
if [ -n "$conf" ]; then
  install -m 0640 -o root -g aura-edge "$conf" /etc/aura-edge/aura-edge.yaml
fi
/usr/bin/aura-edge config check --config /etc/aura-edge/aura-edge.yaml
install -m 0644 "$here/systemd/aura-edge.service" /lib/systemd/system/aura-edge.service
install -m 0644 "$here/udev/60-aura-edge-printers.rules" /etc/udev/rules.d/60-aura-edge-printers.rules
udevadm control --reload 2>/dev/null || true
systemctl daemon-reload
systemctl enable --now aura-edge
systemctl --no-pager status aura-edge || true
