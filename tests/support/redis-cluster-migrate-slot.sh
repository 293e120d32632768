#!/usr/bin/env bash
# Moves the hottest slot of a running Redis Cluster to another primary, the way an operator's
# resharding does, while clients keep using it:
#   CLUSTER SETSLOT S IMPORTING (target), SETSLOT S MIGRATING (source), MIGRATE the keys in
#   batches of 20 (the window in which clients get ASK and TRYAGAIN), SETSLOT S NODE (all nodes).
# The hottest slot is that of the route (the hash tag of fs:{ROUTE}...) with the most cache keys.
#
# Usage: tests/support/redis-cluster-migrate-slot.sh PORT PORT PORT   (the primaries on 127.0.0.1)
# Prints "slot S (ROUTE): PORT -> PORT, N keys" on success.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"

(($# >= 2)) || die "usage: $0 PORT PORT [PORT...]"
ports=("$@")
cli() { redis-cli -h 127.0.0.1 -p "$@"; }

# The route with the most entries over all nodes.
route=$(for port in "${ports[@]}"; do cli "$port" --scan --pattern 'fs:{*}*'; done |
  sed -n 's/^fs:{\([^}]*\)}.*/\1/p' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
[[ -n $route ]] || die "no cached search entry in the cluster: nothing is hot yet"
slot=$(cli "${ports[0]}" cluster keyslot "$route")

# Source: the primary whose own slot ranges (CLUSTER NODES, "myself" line) include the slot.
owns() {
  cli "$1" cluster nodes | awk -v s="$slot" '$3 ~ /myself/ {
    for (i = 9; i <= NF; i++) { n = split($i, r, "-"); lo = r[1]; hi = (n == 2 ? r[2] : r[1]);
      if ($i !~ /^\[/ && s + 0 >= lo + 0 && s + 0 <= hi + 0) found = 1 } }
    END { exit found ? 0 : 1 }'
}
src="" dst=""
for i in "${!ports[@]}"; do
  if owns "${ports[i]}"; then
    src=${ports[i]}
    dst=${ports[$(((i + 1) % ${#ports[@]}))]}
  fi
done
[[ -n $src ]] || die "no primary owns slot $slot"
src_id=$(cli "$src" cluster myid)
dst_id=$(cli "$dst" cluster myid)

[[ $(cli "$dst" cluster setslot "$slot" importing "$src_id") == OK ]] || die "SETSLOT IMPORTING failed"
[[ $(cli "$src" cluster setslot "$slot" migrating "$dst_id") == OK ]] || die "SETSLOT MIGRATING failed"
moved=0
while :; do
  mapfile -t keys < <(cli "$src" cluster getkeysinslot "$slot" 20)
  if ((${#keys[@]} == 0)) || [[ -z ${keys[0]} ]]; then break; fi
  out=$(cli "$src" migrate 127.0.0.1 "$dst" "" 0 5000 replace keys "${keys[@]}")
  [[ $out == OK || $out == NOKEY ]] || die "MIGRATE failed: $out"
  moved=$((moved + ${#keys[@]}))
done
for port in "$dst" "$src" "${ports[@]}"; do
  [[ $(cli "$port" cluster setslot "$slot" node "$dst_id") == OK ]] || die "SETSLOT NODE on $port failed"
done
echo "slot $slot ($route): $src -> $dst, $moved keys"
