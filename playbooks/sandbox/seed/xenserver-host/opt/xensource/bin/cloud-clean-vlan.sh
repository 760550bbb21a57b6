#!/bin/sh
# sandbox stand-in: logs that it ran
echo "cloud-clean-vlan ran" >> "$UPKEEP_ROOT/var/lib/xe-sandbox/log"
