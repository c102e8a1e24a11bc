#!/bin/bash
echo "hello $1 from $(basename "$PWD")"
