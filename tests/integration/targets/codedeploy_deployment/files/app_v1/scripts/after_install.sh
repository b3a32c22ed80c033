#!/bin/bash
echo "installed"
