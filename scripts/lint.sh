#!/usr/bin/env bash
# Runs shellcheck over every shell script of the repository: the *.sh files under scripts/,
# bench/, tools/ and tests/, and .ci/run, following the files they source (-x). Zero findings, or an inline
# `# shellcheck disable=SCxxxx` with a reason. scripts/test.sh runs this before it builds.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
cd "$RIHLA_ROOT"

command -v shellcheck >/dev/null || die "shellcheck is not installed (scripts/setup.sh --test installs it)"
mapfile -t files < <(find scripts bench tools tests -name node_modules -prune -o -name '*.sh' -type f -print | sort)
files+=(.ci/run)
shellcheck -x "${files[@]}"
log "shellcheck: ${#files[@]} files, no findings"
