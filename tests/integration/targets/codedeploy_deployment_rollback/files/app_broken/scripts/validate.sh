#!/bin/sh
echo "checking the site"
echo "marker-rb9: /health answered 500" >&2
exit 4
