#!/bin/sh
# examples/arduino/copy_runtime.sh: copy the device runtime (deploy/) into the sketch's src/
# folder, where the Arduino IDE compiles it with the sketch.
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dst="$here/kiloml_demo/src"
mkdir -p "$dst/kiloml"
cp "$root"/deploy/include/kiloml/*.h "$dst/kiloml/"
cp "$root"/deploy/src/*.c "$root"/deploy/src/*.h "$dst/"
echo "copied the runtime into $dst (now export your model to $dst/model.h with --name KML_MODEL)"
