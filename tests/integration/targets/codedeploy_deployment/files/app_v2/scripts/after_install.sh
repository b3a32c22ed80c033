#!/bin/sh
echo "warming up"
sleep 40
