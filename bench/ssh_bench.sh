#!/usr/bin/env bash
# upkeep vs ansible-playbook vs a raw-ssh floor, over N loopback sshd "hosts".
#
#   bash bench/ssh_bench.sh            # N = 1 10 50
#   BENCH_HOSTS="1 10 50 100" bash bench/ssh_bench.sh
#
# Needs root (it creates an unprivileged user and starts sshd daemons) and the
# packages of `bash .ci/setup test` (openssh-server, ansible-core, python3).
# It builds build/upkeep if needed. Every tool runs as the unprivileged user
# $BENCH_USER (login shell /bin/sh: root's ~/.bashrc here sources pyenv and
# costs ~100 ms per command, which would measure the shell, not the tools).
#
# Hosts: sshd daemons on 127.0.3.1..N:2222 (loopback only), each with its own
# host key, MaxStartups 200:30:400 and MaxSessions 100, sharing one filesystem:
# the playbook puts each host's files under $work/data/<inventory_hostname>,
# so no copy-on-write roots are needed.
#
# For each N and each tool: the data dir is emptied, then a first run (10
# changes per host) and a second run (0 changes) are measured with
# bench/measure.py (wall, user+sys CPU of the process tree, peak RSS of the
# tree). The final state of the three tools is compared (paths, modes, bytes).
# Prints a markdown table at the end; BENCH_RESULTS=FILE also writes it there.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
hosts_list=${BENCH_HOSTS:-"1 10 50"}
tools=${BENCH_TOOLS:-"upkeep ansible floor"}  # a subset skips the ratio table
user=${BENCH_USER:-upkeep-bench}
net=${BENCH_NET:-127.0.3}
port=${BENCH_PORT:-2222}
upkeep_bin=${UPKEEP_BIN:-$repo/build/upkeep}

[[ $(id -u) -eq 0 ]] || { echo "run as root (creates $user, starts sshd)" >&2; exit 1; }
for tool in sshd ssh ssh-keygen ansible-playbook python3 runuser; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "missing $tool: bash .ci/setup test" >&2; exit 1; }
done

if [[ -z ${UPKEEP_BIN:-} ]]; then
  echo "== building upkeep (build/, RelWithDebInfo)"
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$repo/build" -j2 --target upkeep >/dev/null
fi

max_n=0
for n in $hosts_list; do ((n > max_n)) && max_n=$n; done
((max_n <= 254)) || { echo "at most 254 hosts" >&2; exit 1; }

# ---- the unprivileged user ----
if ! id -u "$user" >/dev/null 2>&1; then
  useradd -m -s /bin/sh "$user"
fi
usermod -p '*' "$user"  # sshd without PAM refuses a locked ("!") password field
user_home=$(getent passwd "$user" | cut -d: -f6)

# ---- work dir, keys, daemons ----
work=$(mktemp -d /tmp/upkeep-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # ansible's ControlPersist masters: ask each one to exit through its socket.
  for s in "$work"/cp/*; do
    [[ -S $s ]] && runuser -u "$user" -- ssh -o ControlPath="$s" -O exit bench >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p /run/sshd "$work/authorized_keys" "$work/data" "$work/cp" "$work/results" "$work/ansible-tmp"
ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys/$user"
chmod -R a+rX "$work/authorized_keys"
chown -R "$user" "$work/client_key" "$work/client_key.pub" "$work/data" "$work/cp" "$work/results" "$work/ansible-tmp"

: >"$work/known_hosts"
echo "== starting $max_n sshd hosts on $net.1..$max_n:$port"
for ((i = 1; i <= max_n; i++)); do
  addr=$net.$i
  if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then
    echo "$addr:$port is taken; set BENCH_NET or BENCH_PORT" >&2
    exit 1
  fi
  ssh-keygen -q -t ed25519 -N '' -C "bench-host$i" -f "$work/host$i"
  cat >"$work/sshd$i.conf" <<EOF
Port $port
ListenAddress $addr
HostKey $work/host$i
PidFile $work/sshd$i.pid
AuthorizedKeysFile $work/authorized_keys/%u
PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
MaxStartups 200:30:400
MaxSessions 100
EOF
  /usr/sbin/sshd -D -f "$work/sshd$i.conf" -E "$work/sshd$i.log" &
  pids+=($!)
  echo "[$addr]:$port $(cut -d' ' -f1-2 "$work/host$i.pub")" >>"$work/known_hosts"
done
for ((i = 1; i <= max_n; i++)); do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/$net.$i/$port") 2>/dev/null && break; sleep 0.05; done
done
chmod 644 "$work/known_hosts"

# ---- inventories, ansible.cfg, floor scripts ----
for n in $hosts_list; do
  {
    echo "[bench]"
    for ((i = 1; i <= n; i++)); do echo "h$i ansible_host=$net.$i"; done
    echo
    echo "[bench:vars]"
    echo "ansible_port=$port"
    echo "ansible_user=$user"
    echo "ansible_ssh_private_key_file=$work/client_key"
    echo "ansible_python_interpreter=/usr/bin/python3"
    echo "bench_data=$work/data"
  } >"$work/inventory$n.ini"
done
cp "$here/site.yml" "$work/site.yml"

# Strict host key checking for ansible too, against the generated known_hosts
# (upkeep gets the same file with --known-hosts and its default strict checking).
cat >"$work/ansible.cfg" <<EOF
[defaults]
host_key_checking = True
retry_files_enabled = False
interpreter_python = /usr/bin/python3
local_tmp = $work/ansible-tmp
[ssh_connection]
pipelining = True
control_path_dir = $work/cp
ssh_args = -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=$work/known_hosts -o StrictHostKeyChecking=yes
EOF

# The floor: what the playbook does, as one shell script per host over one
# plain `ssh` each, all hosts in parallel. Idempotent like the playbook.
# KexAlgorithms=curve25519-sha256: what libssh (upkeep) negotiates; OpenSSH
# 9's default sntrup761x25519 costs ~0.1 s of CPU per handshake on each side,
# which would make the floor slower than it has to be.
cat >"$work/floor.sh" <<'EOF'
d=$1
mkdir -p "$d/etc" && chmod 0755 "$d/etc"
[ -e "$d/etc/app.conf" ] || printf '# app\nport=8080\nhost=localhost\ndebug=true\n' >"$d/etc/app.conf"
c=$d/etc/app.conf
grep -qx 'port=9090' "$c" || sed -i 's/^port=.*/port=9090/' "$c"
grep -qx 'log_level=info' "$c" || echo 'log_level=info' >>"$c"
! grep -q '^host=' "$c" || grep -qx 'host=db.internal' "$c" || sed -i 's/^host=.*$/host=db.internal/' "$c"
! grep -q '^debug=' "$c" || sed -i '/^debug=/d' "$c"
[ "$(stat -c %a "$c")" = 640 ] || chmod 0640 "$c"
want='user=app
token=not-a-secret'
[ "$(cat "$d/etc/credentials" 2>/dev/null)" = "$want" ] || printf '%s\n' "$want" >"$d/etc/credentials"
[ "$(stat -c %a "$d/etc/credentials")" = 600 ] || chmod 0600 "$d/etc/credentials"
mkdir -p "$d/log" && chmod 0750 "$d/log"
[ -e "$d/log/initialised" ] || touch "$d/log/initialised"
EOF
cat >"$work/floor_all.sh" <<EOF
#!/bin/sh
n=\$1
i=1
while [ \$i -le \$n ]; do
  ssh -F /dev/null -o BatchMode=yes -o KexAlgorithms=curve25519-sha256 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$work/known_hosts \\
    -i $work/client_key -p $port $user@$net.\$i "sh -s $work/data/h\$i" <$work/floor.sh &
  i=\$((i + 1))
done
fail=0
for p in \$(jobs -p); do wait \$p || fail=1; done
wait
exit \$fail
EOF
chmod 755 "$work/floor_all.sh" "$work/floor.sh" "$work/site.yml" "$work"/inventory*.ini "$work/ansible.cfg"

# Runs a command as the bench user with a minimal environment, measured.
as_user() {
  local out=$1
  shift
  runuser -u "$user" -- env -i HOME="$user_home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 \
    ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_NOCOLOR=1 NO_COLOR=1 \
    python3 "$here/measure.py" "$out" -- "$@"
}

# Sum of changed= over the recap lines (both tools print Ansible's recap).
changed_total() { grep -Eo 'changed=[0-9]+' "$1" | cut -d= -f2 | awk '{s+=$1} END {print s+0}'; }
unreachable_total() { grep -Eo 'unreachable=[0-9]+' "$1" | cut -d= -f2 | awk '{s+=$1} END {print s+0}'; }
failed_total() { grep -Eo 'failed=[0-9]+' "$1" | cut -d= -f2 | awk '{s+=$1} END {print s+0}'; }
state_hash() {
  (cd "$work/data" && find . -mindepth 1 -printf '%p %y %m %s\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r cat) |
    sha256sum | cut -c1-12
}

load_before=$(cut -d" " -f1-3 /proc/loadavg)
rows=()
declare -A wall cpu hash
for n in $hosts_list; do
  for tool in $tools; do
    rm -rf "${work:?}/data" && mkdir "$work/data" && chown "$user" "$work/data"
    for run in 1 2; do
      log=$work/results/$tool-$n-$run.log
      json=$work/results/$tool-$n-$run.json
      echo "== N=$n $tool run $run"
      case $tool in
        upkeep)
          as_user "$json" "$upkeep_bin" play "$work/site.yml" -i "$work/inventory$n.ini" -f "$n" \
            --known-hosts "$work/known_hosts" >"$log" 2>&1 || true ;;
        ansible)
          as_user "$json" ansible-playbook "$work/site.yml" -i "$work/inventory$n.ini" -f "$n" >"$log" 2>&1 || true ;;
        floor)
          as_user "$json" "$work/floor_all.sh" "$n" >"$log" 2>&1 || true ;;
      esac
      read -r rc w c u s rss maxrss < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rc"], d["wall_s"], d["cpu_s"], d["user_s"], d["sys_s"], d["peak_rss_mb"], d["max_proc_rss_mb"])' "$json")
      if [[ $tool == floor ]]; then chg=-; else chg=$(changed_total "$log"); fi
      bad=""
      if [[ $rc != 0 ]]; then
        bad=" rc=$rc"
        [[ $tool != floor ]] && bad+=" (unreachable $(unreachable_total "$log"), failed $(failed_total "$log"))"
        echo "   $tool failed: see below"; tail -20 "$log"
      fi
      wall[$tool-$n-$run]=$w
      cpu[$tool-$n-$run]=$c
      printf '   wall %s s, cpu %s s, peak RSS %s MB, changed %s%s\n' "$w" "$c" "$rss" "$chg" "$bad"
      rows+=("| $n | $tool | $run | $w | $c ($u + $s) | $rss | $maxrss | $chg$bad |")
    done
    hash[$tool-$n]=$(state_hash)
  done
done

[[ $tools == "upkeep ansible floor" ]] || { printf '%s\n' "${rows[@]}"; exit 0; }
ratio() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print(f"{a/b:.3f}" if b else "-")' "$1" "$2"; }
{
  echo "### SSH fleet benchmark (user \`$user\`, login shell /bin/sh)"
  echo
  echo "$(date -u +%Y-%m-%d) · $(nproc) cores · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ·" \
    "$(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo) · load average before: $load_before ·" \
    "$("$upkeep_bin" --version 2>/dev/null | head -1) · $(ansible-playbook --version | head -1) · $(ssh -V 2>&1)"
  echo
  echo "10-task playbook (bench/site.yml, gather_facts: false), hosts = loopback sshd daemons sharing one filesystem" \
    "(per-host paths via \`{{ inventory_hostname }}\`), forks = N for both tools; ansible: pipelining, ControlPersist 60s" \
    "in a private ControlPath dir, strict host key checking against the generated known_hosts (as upkeep)." \
    "CPU = user + sys of the tool's process tree (ssh clients included; sshd servers and ansible's detached" \
    "ControlPersist masters not). Peak RSS = largest sum over the live process tree (sampled every 20 ms); max proc = largest single process."
  echo
  echo "| N | tool | run | wall s | CPU s (user + sys) | peak RSS tree MB | max proc RSS MB | changed |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "| N | run | upkeep/ansible wall | ansible ÷ upkeep (× faster) | upkeep/floor wall | upkeep/ansible CPU | upkeep/floor CPU | same final state |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---|"
  for n in $hosts_list; do
    same=no
    [[ ${hash[upkeep-$n]} == "${hash[ansible-$n]}" && ${hash[upkeep-$n]} == "${hash[floor-$n]}" ]] && same=yes
    for run in 1 2; do
      echo "| $n | $run | $(ratio "${wall[upkeep-$n-$run]}" "${wall[ansible-$n-$run]}") |" \
        "$(ratio "${wall[ansible-$n-$run]}" "${wall[upkeep-$n-$run]}") |" \
        "$(ratio "${wall[upkeep-$n-$run]}" "${wall[floor-$n-$run]}") |" \
        "$(ratio "${cpu[upkeep-$n-$run]}" "${cpu[ansible-$n-$run]}") |" \
        "$(ratio "${cpu[upkeep-$n-$run]}" "${cpu[floor-$n-$run]}") | $same (${hash[upkeep-$n]}/${hash[ansible-$n]}/${hash[floor-$n]}) |"
    done
  done
} >"$work/table.md"
echo
cat "$work/table.md"
[[ -n ${BENCH_RESULTS:-} ]] && cp "$work/table.md" "$BENCH_RESULTS"
if [[ -n ${BENCH_KEEP_LOGS:-} ]]; then
  mkdir -p "$BENCH_KEEP_LOGS" && cp -r "$work/results/." "$BENCH_KEEP_LOGS/"
fi
