#!/usr/bin/python3
"""Checks the include rules of docs/architecture.md ("Rules that keep it so").

1. Top folders: common includes only common; config only common and config;
   lb, ha and ctl only common, config and themselves (so lb and ha never
   include each other, and lbctl shares only the wire contract).
2. Pure folders decide and do no I/O: they include no Boost.Asio (except
   boost/asio/ip/address*, a value type) and nothing from a process's runtime.
3. A process root (lb/*.h|cpp at the top of lb/, ha/agent/) is included by
   nothing inside a concept folder: concepts do not reach up into the process
   that wires them, except the entry points (lb/main.cpp, ha/main.cpp).

Usage: scripts/check_layering.py [SOURCE_ROOT]. Prints every broken rule as
file:line: message, exits 1 if there is one.
"""
import pathlib
import re
import sys

TOPS = {
    "common": {"common"},
    "config": {"common", "config"},
    "lb": {"common", "config", "lb"},
    "ha": {"common", "config", "ha"},
    "ctl": {"common", "config", "ctl"},
}
# Folders (and their subfolders) that hold only decisions.
PURE = ["lb/balance", "lb/limits", "lb/health", "lb/http", "lb/h2", "lb/proxy_protocol", "lb/route", "lb/discovery", "ha/failover",
        "common/stick", "config/server_set"]
RUNTIME = ["lb/runtime/", "ha/agent/"]
ENTRY_POINTS = {"lb/main.cpp", "ha/main.cpp"}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def process_root(header: str) -> bool:
    parts = header.split("/")
    return (len(parts) == 2 and parts[0] == "lb") or header.startswith("ha/agent/")


def check(root: pathlib.Path) -> list[str]:
    problems = []
    for top in TOPS:
        for path in sorted((root / top).rglob("*")):
            if path.suffix not in (".h", ".cpp") or "/fuzz/" in str(path):
                continue
            rel = path.relative_to(root).as_posix()
            pure = any(rel.startswith(p + "/") for p in PURE)
            in_concept = not process_root(rel) and rel not in ENTRY_POINTS
            for number, line in enumerate(path.read_text().splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                bracket, target = m.groups()
                where = f"{rel}:{number}"
                if bracket == "<":
                    if pure and target.startswith("boost/asio") and not target.startswith("boost/asio/ip/address"):
                        problems.append(f"{where}: pure folder includes <{target}> (move the I/O to a shell)")
                    continue
                first = target.split("/")[0]
                if first in TOPS and first not in TOPS[top]:
                    problems.append(f"{where}: {top}/ may not include {target} ({first}/ is outside its layer)")
                if pure and any(target.startswith(r) for r in RUNTIME):
                    problems.append(f"{where}: pure folder includes the runtime header {target}")
                if in_concept and first in TOPS and process_root(target):
                    problems.append(f"{where}: includes the process root {target} (pass what it needs in instead)")
    return problems


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} include rule(s) broken; see docs/architecture.md", file=sys.stderr)
        return 1
    print("include layering holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
