"""A passive capture of one TCP direction inside a test namespace.

    with TcpCapture(topo, "client", dst=("198.18.0.11", 5799)) as cap:
        ... run something in "client" that talks to 198.18.0.11:5799 ...
    cap.streams()   # {source port: bytes sent}, in connection order

An AF_PACKET socket created in the namespace sees every frame its
interfaces send and receive (root only). Segments are put back in order by
sequence number, duplicates dropped; enough for the short request streams
the control-plane tests replay, not a general TCP reassembler.
"""

from __future__ import annotations

import socket
import struct
import threading

from lib.netns import socket_in_namespace

ETH_P_ALL = 0x0003


class TcpCapture:

    def __init__(self, topo, host: str, dst: tuple[str, int], max_bytes: int = 1 << 20) -> None:
        self.topo = topo
        self.host = host
        self.dst_ip = socket.inet_aton(dst[0])
        self.dst_port = dst[1]
        self.max_bytes = max_bytes
        self._segments: dict[int, dict[int, bytes]] = {}
        self._order: list[int] = []
        self._stop = threading.Event()
        self._sock = None
        self._thread = None
        self._total = 0

    def __enter__(self) -> "TcpCapture":
        self._sock = socket_in_namespace(self.topo.ns(self.host), socket.AF_PACKET, socket.SOCK_RAW,
                                         socket.htons(ETH_P_ALL))
        self._sock.settimeout(0.1)
        self._thread = threading.Thread(target=self._run, name="tcp-capture", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _run(self) -> None:
        while not self._stop.is_set() and self._total < self.max_bytes:
            try:
                frame = self._sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self._take(frame)

    def _take(self, frame: bytes) -> None:
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            return
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 6 or ip[16:20] != self.dst_ip:
            return
        total_len = struct.unpack("!H", ip[2:4])[0]
        tcp = ip[ihl:total_len]
        if len(tcp) < 20:
            return
        sport, dport, seq = struct.unpack("!HHI", tcp[:8])
        if dport != self.dst_port:
            return
        payload = tcp[(tcp[12] >> 4) * 4:]
        if sport not in self._segments:
            self._segments[sport] = {}
            self._order.append(sport)
        if payload and seq not in self._segments[sport]:
            self._segments[sport][seq] = payload
            self._total += len(payload)

    def streams(self) -> dict[int, bytes]:
        """Bytes sent per connection (by source port), connections in the order seen."""
        out = {}
        for sport in self._order:
            segs = self._segments[sport]
            out[sport] = b"".join(segs[s] for s in sorted(segs))
        return out
