#!/bin/sh
grep -q "release v1" /opt/rollout-test/index.html
