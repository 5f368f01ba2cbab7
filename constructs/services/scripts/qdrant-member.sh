#!/usr/bin/env bash
# qdrant-member.sh: starts one member of a Qdrant cluster. Member 0 (QDRANT_FIRST_URI) starts the
# cluster; every other member bootstraps from it. Both tell the others where they are reached
# (QDRANT_MEMBER_URI, a stable name, not an address that changes when the pod is replaced).
# Qdrant reads --uri and --bootstrap on a member's first start only: afterwards its Raft state says
# who its peers are ("Local raft state found - bootstrap and uri cli arguments were ignored").
set -euo pipefail
: "${QDRANT_MEMBER_URI:?this member's p2p URI}"
: "${QDRANT_FIRST_URI:?member 0's p2p URI}"
args=(--uri "$QDRANT_MEMBER_URI")
[ "$QDRANT_MEMBER_URI" = "$QDRANT_FIRST_URI" ] || args+=(--bootstrap "$QDRANT_FIRST_URI")
exec ./entrypoint.sh "${args[@]}"
