#!/usr/bin/env bash
# upkeep vs ansible-playbook vs a raw-ssh floor, over N loopback sshd "hosts",
# under the conditions of issue 12, all in one run:
#   user  the unprivileged $BENCH_USER, login shell /bin/sh, loopback
#   root  root login (its real bash sourcing ~/.bashrc), loopback
#   rtt   root login through bench/delayproxy.py (BENCH_RTT_MS round trip, 40)
#   sudo  $BENCH_USER with become through sudo with a password
#   big   $BENCH_USER at BENCH_BIG_HOSTS (1000) hosts: upkeep and floor only
#
#   bash bench/ssh_bench.sh                          # every condition
#   BENCH_CONDITIONS="user root" BENCH_HOSTS="1 10 50" bash bench/ssh_bench.sh
#   BENCH_USER_HOSTS / BENCH_ROOT_HOSTS / BENCH_RTT_HOSTS / BENCH_SUDO_HOSTS /
#   BENCH_BIG_HOSTS: the host counts of each condition (BENCH_HOSTS sets user's).
#   BENCH_EXTRA_VARS="upkeep_ssh_files=sftp ...": more [bench:vars] lines.
#
# Needs root (it creates an unprivileged user, a sudoers drop-in and starts sshd
# daemons) and the packages of `bash .ci/setup test` (openssh-server,
# ansible-core, python3, sudo). It builds build/upkeep if needed. Every tool
# runs as the unprivileged user $BENCH_USER on the controller side.
#
# Hosts: host i is 127.93.<i/250>.<i%250+1>:2222 (loopback only); sshd daemons
# listen on up to 16 addresses each (OpenSSH's limit) once there are more than
# 100 hosts, else one daemon per host, each daemon with its own host key,
# sharing one filesystem: the playbook puts each host's files under
# $work/data/<inventory_hostname>, so no copy-on-write roots are needed. The
# rtt condition's delay proxy listens on 127.94.<i/250>.<i%250+1>:2222.
#
# For each condition, N and tool: the data dir is emptied, then a first run (10
# changes per host) and a second run (0 changes) are measured with
# bench/measure.py (wall, user+sys CPU of the process tree, peak RSS of the
# tree); sshd's logs give the exec channels each tool opened per host (under
# sudo, each one is a sudo authentication). The final state of the tools is
# compared (paths, modes, bytes).
# Prints a markdown table at the end; BENCH_RESULTS=FILE also writes it there,
# BENCH_KEEP_LOGS=DIR keeps the tools' output.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
conditions=${BENCH_CONDITIONS:-"user root rtt sudo big"}
declare -A hosts_of=(
  [user]=${BENCH_USER_HOSTS:-${BENCH_HOSTS:-"10 50"}}
  [root]=${BENCH_ROOT_HOSTS:-10}
  [rtt]=${BENCH_RTT_HOSTS:-5}
  [sudo]=${BENCH_SUDO_HOSTS:-10}
  [big]=${BENCH_BIG_HOSTS:-1000}
)
tools=${BENCH_TOOLS:-"upkeep ansible floor"}
big_tools=${BENCH_BIG_TOOLS:-"upkeep floor"}  # ansible at 1000 hosts would take most of an hour here
user=${BENCH_USER:-upkeep-bench}
become_pw=${BENCH_BECOME_PASSWORD:-bench-Sudo-pw-1}
rtt_ms=${BENCH_RTT_MS:-40}
port=${BENCH_PORT:-2222}
upkeep_bin=${UPKEEP_BIN:-$repo/build/upkeep}
addr() { echo "127.93.$(($1 / 250)).$(($1 % 250 + 1))"; }
proxy_addr() { echo "127.94.$(($1 / 250)).$(($1 % 250 + 1))"; }

[[ $(id -u) -eq 0 ]] || { echo "run as root (creates $user, starts sshd)" >&2; exit 1; }
for tool in sshd ssh ssh-keygen ansible-playbook python3 runuser sudo; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] || { echo "missing $tool: bash .ci/setup test" >&2; exit 1; }
done

if [[ -z ${UPKEEP_BIN:-} ]]; then
  echo "== building upkeep (build/, RelWithDebInfo)"
  cmake -S "$repo" -B "$repo/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$repo/build" -j2 --target upkeep >/dev/null
fi

max_n=0
for c in $conditions; do for n in ${hosts_of[$c]}; do ((n > max_n)) && max_n=$n; done; done
((max_n <= 2000)) || { echo "at most 2000 hosts" >&2; exit 1; }
per_daemon=$((max_n > 100 ? 16 : 1))

# ---- the unprivileged user (a real password: the sudo condition types it) ----
if ! id -u "$user" >/dev/null 2>&1; then
  useradd -m -s /bin/sh "$user"
fi
echo "$user:$become_pw" | chpasswd
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
  rm -f "/etc/sudoers.d/$user"
  # BENCH_KEEP_LOGS=DIR keeps every tool's output (why a host was unreachable).
  if [[ -n ${BENCH_KEEP_LOGS:-} ]]; then mkdir -p "$BENCH_KEEP_LOGS" && cp -r "$work/results/." "$BENCH_KEEP_LOGS/"; fi
  rm -rf "$work"
}
trap cleanup EXIT
printf 'Defaults:%s lecture=never\n%s ALL=(ALL) ALL\n' "$user" "$user" >"/etc/sudoers.d/$user"
chmod 440 "/etc/sudoers.d/$user"

mkdir -p /run/sshd "$work/authorized_keys" "$work/data" "$work/cp" "$work/results" "$work/ansible-tmp"
ssh-keygen -q -t ed25519 -N '' -C bench-client -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys/$user"
cp "$work/client_key.pub" "$work/authorized_keys/root"
chmod -R a+rX "$work/authorized_keys"
chown -R "$user" "$work/client_key" "$work/client_key.pub" "$work/data" "$work/cp" "$work/results" "$work/ansible-tmp"
# root's ~/.bashrc (pyenv) waits 60 s for a rehash lock that a killed login left behind.
rm -f /root/.pyenv/shims/.pyenv-shim

: >"$work/known_hosts"
daemons=$(((max_n + per_daemon - 1) / per_daemon))
echo "== starting $daemons sshd daemons for $max_n hosts ($per_daemon address(es) each) on 127.93.x.y:$port"
for ((k = 0; k < daemons; k++)); do
  ssh-keygen -q -t ed25519 -N '' -C "bench-daemon$k" -f "$work/host$k"
  {
    echo "Port $port"
    for ((i = k * per_daemon + 1; i <= max_n && i <= (k + 1) * per_daemon; i++)); do
      a=$(addr "$i")
      if (exec 3<>"/dev/tcp/$a/$port") 2>/dev/null; then echo "$a:$port is taken" >&2; exit 1; fi
      echo "ListenAddress $a"
      echo "[$a]:$port $(cut -d' ' -f1-2 "$work/host$k.pub")" >>"$work/known_hosts"
      echo "[$(proxy_addr "$i")]:$port $(cut -d' ' -f1-2 "$work/host$k.pub")" >>"$work/known_hosts"
    done
    cat <<EOF
HostKey $work/host$k
PidFile $work/sshd$k.pid
AuthorizedKeysFile $work/authorized_keys/%u
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
MaxStartups 400:30:800
MaxSessions 100
LogLevel VERBOSE
EOF
  } >"$work/sshd$k.conf"
  /usr/sbin/sshd -D -f "$work/sshd$k.conf" -E "$work/sshd$k.log" &
  pids+=($!)
done
for ((i = 1; i <= max_n; i++)); do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/$(addr "$i")/$port") 2>/dev/null && break; sleep 0.05; done
done
chmod 644 "$work/known_hosts"
# The WAN stand-in: one delay proxy process for every host of the rtt condition.
if [[ " $conditions " == *" rtt "* ]]; then
  rtt_max=0
  for n in ${hosts_of[rtt]}; do ((n > rtt_max)) && rtt_max=$n; done
  pargs=()
  for ((i = 1; i <= rtt_max; i++)); do pargs+=("$(proxy_addr "$i"):$port" "$(addr "$i"):$port"); done
  python3 "$here/delayproxy.py" "${pargs[@]:0:2}" $((rtt_ms / 2)) "${pargs[@]:2}" &
  pids+=($!)
  for ((i = 1; i <= rtt_max; i++)); do
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/$(proxy_addr "$i")/$port") 2>/dev/null && break; sleep 0.05; done
  done
fi

# ---- inventories, ansible.cfg, floor scripts ----
for c in $conditions; do
  for n in ${hosts_of[$c]}; do
    {
      echo "[bench]"
      for ((i = 1; i <= n; i++)); do
        if [[ $c == rtt ]]; then echo "h$i ansible_host=$(proxy_addr "$i")"; else echo "h$i ansible_host=$(addr "$i")"; fi
      done
      echo
      echo "[bench:vars]"
      echo "ansible_port=$port"
      case $c in root | rtt) echo "ansible_user=root" ;; *) echo "ansible_user=$user" ;; esac
      if [[ $c == sudo ]]; then
        echo "ansible_become=true"
        echo "ansible_become_password=$become_pw"
      fi
      echo "ansible_ssh_private_key_file=$work/client_key"
      echo "ansible_python_interpreter=/usr/bin/python3"
      echo "bench_data=$work/data"
      for v in ${BENCH_EXTRA_VARS:-}; do echo "$v"; done
    } >"$work/inventory-$c-$n.ini"
  done
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
# which would make the floor slower than it has to be. Under sudo, the password
# goes first on stdin (sudo -S reads exactly one line), then the script.
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
printf '%s\n' "$become_pw" >"$work/become_pw"
cat "$work/become_pw" "$work/floor.sh" >"$work/floor_sudo.sh"
cat >"$work/floor_all.sh" <<EOF
#!/bin/bash
# floor_all.sh CONDITION N
c=\$1 n=\$2
for ((i = 1; i <= n; i++)); do
  a=127.93.\$((i / 250)).\$((i % 250 + 1)) u=$user remote="sh -s $work/data/h\$i" in=$work/floor.sh
  case \$c in
    rtt) a=127.94.\$((i / 250)).\$((i % 250 + 1)) u=root ;;
    root) u=root ;;
    sudo) remote="sudo -S -p '' sh -s $work/data/h\$i" in=$work/floor_sudo.sh ;;
  esac
  ssh -F /dev/null -o BatchMode=yes -o KexAlgorithms=curve25519-sha256 -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$work/known_hosts \\
    -i $work/client_key -p $port \$u@\$a "\$remote" <\$in &
done
fail=0
for p in \$(jobs -p); do wait \$p || fail=1; done
exit \$fail
EOF
chmod 755 "$work/floor_all.sh" "$work/floor.sh" "$work/site.yml" "$work"/inventory*.ini "$work/ansible.cfg"
chown "$user" "$work/become_pw" "$work/floor_sudo.sh" && chmod 600 "$work/become_pw" "$work/floor_sudo.sh"

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
# Exec channels sshd started so far ("Starting session: command"), all daemons.
channels() { cat "$work"/sshd*.log 2>/dev/null | grep -c 'Starting session: command' || true; }
state_hash() {
  (cd "$work/data" && find . -mindepth 1 -printf '%p %y %m %s\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r cat) |
    sha256sum | cut -c1-12
}

load_before=$(cut -d" " -f1-3 /proc/loadavg)
rows=()
declare -A wall cpu rssmax hash
for c in $conditions; do
  ctools=$tools
  [[ $c == big ]] && ctools=$big_tools
  for n in ${hosts_of[$c]}; do
    for tool in $ctools; do
      rm -rf "${work:?}/data" && mkdir "$work/data" && chown "$user" "$work/data"
      for run in 1 2; do
        log=$work/results/$c-$tool-$n-$run.log
        json=$work/results/$c-$tool-$n-$run.json
        echo "== $c N=$n $tool run $run"
        ch0=$(channels)
        case $tool in
          upkeep)
            as_user "$json" "$upkeep_bin" play "$work/site.yml" -i "$work/inventory-$c-$n.ini" -f "$n" \
              --known-hosts "$work/known_hosts" --log-file "$work/results/$c-$tool-$n-$run.runlog" >"$log" 2>&1 || true ;;
          ansible)
            as_user "$json" ansible-playbook "$work/site.yml" -i "$work/inventory-$c-$n.ini" -f "$n" >"$log" 2>&1 || true ;;
          floor)
            as_user "$json" "$work/floor_all.sh" "$c" "$n" >"$log" 2>&1 || true ;;
        esac
        sleep 0.2  # sshd writes its log lines asynchronously
        chan=$(python3 -c 'import sys; print(f"{(int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]):.1f}")' "$ch0" "$(channels)" "$n")
        read -r rc w cp u s rss maxrss < <(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["rc"], d["wall_s"], d["cpu_s"], d["user_s"], d["sys_s"], d["peak_rss_mb"], d["max_proc_rss_mb"])' "$json")
        if [[ $tool == floor ]]; then chg=-; else chg=$(changed_total "$log"); fi
        bad=""
        if [[ $rc != 0 ]]; then
          bad=" rc=$rc"
          [[ $tool != floor ]] && bad+=" (unreachable $(unreachable_total "$log"), failed $(failed_total "$log"))"
          echo "   $tool failed: see below"; tail -20 "$log"
        fi
        wall[$c-$tool-$n-$run]=$w
        cpu[$c-$tool-$n-$run]=$cp
        rssmax[$c-$tool-$n-$run]=$maxrss
        # upkeep's run log: each host's last result after the run started (no host starved?).
        if [[ $tool == upkeep ]]; then
          python3 "$here/host_times.py" "$work/results/$c-$tool-$n-$run.runlog" | sed 's/^/   /'
        fi
        printf '   wall %s s, cpu %s s, peak RSS %s MB (largest process %s MB), changed %s, exec channels/host %s%s\n' \
          "$w" "$cp" "$rss" "$maxrss" "$chg" "$chan" "$bad"
        rows+=("| $c | $n | $tool | $run | $w | $cp ($u + $s) | $rss | $maxrss | $chan | $chg$bad |")
      done
      hash[$c-$tool-$n]=$(state_hash)
    done
  done
done
load_after=$(cut -d" " -f1-3 /proc/loadavg)

ratio() { python3 -c 'import sys; a,b=sys.argv[1],sys.argv[2]; print(f"{float(a)/float(b):.2f}" if a and b and float(b) else "-")' "${1:-}" "${2:-}"; }
declare -A cond_text=(
  [user]="unprivileged user, login shell /bin/sh, loopback"
  [root]="root login, bash sourcing ~/.bashrc (pyenv), loopback"
  [rtt]="root login, ${rtt_ms} ms round trip (bench/delayproxy.py)"
  [sudo]="unprivileged user, become through sudo with a password"
  [big]="unprivileged user, loopback, $per_daemon addresses per sshd"
)
{
  echo "### SSH fleet benchmark"
  echo
  echo "$(date -u +%Y-%m-%d) · $(nproc) cores · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ·" \
    "$(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo) · load average before: $load_before, after: $load_after ·" \
    "$("$upkeep_bin" --version 2>/dev/null | head -1) · $(ansible-playbook --version 2>/dev/null | head -1) · $(ssh -V 2>&1)"
  echo
  echo "10-task playbook (bench/site.yml, gather_facts: false), hosts = loopback sshd daemons sharing one filesystem" \
    "(per-host paths via \`{{ inventory_hostname }}\`), forks = N for every tool; ansible: pipelining, ControlPersist 60s" \
    "in a private ControlPath dir, strict host key checking against the generated known_hosts (as upkeep)." \
    "CPU = user + sys of the tool's process tree (ssh clients included; sshd servers and ansible's detached" \
    "ControlPersist masters not). Peak RSS = largest sum over the live process tree (sampled every 20 ms); max proc = largest single process." \
    "Channels = exec channels sshd started per host (under sudo each is one sudo authentication)."
  echo
  echo "| condition | N | tool | run | wall s | CPU s (user + sys) | peak RSS tree MB | max proc RSS MB | channels/host | changed |"
  echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "| condition | N | run | ansible ÷ upkeep (× faster) | upkeep ÷ floor | upkeep max RSS MB | same final state |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  for c in $conditions; do
    for n in ${hosts_of[$c]}; do
      same="upkeep ${hash[$c-upkeep-$n]:-}"
      [[ -n ${hash[$c-ansible-$n]:-} ]] && same+=" / ansible ${hash[$c-ansible-$n]}"
      [[ -n ${hash[$c-floor-$n]:-} ]] && same+=" / floor ${hash[$c-floor-$n]}"
      for run in 1 2; do
        echo "| $c: ${cond_text[$c]} | $n | $run | $(ratio "${wall[$c-ansible-$n-$run]:-}" "${wall[$c-upkeep-$n-$run]:-}") |" \
          "$(ratio "${wall[$c-upkeep-$n-$run]:-}" "${wall[$c-floor-$n-$run]:-}") | ${rssmax[$c-upkeep-$n-$run]:-} | $same |"
      done
    done
  done
} >"$work/table.md"
echo
cat "$work/table.md"
[[ -n ${BENCH_RESULTS:-} ]] && cp "$work/table.md" "$BENCH_RESULTS"
if [[ -n ${BENCH_KEEP_LOGS:-} ]]; then
  mkdir -p "$BENCH_KEEP_LOGS" && cp -r "$work/results/." "$BENCH_KEEP_LOGS/" && cp "$work"/sshd*.log "$BENCH_KEEP_LOGS/"
fi
