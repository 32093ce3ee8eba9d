"""Where the built binaries (and the Python generated from the .proto files)
are: $TANDEM_BUILD, else <repo>/build. ctest sets TANDEM_BUILD to its build
directory; run by hand, export it (or build into <repo>/build).

    binary("proxy")          # <build>/lb/lb-proxy
    have_binary("lbctl")     # built and executable?
    require_binary("agent")  # its path, or AssertionError telling what to build
"""

from __future__ import annotations

import os

INTEGRATION_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(INTEGRATION_DIR)

# Kind -> path under the build directory (the CMake targets' output places).
BINARIES = {
    "proxy": "lb/lb-proxy",
    "agent": "ha/ha-agent",
    "lbctl": "ctl/lbctl",
    "sync-seed": "ha/tandem-sync-seed",
}


def build_dir() -> str:
    """Where the built binaries are: $TANDEM_BUILD, else <repo>/build."""
    return os.environ.get("TANDEM_BUILD") or os.path.join(REPO_DIR, "build")


def binary(kind: str) -> str:
    """Path of a binary by kind ("proxy", "agent", "lbctl", "sync-seed")."""
    return os.path.join(build_dir(), BINARIES[kind])


def have_binary(kind: str) -> bool:
    """The binary exists and is executable.

    Tests skip themselves when it is not, for a partial build by hand. Under
    ctest (TANDEM_REQUIRE_BINARIES=1) a missing binary is a failure instead:
    a skipped test counts as passed there, and a suite that ran against half
    a build must not say it passed.
    """
    return _present(binary(kind), "ctest runs against the whole build (TANDEM_REQUIRE_BINARIES=1): build it first")


def have_program(path: str) -> bool:
    """An outside program a test drives (chromium...) is installed at PATH.

    As have_binary: False lets a run by hand skip the test; under ctest
    (TANDEM_REQUIRE_BINARIES=1) a missing program is a failure, since
    scripts/install-deps.sh installs every one.
    """
    return _present(path, "ctest runs every test (TANDEM_REQUIRE_BINARIES=1): run scripts/install-deps.sh")


def _present(path: str, why_required: str) -> bool:
    """PATH is an executable file; when it is not, False, or under ctest
    (TANDEM_REQUIRE_BINARIES=1) an AssertionError naming WHY_REQUIRED."""
    if os.path.isfile(path) and os.access(path, os.X_OK):
        return True
    if os.environ.get("TANDEM_REQUIRE_BINARIES") == "1":
        raise AssertionError(f"{path} is missing, and {why_required}")
    return False


def require_binary(kind: str) -> str:
    """binary(kind), or AssertionError saying how to get it when it is not built."""
    path = binary(kind)
    if not have_binary(kind):
        raise AssertionError(f"{os.path.basename(path)} not found at {path}: build it, or set TANDEM_BUILD")
    return path
