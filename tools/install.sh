#!/usr/bin/env bash
# Installs the pinned npm tools of tools/package-lock.json into tools/node_modules with
# `npm ci`, unless they are already installed from the same lock file. Only the tests and the
# docs generation need them; building or running rihla does not. Node and npm come from the
# machine (Debian's nodejs is 18; the pinned versions run on 18 and 20).
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"
LOG_TAG=tools
cd "$RIHLA_ROOT/tools"

command -v npm >/dev/null || die "npm is missing (Debian: apt-get install nodejs npm)"
stamp=node_modules/.installed-lock
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
log "npm ci (node $(node --version))"
npm ci --no-audit --no-fund --loglevel=error >&2
cp package-lock.json "$stamp"
