#!/bin/sh
echo "<html><body>release v1</body></html>" > /var/www/html/index.html
