#!/bin/sh
grep -q "release v1" /var/www/html/index.html
