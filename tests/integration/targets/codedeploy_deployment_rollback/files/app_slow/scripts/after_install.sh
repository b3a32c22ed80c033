#!/bin/sh
# Long enough for the test to stop the deployment while it runs.
sleep 4
