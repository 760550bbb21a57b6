#!/bin/sh
# sandbox stand-in: logs that it ran
echo "cloud-prepare-upgrade ran" >> "$UPKEEP_ROOT/var/lib/xe-sandbox/log"
