"""The cluster file (config/proto/cluster.proto) in protobuf text format,
written from Python data: the one writer of every config the harness, the
demo and the benchmarks start a binary with.

    text = to_text({"name": "it", "pools": [pool("app", backends)],
                    "listeners": [listener("web", "HTTP", "app")]})

dict -> message, list -> repeated field, Enum("HTTP") -> a bare enum value,
str -> a quoted string, bool/int -> a literal; None values are left out.
"""


class Enum(str):
    """A protobuf enum value: written bare (HTTP), not quoted ("HTTP")."""


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _scalar(v):
    if isinstance(v, Enum):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return _quote(v)
    raise TypeError(f"cannot write {v!r} in text format")


def to_text(message, indent=0):
    """Writes a dict as protobuf text format.

    dict -> message, list -> repeated field, Enum -> bare enum value,
    str -> quoted string, bool/int -> literal. None values are skipped.
    """
    pad = "  " * indent
    out = []
    for key, value in message.items():
        if value is None:
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                out.append(f"{pad}{key} {{\n{to_text(item, indent + 1)}{pad}}}\n")
            else:
                out.append(f"{pad}{key}: {_scalar(item)}\n")
    return "".join(out)


# ---- config building blocks -------------------------------------------------


def listener(name, mode, pool_name, bind=None, **fields):
    """A Listener; FIELDS are any other Listener fields (timeouts={...}, ...)."""
    d = {"name": name, "bind": bind, "mode": Enum(mode), "pool": pool_name}
    d.update(fields)
    return d


def server(name, address, weight=None, state=None):
    """A pool's Server; STATE is an admin state name (READY, DRAIN...)."""
    return {"name": name, "address": address, "weight": weight,
            "state": Enum(state) if state else None}


def pool(name, backends, algorithm="ROUND_ROBIN", weights=None, health_check=None,
         passive_check=None, stickiness=None, **fields):
    """A Pool over BACKENDS (objects with .name and .address, or (name, address)).

    WEIGHTS maps server name to weight. HEALTH_CHECK, PASSIVE_CHECK and
    STICKINESS are dicts; a "kind" given as a plain string becomes an enum.
    """
    weights = weights or {}
    servers = []
    for b in backends:
        name_, addr = (b.name, b.address) if hasattr(b, "address") else b
        servers.append(server(name_, addr, weights.get(name_)))
    d = {"name": name, "algorithm": Enum(algorithm), "servers": servers,
         "health_check": _kinds(health_check), "passive_check": passive_check,
         "stickiness": _kinds(stickiness)}
    d.update(fields)
    return d


def _kinds(d):
    if d is None:
        return None
    d = dict(d)
    if isinstance(d.get("kind"), str) and not isinstance(d["kind"], Enum):
        d["kind"] = Enum(d["kind"])
    return d


def http_health(path="/health", interval_ms=200, timeout_ms=150, rise=2, fall=2, **extra):
    """An active HTTP health check, fast enough for tests."""
    return dict(kind=Enum("HTTP"), path=path, interval_ms=interval_ms, timeout_ms=timeout_ms,
                rise=rise, fall=fall, **extra)


def tcp_health(interval_ms=200, timeout_ms=150, rise=2, fall=2):
    """An active TCP (connect) health check, fast enough for tests."""
    return dict(kind=Enum("TCP"), interval_ms=interval_ms, timeout_ms=timeout_ms, rise=rise, fall=fall)
