#!/usr/bin/env bash
# Lints docs/openapi.json with the pinned @redocly/cli (recommended rules, tools/redocly.yaml)
# and fails on any error or warning, not only on errors as `redocly lint` itself does.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$RIHLA_ROOT"

report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
tools/node_modules/.bin/redocly lint --config tools/redocly.yaml --format stylish docs/openapi.json >"$report" 2>&1 || status=$?
cat "$report"
((status == 0)) || die "redocly lint found errors (exit $status)"
if grep -Eq '(warning|error)' "$report"; then
  die "redocly lint reported problems; fix them or disable the rule with a reason in tools/redocly.yaml"
fi
log "docs/openapi.json: 0 errors, 0 warnings"
