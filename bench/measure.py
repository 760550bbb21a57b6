#!/usr/bin/env python3
"""Runs one command and measures its whole process tree.

Usage: measure.py OUT.json -- COMMAND [ARGS...]

Writes {"rc", "wall_s", "cpu_s", "user_s", "sys_s", "peak_rss_mb", "max_proc_rss_mb"}:
- wall_s: elapsed time from fork to the last child's exit;
- cpu_s = user_s + sys_s: getrusage(RUSAGE_CHILDREN) of this wrapper, i.e. the
  CPU time of every descendant that was waited for (ansible's forks and ssh
  clients included, the sshd servers not: they belong to the hosts);
- peak_rss_mb: the largest sum of RSS over the live process tree, sampled every
  20 ms from /proc (a tree of 50 ansible workers counts 50 times);
- max_proc_rss_mb: ru_maxrss, the largest single process of the tree.
The command's stdout and stderr go to this wrapper's stdout and stderr.
"""
import json
import os
import resource
import subprocess
import sys
import time


def tree_rss_kb(root):
    """Sum of VmRSS over root and all its descendants (kB)."""
    children = {}
    rss = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rfind(")") + 2:].split()[1])
            with open(f"/proc/{name}/statm") as f:
                pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        pid = int(name)
        children.setdefault(ppid, []).append(pid)
        rss[pid] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, todo = 0, [root]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit(__doc__)
    out_path, cmd = sys.argv[1], sys.argv[3:]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_rss_kb(proc.pid))
        time.sleep(0.02)
    wall = time.monotonic() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {
        "rc": proc.returncode,
        "wall_s": round(wall, 3),
        "user_s": round(ru.ru_utime, 3),
        "sys_s": round(ru.ru_stime, 3),
        "cpu_s": round(ru.ru_utime + ru.ru_stime, 3),
        "peak_rss_mb": round(peak / 1024, 1),
        "max_proc_rss_mb": round(ru.ru_maxrss / 1024, 1),
    }
    with open(out_path, "w") as f:
        json.dump(result, f)
    sys.exit(0)


if __name__ == "__main__":
    main()
