#!/usr/bin/env bash
# Builds Vidyut (release) and runs the main job: `vidyut selfcheck`, which hosts a simulated
# IS 15959 meter on loopback and reads it with Vidyut's own DLMS client at every association.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release
exec ./build/release/src/cli/vidyut selfcheck "$@"
