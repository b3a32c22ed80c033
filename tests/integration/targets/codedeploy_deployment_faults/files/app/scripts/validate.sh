#!/bin/sh
grep -q "throttled release" /opt/rollout-faults/index.html
