"""Debian's headless Chromium as a test client (issue 12: "Chromium, loading
a page over HTTPS/h2"): one page load, bounded in time, with its process
group killed by the group's id when done, a throw-away profile, a name
mapped to an address (no DNS), and the test's leaf certificate trusted by
its public key."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
from typing import Sequence

CHROMIUM = "/usr/bin/chromium"
LIMIT_S = 25

# Quiet and self-contained: no first-run UI, no updates, no sync, no
# background fetches beyond what the page asks for.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-default-browser-check", "--disable-dev-shm-usage"]


def spki_hash(cert_path: str) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)) of the PEM certificate at
    CERT_PATH: what --ignore-certificate-errors-spki-list trusts."""
    pem = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"], capture_output=True,
                         text=True, check=True, timeout=10).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem.encode(),
                         capture_output=True, check=True, timeout=10).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def load_page(url: str, *, name: str, address: str, cert_path: str, profile_dir: str,
              netlog: str | None = None, prefix: Sequence[str] = ()) -> tuple[int, str, str]:
    """(exit status, DOM, the tail of stderr) of headless Chromium loading URL,
    with NAME resolved to ADDRESS and CERT_PATH's key trusted; NETLOG, if
    given, receives Chromium's net log (what it negotiated, where it
    connected). PREFIX runs it elsewhere, e.g. `ip netns exec NS`."""
    argv = [*prefix, CHROMIUM, *FLAGS, f"--user-data-dir={profile_dir}",
            f"--host-resolver-rules=MAP {name} {address}",
            f"--ignore-certificate-errors-spki-list={spki_hash(cert_path)}"]
    if netlog:
        argv.append(f"--log-net-log={netlog}")
    argv += ["--dump-dom", url]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=LIMIT_S)
    except subprocess.TimeoutExpired:
        out, err = b"", b"(timed out)"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its renderer and helpers: the group it leads
        except ProcessLookupError:
            pass
        proc.wait()
    return proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")[-3000:]
