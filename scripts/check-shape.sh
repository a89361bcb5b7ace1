#!/usr/bin/env bash
# Checks the shape targets of ARCHITECTURE.md ("Shape") on the tracked Rust files and prints the
# figures. Fails (exit 1, one line per finding) when:
#   - a Rust source file (tests and benches included) is over 600 lines;
#   - a Lambda function's main.rs (functions/*/src/main.rs) has 40 lines or more;
#   - production code reads the process environment (std::env::var, var_os, vars, dotenvy) outside
#     the one configuration module, shared/src/config/. Test code (tests/, */tests/, bench/,
#     benches/) may set up its own environment, and handing PATH on to a child process is not
#     configuration.
# Usage: scripts/check-shape.sh [--quiet]
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
exec python3 - "$@" <<'PY'
import re
import statistics
import subprocess
import sys

MAX_LINES = 600
MAX_MAIN = 40
CONFIG_HOME = "shared/src/config/"
TEST_PARTS = ("tests/", "/tests/", "bench/", "/benches/")
ENV_READ = re.compile(r"\b(env::var(_os)?\s*\(|env::vars\s*\(|dotenvy::)")

files = [f for f in subprocess.run(["git", "ls-files", "-z", "*.rs"], check=True,
                                   capture_output=True).stdout.decode().split("\0") if f]
sizes = {}
problems = []
for f in files:
    with open(f, encoding="utf-8") as fh:
        text = fh.read()
    sizes[f] = text.count("\n")
    if sizes[f] > MAX_LINES:
        problems.append(f"{f}: {sizes[f]} lines (the limit is {MAX_LINES})")
    if re.fullmatch(r"functions/[^/]+/src/main\.rs", f) and sizes[f] >= MAX_MAIN:
        problems.append(f"{f}: {sizes[f]} lines (a function's main.rs only wires: under {MAX_MAIN})")
    is_test = f.startswith(TEST_PARTS) or any(p in f for p in TEST_PARTS[1:])
    if not is_test and not f.startswith(CONFIG_HOME):
        in_test_mod = False
        for n, line in enumerate(text.splitlines(), 1):
            if re.match(r"\s*#\[cfg\(test\)\]", line):
                in_test_mod = True  # the rest of the file is its test module
            if in_test_mod or line.lstrip().startswith("//") or 'var_os("PATH")' in line:
                continue
            if ENV_READ.search(line):
                problems.append(f"{f}:{n}: reads the environment outside {CONFIG_HOME}")

values = sorted(sizes.values())
if "--quiet" not in sys.argv:
    mains = {f: n for f, n in sizes.items() if re.fullmatch(r"functions/[^/]+/src/main\.rs", f)}
    print(f"Rust files: {len(values)}, lines: {sum(values)}")
    print(f"median file: {statistics.median(values):.0f} lines; largest: {values[-1]} lines")
    print(f"files over 300 lines: {sum(v > 300 for v in values)}; over {MAX_LINES}: {sum(v > MAX_LINES for v in values)}")
    print("function mains: " + ", ".join(f"{f.split('/')[1]} {n}" for f, n in sorted(mains.items())))
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
