"""The binaries' wire formats, for tests that forge, replay or read them:
adverts (common/proto/advert.proto) and sync frames (common/proto/sync.proto).

The codecs are the Python that protoc generates from those files at build
time into <build>/gen/python (the tandem_python_protos target of
integration/CMakeLists.txt), run by Debian's python3-protobuf: one schema,
no second implementation of the format here.

    datagram = encode_signed(encode_advert_body(node="edge3", state="MASTER", ...), key)
    decode_advert(datagram)["state"]        # "MASTER"
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys

from lib.binaries import build_dir

_STATE_PREFIX = "ADVERT_STATE_"


def _codecs():
    """The generated modules (advert_pb2, sync_pb2), imported on first use so
    that a script may set $TANDEM_BUILD after importing this module."""
    generated = os.path.join(build_dir(), "gen", "python")
    if generated not in sys.path:
        sys.path.insert(0, generated)
    try:
        from common.proto import advert_pb2, sync_pb2
    except ImportError as e:
        raise ImportError(f"the Python wire codecs are missing ({e}): build them (cmake --build "
                          f"{build_dir()} --target tandem_python_protos, into {generated}) and "
                          "install python3-protobuf (scripts/install-deps.sh)") from e
    return advert_pb2, sync_pb2


# ---- adverts ------------------------------------------------------------------------


def encode_advert_body(**fields) -> bytes:
    """A serialized tandem.wire.Advert: fields by name, state by its short
    name ("MASTER"); None values are left out."""
    advert_pb2, _ = _codecs()
    fields = {k: v for k, v in fields.items() if v is not None}
    if isinstance(fields.get("state"), str):
        fields["state"] = advert_pb2.AdvertState.Value(_STATE_PREFIX + fields["state"])
    return advert_pb2.Advert(**fields).SerializeToString()


def encode_signed(body: bytes, key: bytes | None) -> bytes:
    """A serialized SignedAdvert{body, hmac=HMAC-SHA256(key, body)}; no hmac
    field when key is None."""
    advert_pb2, _ = _codecs()
    signed = advert_pb2.SignedAdvert(body=body)
    if key is not None:
        signed.hmac = hmac.new(key, body, hashlib.sha256).digest()
    return signed.SerializeToString()


def decode_advert(datagram: bytes) -> dict:
    """The Advert inside a SignedAdvert datagram: the fields it carries by
    name (state by its short name), priority always present; raises
    ValueError when it does not parse."""
    from google.protobuf.message import DecodeError
    advert_pb2, _ = _codecs()
    try:
        body = advert_pb2.Advert.FromString(advert_pb2.SignedAdvert.FromString(datagram).body)
    except DecodeError as e:
        raise ValueError(f"not an advert: {e}") from None
    out = {field.name: value for field, value in body.ListFields()}
    if "state" in out:
        out["state"] = advert_pb2.AdvertState.Name(out["state"]).removeprefix(_STATE_PREFIX)
    out.setdefault("priority", 0)
    return out


# ---- sync ------------------------------------------------------------------------------


def sync_frame(hello: bytes, mac: bytes) -> bytes:
    """A SyncFrame{hello, mac} as it goes on the sync connection: with its
    4-byte big-endian length prefix (common/framing)."""
    _, sync_pb2 = _codecs()
    frame = sync_pb2.SyncFrame(hello=hello, mac=mac).SerializeToString()
    return len(frame).to_bytes(4, "big") + frame
