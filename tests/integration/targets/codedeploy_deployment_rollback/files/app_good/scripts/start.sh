#!/bin/sh
# Serve the installed page.
mkdir -p /var/www/html
cp /opt/rollback-test/index.html /var/www/html/index.html
systemctl restart httpd
