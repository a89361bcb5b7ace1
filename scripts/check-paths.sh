#!/usr/bin/env bash
# Fails (exit 1, one "file:line: reason" per finding) when a tracked file names a path outside
# the repository, so that a fresh clone stands alone:
#   - an absolute path into a machine's own directories (work, home or Users under the root);
#   - a relative path with ".." components that climbs above the repository root, resolved
#     against the file's own directory, or against the crate directory when the path is built
#     on CARGO_MANIFEST_DIR (concat!(env!("CARGO_MANIFEST_DIR"), "/..."), format!("{}/...",
#     env!("CARGO_MANIFEST_DIR")), .join("...") after env!("CARGO_MANIFEST_DIR"), or the words
#     CARGO_MANIFEST_DIR/... in prose);
#   - such a climbing path that stays inside but lands on nothing tracked (nor git-ignored): it
#     was written for a directory beside the repository.
# Cargo.lock and binary files are skipped. Usage: scripts/check-paths.sh (from anywhere inside
# the repository).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
exec python3 - "$@" <<'PY'
import re
import subprocess
import sys

files = [f for f in subprocess.run(["git", "ls-files", "-z"], check=True,
                                   capture_output=True).stdout.decode().split("\0") if f]
tracked = set(files)
tracked_dirs = {""}
for f in files:
    parts = f.split("/")
    for i in range(1, len(parts)):
        tracked_dirs.add("/".join(parts[:i]))

# Crates: directories whose Cargo.toml has a [package] (the root one is only a workspace).
crates = []
for f in files:
    if f == "Cargo.toml" or f.endswith("/Cargo.toml"):
        with open(f, encoding="utf-8", errors="replace") as fh:
            if re.search(r"(?m)^\[package\]", fh.read()):
                crates.append(f[: -len("Cargo.toml")].rstrip("/"))


def parts_of(d):
    return [p for p in d.split("/") if p]


def crate_of(path):
    """The directory of the crate holding `path`, or None outside every crate."""
    best = None
    for c in crates:
        if c and (path + "/").startswith(c + "/") and (best is None or len(c) > len(best)):
            best = c
    return best


def resolve(base, comps):
    """Repository-relative components, or None when the walk climbs above the root."""
    out = list(base)
    for c in comps:
        if c in ("", "."):
            continue
        if c == "..":
            if not out:
                return None
            out.pop()
        else:
            out.append(c)
    return out


def lands_somewhere(comps):
    # Only the part before any placeholder ({name}, $VAR) can be checked.
    known = []
    for c in comps:
        if any(ch in c for ch in "{}$*"):
            break
        known.append(c)
    path = "/".join(known)
    if path in tracked or path in tracked_dirs:
        return True
    ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", path or "."],
                             capture_output=True)
    return ignored.returncode == 0


def check_candidates(bases, fallback_bases, comps):
    """None when the path stays inside and lands on something tracked or git-ignored, else the
    reason. It must stay inside from one of `bases`; where it lands may also be judged from
    `fallback_bases` (a path in a comment may mean the crate directory, the cwd of cargo test)."""
    inside = [r for r in (resolve(b, comps) for b in bases) if r is not None]
    if not inside:
        return "climbs above the repository root"
    others = [r for r in (resolve(b, comps) for b in fallback_bases) if r is not None]
    if any(lands_somewhere(r) for r in inside + others):
        return None
    return "resolves to '%s', which is not in the repository" % "/".join(inside[0])


ABSOLUTE = re.compile(r"(?<![\w.~:/-])/(?:work|home|Users)/")
TOKEN = re.compile(r"[\w.\-/~{}$]+")
MANIFEST = "CARGO_MANIFEST_DIR"
findings = []

for f in files:
    if f == "Cargo.lock" or f.endswith("/Cargo.lock"):
        continue
    with open(f, "rb") as fh:
        raw = fh.read()
    if b"\0" in raw[:8192]:
        continue
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        continue
    lines = text.split("\n")
    file_dir = parts_of(f.rsplit("/", 1)[0]) if "/" in f else []
    own_crate = crate_of(f)
    crate_bases = [parts_of(own_crate)] if own_crate is not None else [parts_of(c) for c in crates]
    for n, line in enumerate(lines, 1):
        if ABSOLUTE.search(line):
            findings.append((f, n, "absolute path outside the repository", line))
        for m in TOKEN.finditer(line):
            token = m.group(0)
            if "/" not in token:
                continue
            if token.endswith(".") and not token.endswith("/..") and token != "..":
                token = token.rstrip(".")
            shown = token
            comps = token.split("/")
            if ".." not in comps:
                continue
            before = line[m.start() - 1] if m.start() > 0 else ""
            if before == ":" or token.startswith("//"):
                continue  # a URL
            context = "\n".join(lines[max(0, n - 4): n + 3])
            first = comps[0]
            if first.lstrip("${").rstrip("}") == MANIFEST:
                bases, comps = crate_bases, comps[1:]
            elif first == "" or any(ch in first for ch in "{}$"):
                # "/.." or "{}/.." continues an expression: CARGO_MANIFEST_DIR when it is
                # nearby, $(dirname "$0") and the like (the file's own directory) otherwise.
                if MANIFEST in context:
                    bases = crate_bases
                elif first == "" or first == "{}":
                    bases = [file_dir]
                else:
                    continue  # some other variable: its value is unknown here
                comps = comps[1:]
            elif first == "~":
                continue
            elif MANIFEST in line and ".join(" in line:
                bases = crate_bases
            else:
                bases = [file_dir]
            reason = check_candidates(bases, [file_dir] + crate_bases, comps)
            if reason:
                findings.append((f, n, "'%s' %s" % (shown, reason), line))

for f, n, reason, line in findings:
    print("%s:%d: %s\n    %s" % (f, n, reason, line.strip()))
if findings:
    print("check-paths: %d reference(s) to paths outside the repository" % len(findings),
          file=sys.stderr)
    sys.exit(1)
PY
