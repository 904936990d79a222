#!/usr/bin/env bash
# Installs the Debian packages of the given groups (cmake/packages.txt) that are missing.
# Runs apt-get only when something is missing, so a set-up machine pays nothing.
#   cmake/install-deps.sh build test
set -euo pipefail
list="$(dirname "$0")/packages.txt"
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build)

wanted=()
for g in "${groups[@]}"; do
  if ! grep -q "^$g:" "$list"; then
    echo "install-deps: no package group '$g' in $list" >&2
    exit 2
  fi
  # shellcheck disable=SC2207
  wanted+=($(sed -n "s/^$g:[[:space:]]*//p" "$list"))
done

missing=()
for p in $(printf '%s\n' "${wanted[@]}" | sort -u); do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
