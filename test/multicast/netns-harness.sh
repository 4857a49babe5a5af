#!/usr/bin/env bash
# netns-harness.sh : the multicast test topology, in network namespaces this script creates.
#   up PREFIX N [LOSS]   hub PREFIX-hub (bridge, multicast snooping off), sender PREFIX-s
#                        (v-s 198.18.0.1), receivers PREFIX-r1..rN (v-rI 198.18.0.(10+I)), a forger
#                        PREFIX-f (v-f 198.18.0.250); route 224.0.0.0/4 on every veth.
#                        LOSS: one percentage for every receiver link, or a list "5,0,5" (one per
#                        receiver): nftables drops that share of UDP arriving at the receiver.
#                        LINK_RATE=1gbit adds a tbf on both ends of every port (a GbE switch).
#                        NO_FORGER=1 leaves the forger out (the benchmarks: the anchor's topology
#                        has no such port, and the bridge floods every datagram to every port).
#   down PREFIX          removes every namespace named PREFIX-* (idempotent).
#   run N [LOSS] -- CMD  up with PREFIX=brmc-<pid>, runs CMD with BRMC_PREFIX set, always down.
# The 198.18.0.0/24 addresses exist only inside these namespaces; nothing touches the root
# namespace. PREFIX must start with "brmc-". Needs root, iproute2, nftables (for LOSS).
set -euo pipefail

die() { echo "netns-harness: $*" >&2; exit 1; }
[[ $(id -u) == 0 ]] || die "must run as root (network namespaces)"
command -v ip >/dev/null || die "ip missing: apt-get install iproute2"

down() {
  local prefix=$1 ns
  [[ $prefix == brmc-* ]] || die "prefix must start with brmc-: $prefix"
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^${prefix}-" || true); do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

loss_for() { # loss_for LOSS I -> the loss of receiver I
  local list=$1 i=$2
  if [[ $list == *,* ]]; then cut -d, -f"$i" <<<"$list"; else echo "$list"; fi
}

host() { # host PREFIX NAME ADDR LOSS
  local prefix=$1 h=$2 addr=$3 loss=$4 ns="$1-$2"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip -n "$prefix-hub" link add "p-$h" type veth peer name "v-$h" netns "$ns"
  ip -n "$prefix-hub" link set "p-$h" master brmcbr up
  ip -n "$ns" addr add "$addr/24" dev "v-$h"
  ip -n "$ns" link set "v-$h" up
  ip -n "$ns" route add 224.0.0.0/4 dev "v-$h"
  if [[ -n ${LINK_RATE:-} ]]; then
    ip netns exec "$prefix-hub" tc qdisc add dev "p-$h" root tbf rate "$LINK_RATE" burst 256kb latency 20ms
    ip netns exec "$ns" tc qdisc add dev "v-$h" root tbf rate "$LINK_RATE" burst 256kb latency 20ms
  fi
  if [[ -n $loss && $loss != 0 ]]; then
    command -v nft >/dev/null || die "nft missing: apt-get install nftables"
    ip netns exec "$ns" nft add table inet brmcloss
    ip netns exec "$ns" nft "add chain inet brmcloss input { type filter hook input priority 0; }"
    ip netns exec "$ns" nft add rule inet brmcloss input meta l4proto udp numgen random mod 100 '<' "$loss" drop
  fi
}

up() {
  local prefix=$1 n=$2 loss=${3:-0} i
  [[ $prefix == brmc-* ]] || die "prefix must start with brmc-: $prefix"
  [[ $n =~ ^[0-9]+$ ]] && (( n >= 1 && n <= 200 )) || die "receivers must be 1..200: $n"
  down "$prefix"
  trap 'down "$prefix"' ERR
  ip netns add "$prefix-hub"
  ip -n "$prefix-hub" link set lo up
  ip -n "$prefix-hub" link add brmcbr type bridge mcast_snooping 0
  ip -n "$prefix-hub" link set brmcbr up
  host "$prefix" s 198.18.0.1 0
  [[ ${NO_FORGER:-} == 1 ]] || host "$prefix" f 198.18.0.250 0
  for ((i = 1; i <= n; i++)); do host "$prefix" "r$i" "198.18.0.$((10 + i))" "$(loss_for "$loss" "$i")"; done
  trap - ERR
}

cmd=${1:-}; shift || true
case $cmd in
  up) up "$@" ;;
  down) down "${1:?prefix}" ;;
  run)
    n=${1:?receivers}; loss=0; shift
    if [[ ${1:-} != -- ]]; then loss=${1}; shift; fi
    [[ ${1:-} == -- ]] || die "usage: run N [LOSS] -- CMD"
    shift
    prefix="brmc-$$"
    trap 'down "$prefix"' EXIT
    up "$prefix" "$n" "$loss"
    BRMC_PREFIX=$prefix "$@"
    ;;
  *) die "usage: $0 up PREFIX N [LOSS] | down PREFIX | run N [LOSS] -- CMD" ;;
esac
