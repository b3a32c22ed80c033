#!/bin/bash
echo "warming up"
sleep 8
