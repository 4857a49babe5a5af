#!/bin/sh
# Network namespaces for the PXE tests: a hub namespace holding a bridge, and
# leaf namespaces (server, site DHCP server, clients) each joined to it by a
# veth pair. Nothing is created on the host network: both ends of every veth
# are born inside namespaces.
#
#   netns-harness.sh check                      exit 0 if root and tools exist, else prints what is missing
#   netns-harness.sh up <prefix> <leaf>=<cidr|-> ...   e.g. up brpxe-1a2b srv=10.99.0.1/24 c1=-
#   netns-harness.sh down <prefix>              deletes every namespace named <prefix>-*
#
# Inside each leaf namespace the interface is called eth0 and lo is up; a leaf given `-` has
# no address and an on-link default route.
set -eu

cmd=${1:-}
shift || true

need_tools() {
  missing=""
  for t in ip dnsmasq busybox tftp; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
  done
  [ -f /usr/lib/ipxe/undionly.kpxe ] || missing="$missing ipxe(/usr/lib/ipxe/undionly.kpxe)"
  if [ -n "$missing" ]; then
    echo "missing:$missing (apt-get install -y dnsmasq ipxe tftp-hpa busybox iproute2)" >&2
    return 1
  fi
}

case "$cmd" in
  check)
    if [ "$(id -u)" != 0 ]; then echo "not root: the PXE network tests need root" >&2; exit 1; fi
    need_tools
    probe="brpxe-probe-$$"
    if ! ip netns add "$probe" 2>/dev/null; then
      echo "netns-unavailable: ip netns add failed in this environment" >&2
      exit 3
    fi
    ip netns del "$probe"
    ;;
  up)
    prefix=$1; shift
    case "$prefix" in brpxe-*) ;; *) echo "prefix must start with brpxe-" >&2; exit 2 ;; esac
    hub="$prefix-hub"
    ip netns add "$hub"
    ip -n "$hub" link set lo up
    ip -n "$hub" link add br0 type bridge
    ip -n "$hub" link set br0 up
    i=0
    for spec in "$@"; do
      leaf=${spec%%=*}; cidr=${spec#*=}
      ns="$prefix-$leaf"
      ip netns add "$ns"
      ip -n "$ns" link set lo up
      ip link add eth0 netns "$ns" type veth peer name "p$i" netns "$hub"
      ip -n "$hub" link set "p$i" master br0
      ip -n "$hub" link set "p$i" up
      ip -n "$ns" link set eth0 up
      if [ "$cidr" != "-" ]; then
        ip -n "$ns" addr add "$cidr" dev eth0
      else
        # An address-less client still needs a route to send to 255.255.255.255 from a UDP
        # socket (the DHCP probe); raw-socket clients such as udhcpc do not care.
        ip -n "$ns" route add default dev eth0
      fi
      i=$((i + 1))
    done
    ;;
  down)
    prefix=$1
    case "$prefix" in brpxe-*) ;; *) echo "prefix must start with brpxe-" >&2; exit 2 ;; esac
    for ns in $(ip netns list | awk '{print $1}' | grep "^$prefix-" || true); do
      # Kill what still runs inside (dnsmasq, udhcpc) before the namespace goes.
      for pid in $(ip netns pids "$ns" 2>/dev/null || true); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns" 2>/dev/null || true
    done
    ;;
  *)
    echo "usage: $0 check | up <prefix> <leaf>=<cidr|-> ... | down <prefix>" >&2
    exit 2
    ;;
esac
