#!/usr/bin/env bash
# Checks deploy/prometheus/rules.yml with Debian's promtool: syntax and expressions
# (`promtool check rules`), then the unit tests of deploy/prometheus/rules_test.yml, one
# firing and one quiet case per alert (`promtool test rules`). Needs the `prometheus` package.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/common.sh"
cd "$RIHLA_ROOT/deploy/prometheus"

command -v promtool >/dev/null || die "promtool is missing (Debian: apt-get install prometheus)"
promtool check rules rules.yml
promtool test rules rules_test.yml

# Every alert has a firing and a quiet test case.
mapfile -t alerts < <(sed -n 's/^ *- alert: *//p' rules.yml)
((${#alerts[@]} > 0)) || die "no alerts found in rules.yml"
for alert in "${alerts[@]}"; do
  fired=$(grep -A2 "alertname: $alert\$" rules_test.yml | grep -c 'exp_alerts:$' || true)
  quiet=$(grep -A2 "alertname: $alert\$" rules_test.yml | grep -c 'exp_alerts: \[\]' || true)
  ((fired > 0 && quiet > 0)) || die "$alert needs a firing and a quiet case in rules_test.yml"
done
log "${#alerts[@]} alerts checked, each tested firing and quiet"
