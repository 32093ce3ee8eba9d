"""Run a program with some system calls refused, as a container's seccomp
profile does (Docker's, Podman's and containerd's defaults refuse io_uring).

    subprocess.run(argv, preexec_fn=refuse_syscalls_in_child([IO_URING_SETUP]))

The filter (classic BPF, installed with prctl in the child between fork and
exec) answers each listed call with EPERM and allows every other; it binds
only the child and what it starts. x86_64 and aarch64.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

# io_uring_setup(2): the same number on every architecture (the unified table).
IO_URING_SETUP = 425

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS = 0x20   # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15      # BPF_JMP | BPF_JEQ | BPF_K
_RET_K = 0x06      # BPF_RET | BPF_K


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]


def supported() -> bool:
    """Whether this machine's architecture is one the filter knows."""
    return platform.machine() in _AUDIT_ARCH


def _program(numbers: list[int]) -> bytes:
    def op(code: int, jt: int, jf: int, k: int) -> bytes:
        return struct.pack("HBBI", code, jt, jf, k)

    arch = _AUDIT_ARCH[platform.machine()]
    prog = [op(_LD_W_ABS, 0, 0, 4),                          # seccomp_data.arch
            op(_JEQ_K, 1, 0, arch),
            op(_RET_K, 0, 0, _RET_ALLOW),                    # another ABI: not ours to judge
            op(_LD_W_ABS, 0, 0, 0)]                          # seccomp_data.nr
    for i, nr in enumerate(numbers):
        left = len(numbers) - i - 1
        prog.append(op(_JEQ_K, left + 1, 0, nr))             # to the RET_ERRNO after the list
    prog.append(op(_RET_K, 0, 0, _RET_ALLOW))
    prog.append(op(_RET_K, 0, 0, _RET_ERRNO | errno.EPERM))
    return b"".join(prog)


def refuse_syscalls_in_child(numbers: list[int]):
    """A preexec_fn for subprocess: the child's NUMBERS fail with EPERM."""
    code = _program(numbers)

    def install() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        buf = ctypes.create_string_buffer(code, len(code))
        prog = _SockFprog(len(code) // 8, ctypes.cast(buf, ctypes.c_char_p))
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")

    return install


def main(argv: list[str]) -> int:
    """`python3 -m lib.seccomp -- PROGRAM ARGS...`: runs PROGRAM with
    io_uring_setup refused (a launcher for lib.proxy.Proxy)."""
    import os
    import sys
    if not argv or argv[0] != "--" or len(argv) < 2:
        sys.stderr.write("usage: python3 -m lib.seccomp -- PROGRAM [ARGS...]\n")
        return 2
    refuse_syscalls_in_child([IO_URING_SETUP])()
    os.execv(argv[1], argv[1:])
    return 127


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
