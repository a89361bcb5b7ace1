#!/usr/bin/env bash
# Release builds for the size and cold-start figures in BENCHMARKS.md.
#
#   bench/coldstart-build.sh arm64 3      # arm64 zips (what Lambda runs), opt-level 3
#   bench/coldstart-build.sh arm64 s      # ... opt-level "s" (also: z)
#   bench/coldstart-build.sh x86_64 3     # host binaries for the cold-start bench
#
# Each (arch, opt-level) pair gets its own target directory under $BENCH_TARGET_ROOT (default
# target/bench) so that switching opt-level does not throw away the other builds. The
# opt-level is overridden with CARGO_PROFILE_RELEASE_OPT_LEVEL; everything else comes from the
# root Cargo.toml's [profile.release] (fat LTO, one codegen unit, stripped).
# Needs cargo-lambda and zig for arm64 (`pip install cargo-lambda ziglang`) and the Rust target
# (`rustup target add aarch64-unknown-linux-gnu`).
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?arch: arm64 or x86_64}
opt=${2:?opt-level: 3, s or z}
root=${BENCH_TARGET_ROOT:-target/bench}
bins=${BINS:-"crc webhook watchdog dispatch signin"}
args=()
for b in $bins; do
  # Build only the functions this checkout has.
  if grep -rqs "name = \"$b\"" functions/*/Cargo.toml; then args+=(--bin "$b"); fi
done
export CARGO_TARGET_DIR="$root/$arch-o$opt"
export CARGO_PROFILE_RELEASE_OPT_LEVEL="$opt"
case "$arch" in
  arm64) cargo lambda build --release --arm64 --output-format zip "${args[@]}" ;;
  x86_64) cargo build --release "${args[@]}" ;;
  *) echo "unknown arch $arch" >&2; exit 2 ;;
esac
