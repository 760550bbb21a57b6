#!/usr/bin/env python3
"""Per-host finishing times from an upkeep run log (--log-file): for each host,
the time of its last task result after run_start. Prints the fastest, median and
slowest host, so a starved host shows as a slowest time far from the median."""
import sys
from datetime import datetime


def stamp(line):
    return datetime.strptime(line.split(" ", 1)[0].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")


def main(path):
    start, last = None, {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if " event=run_start" in line:
                start, last = stamp(line), {}
            elif start and " host=" in line and " event=result" in line:
                host = line.split(" host=", 1)[1].split(" ", 1)[0]
                last[host] = (stamp(line) - start).total_seconds()
    if not last:
        print("host times: none in the run log")
        return
    times = sorted(last.values())
    slowest = max(last, key=last.get)
    print(f"host finish times: fastest {times[0]:.2f} s, median {times[len(times) // 2]:.2f} s, "
          f"slowest {times[-1]:.2f} s ({slowest}), {len(times)} hosts")


if __name__ == "__main__":
    main(sys.argv[1])
