"""Reading captured frames: parse_ipv4() for one Ethernet/IPv4 frame (as
tcpdump writes them and AF_PACKET sockets read them), and a passive capture
of one TCP direction inside a test namespace.

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
from dataclasses import dataclass

from lib.netns import socket_in_namespace

ETH_P_ALL = 0x0003
TCP, UDP = 6, 17


@dataclass(frozen=True)
class Ipv4Packet:
    """The IPv4 packet in an Ethernet frame. For TCP and UDP, the ports and
    the transport payload (seq: TCP's sequence number); for any other
    protocol, ports 0 and the IP payload."""
    protocol: int
    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes
    seq: int = 0


def parse_ipv4(frame: bytes) -> Ipv4Packet | None:
    """The IPv4 packet of an Ethernet frame; None for anything else (ARP,
    IPv6) or a frame too short for its headers."""
    if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    ip = ip[:struct.unpack("!H", ip[2:4])[0]]     # without the Ethernet padding
    if len(ip) < ihl:
        return None
    protocol, src, dst = ip[9], socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    body = bytes(ip[ihl:])
    if protocol == UDP and len(body) >= 8:
        sport, dport, length = struct.unpack("!HHH", body[:6])
        return Ipv4Packet(protocol, src, dst, sport, dport, body[8:length])
    if protocol == TCP and len(body) >= 20:
        sport, dport, seq = struct.unpack("!HHI", body[:8])
        return Ipv4Packet(protocol, src, dst, sport, dport, body[(body[12] >> 4) * 4:], seq)
    if protocol in (TCP, UDP):
        return None
    return Ipv4Packet(protocol, src, dst, 0, 0, body)


class TcpCapture:

    def __init__(self, topo, host: str, dst: tuple[str, int], max_bytes: int = 1 << 20) -> None:
        self.topo = topo
        self.host = host
        self.dst = (dst[0], int(dst[1]))
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
        packet = parse_ipv4(frame)
        if packet is None or packet.protocol != TCP or (packet.dst, packet.dport) != self.dst:
            return
        sport, seq, payload = packet.sport, packet.seq, packet.payload
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
