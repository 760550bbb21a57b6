#!/usr/bin/env bash
# Installs upkeep twice and runs the bundled demo (the KVM agent playbook on the
# sandbox estate: dry run, apply, second run with 0 changes) from a fresh
# directory outside the source tree:
#   1. `cmake --install` of the test build into a temporary prefix;
#   2. the .deb made by CPack from a package build (UPKEEP_EMBED_SOURCE_DIR=OFF, so
#      the binary can only find its Lua helpers in bin/../share/upkeep/lua),
#      unpacked with dpkg-deb -x into a throwaway root.
# Usage: package_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_demo() {  # BINARY EXAMPLES_DIR
  local bin=$1 examples=$2 work
  work=$(mktemp -d "$tmp/work.XXXX")
  cp -a "$examples/playbooks" "$work/"
  cd "$work"
  for h in kvm01 kvm02 kvm03; do mkdir -p "playbooks/sandbox/state/$h" && cp -a playbooks/sandbox/seed/kvm-host/. "playbooks/sandbox/state/$h/"; done
  local pb=playbooks/cloudstack-kvm-agent.yml inv=playbooks/sandbox/inventory.ini out
  "$bin" play "$pb" -i "$inv" --check --diff >"$work/dry.txt"
  grep -q '+++ after: /etc/libvirt/hooks/qemu' "$work/dry.txt"
  "$bin" play "$pb" -i "$inv" >"$work/apply.txt"
  grep -qE 'kvm01 +: ok=[0-9]+ +changed=[1-9]' "$work/apply.txt"
  out=$("$bin" play "$pb" -i "$inv")
  if grep -qE 'changed=[1-9]|failed=[1-9]|unreachable=[1-9]' <<<"$out"; then echo "$out"; echo "second run changed something" >&2; exit 1; fi
  [ -x playbooks/sandbox/state/kvm01/etc/libvirt/hooks/qemu ]
  cd - >/dev/null
  echo "demo ok with $bin"
}

echo "==> 1. cmake --install into a temporary prefix"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
p=$tmp/prefix
for f in bin/upkeep share/upkeep/lua share/man/man1/upkeep.1 share/bash-completion/completions/upkeep \
         share/doc/upkeep/README.md share/doc/upkeep/examples/playbooks/cloudstack-kvm-agent.yml; do
  [ -e "$p/$f" ] || { echo "missing after install: $f" >&2; exit 1; }
done
# Into files first: grep -q stops reading at the first match, and under
# pipefail the writer's SIGPIPE would fail the test once the text outgrows a pipe.
"$p/bin/upkeep" help >"$tmp/help.txt"
grep -q libvirt_restart "$tmp/help.txt"
"$p/bin/upkeep" help libvirt_hook >"$tmp/help_hook.txt"
grep -q 'ARGUMENTS' "$tmp/help_hook.txt"
grep -q '^\.SS libvirt_restart' "$p/share/man/man1/upkeep.1"
man -l "$p/share/man/man1/upkeep.1" >/dev/null 2>&1 || true
bash -c "source '$p/share/bash-completion/completions/upkeep'; COMP_WORDS=(upkeep doc libvirt_h); COMP_CWORD=2; _upkeep; [ \"\${COMPREPLY[*]}\" = libvirt_hook ]"
run_demo "$p/bin/upkeep" "$p/share/doc/upkeep/examples"

echo "==> 2. the .deb (package build without the source tree's path)"
pkg=$build/package-build
cmake -S "$src" -B "$pkg" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUPKEEP_TESTS=OFF -DUPKEEP_EMBED_SOURCE_DIR=OFF >/dev/null
cmake --build "$pkg" -j2 >/dev/null
(cd "$pkg" && cpack -G DEB >/dev/null)
deb=$(ls "$pkg"/upkeep_*.deb)
dpkg-deb -f "$deb" Depends | grep -q libvirt0
if grep -q "$src/lua" "$pkg/upkeep"; then echo "the package's binary still names the source tree" >&2; exit 1; fi
dpkg-deb -x "$deb" "$tmp/root"
run_demo "$tmp/root/usr/bin/upkeep" "$tmp/root/usr/share/doc/upkeep/examples"
# `upkeep doc` lists the Lua modules of the installed share dir, with their arguments,
# and those next to a playbook (-p).
mkdir -p "$tmp/pb/lua/modules"
printf 'return { summary = "site check", args = {{ name = "port", type = "int", required = true }},\n  check = function() end, apply = function() end }\n' >"$tmp/pb/lua/modules/site_check.lua"
"$tmp/root/usr/bin/upkeep" doc -p "$tmp/pb" >"$tmp/doc.txt"
grep -q "^cloudstack_systemvm_template *$tmp/root/usr/share/upkeep/lua/modules/cloudstack_systemvm_template.lua" "$tmp/doc.txt"
grep -q "login_password (secret)" "$tmp/doc.txt"
grep -q "^site_check *$tmp/pb/lua/modules/site_check.lua" "$tmp/doc.txt"
grep -q "port\* \[int\]" "$tmp/doc.txt"
# Into a file first: grep -q exits at the first match and, under pipefail, ldd's
# SIGPIPE (still writing) failed the test now and then.
ldd "$tmp/root/usr/bin/upkeep" >"$tmp/ldd.txt"
grep -q libvirt.so "$tmp/ldd.txt"
echo "package ok: $deb"
