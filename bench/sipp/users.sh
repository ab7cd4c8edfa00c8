#!/usr/bin/env bash
# bench/sipp/users.sh N [PREFIX] - writes a sipp injection file of N distinct users (PREFIX0000001 ...) to stdout.
set -euo pipefail
count=${1:?usage: users.sh N [PREFIX]}
prefix=${2:-user}
echo SEQUENTIAL
for ((i = 1; i <= count; i++)); do printf '%s%07d;\n' "$prefix" "$i"; done
