#!/bin/sh
# Builds one libFuzzer target with clang (ASan + libFuzzer) and runs it briefly.
# Usage: run_fuzzer.sh <source-dir> <build-dir> <name> [runs|build]
# ("build" only compiles). Crash inputs land in <build-dir>/fuzz/.
set -eu
src=$1; out=$2; name=$3; runs=${4:-20000}
mkdir -p "$out/fuzz"
bin="$out/fuzz/${name}_fuzz"
common="$src/engine/util/error.cpp $src/engine/util/strings.cpp $src/engine/value/value.cpp"
libs=""
case "$name" in
  xml_edit)
    srcs="$src/tests/fuzz/${name}_fuzz.cpp $src/modules/formats/xml_edit.cpp $src/modules/formats/xml_ops.cpp
      $src/modules/formats/xml_source.cpp $common"
    libs="-lpugixml"; seeds="$src/tests/fixtures/xml" ;;
  *)
    srcs="$src/tests/fuzz/${name}_fuzz.cpp $src/modules/formats/text_pos.cpp $src/modules/formats/properties_doc.cpp
      $src/modules/formats/ini_doc.cpp $src/modules/formats/apt_sources.cpp $common"
    seeds="$src/tests/fixtures/config" ;;
esac
newest=$(ls -t $srcs "$bin" 2>/dev/null | head -n1)
if [ ! -x "$bin" ] || [ "$newest" != "$bin" ]; then
  clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I"$src" $srcs $libs -o "$bin"
fi
[ "$runs" = build ] && exit 0
corpus="$out/fuzz/${name}_corpus"
mkdir -p "$corpus"
cp -r "$seeds"/. "$corpus"/ 2>/dev/null || true
exec "$bin" -runs="$runs" -max_total_time=60 -max_len=4096 -artifact_prefix="$out/fuzz/" "$corpus"
