#!/bin/bash
# A network partition: inside a private network namespace (its own loopback
# carries a PostgreSQL of this test's own and the client; nothing leaves it),
# an nftables rule drops every packet to and from the server in the middle
# of a workload; deleting the rule heals it.   partition_test.sh HANG_CHECK
# Needs root (CI runs as root): without a namespace the test fails, it never
# skips.
set -euo pipefail
check=$1
scripts=${DAL_SCRIPTS_DIR:?DAL_SCRIPTS_DIR is not set: run through ctest}
if [ "${DAL_IN_NETNS:-}" != 1 ]; then
    for tool in unshare nft ip; do
        command -v "$tool" >/dev/null || { echo "partition_test: $tool is missing (scripts/install-deps)"; exit 1; }
    done
    exec unshare -n env DAL_IN_NETNS=1 "$0" "$@" ||
        { echo "partition_test: cannot create a network namespace (not root?)"; exit 1; }
fi
ip link set lo up
export DAL_PG_INSTANCE=netns
table=dal_partition
"$scripts/pg" start >/dev/null
trap 'nft delete table inet $table 2>/dev/null || true; "$scripts/pg" stop' EXIT
base=$("$scripts/pg" url)
port=${base##*:}
port=${port%%/*}
cut="nft add table inet $table && nft add chain inet $table input '{ type filter hook input priority 0; }' && nft add rule inet $table input tcp dport $port drop && nft add rule inet $table input tcp sport $port drop"
"$check" "$base?query_timeout=2&connect_timeout=2&pool_timeout=3&pool_size=4&max_overflow=0" "$cut" "nft delete table inet $table"
