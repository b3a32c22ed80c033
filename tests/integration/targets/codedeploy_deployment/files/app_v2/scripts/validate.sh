#!/bin/sh
grep -q "release v2" /opt/rollout-test/index.html
