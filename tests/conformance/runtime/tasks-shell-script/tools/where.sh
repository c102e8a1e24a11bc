#!/bin/bash
echo "cwd=$(basename "$PWD") args=$*"
