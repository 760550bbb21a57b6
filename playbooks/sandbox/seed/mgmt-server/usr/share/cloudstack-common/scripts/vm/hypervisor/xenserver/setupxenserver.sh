#!/bin/sh
# setupxenserver.sh of CloudStack 4.2 (sandbox copy)
