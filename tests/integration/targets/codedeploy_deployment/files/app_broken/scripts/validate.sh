#!/bin/sh
echo "checking the site"
echo "marker-7f3: /opt/rollout-test/health missing" >&2
exit 3
