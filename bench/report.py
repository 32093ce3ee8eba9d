#!/usr/bin/python3
"""Writes bench/RESULTS.md and the PNG plots from one run's raw figures.

    bench/report.py --raw DIR --out bench/RESULTS.md --plots bench/plots [--quick]

DIR holds what bench/run.sh collected: proxy-w1.json, proxy-w2.json,
proxy-c1000.json, proxy-syscalls.json (bench/proxy_bench.py --json), mem.json, mem-tcp.json and
mem-tls.json (bench/mem_bench.py), tls.json (bench/tls_bench.py), failover.json (bench/failover_bench.py), machine.json
and load.txt. Any other proxy*.json or mem*.json there (an extra run by hand)
is rendered too, in a section of its own. A missing file is reported as a
missing section, not an error. Plots need gnuplot.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

PROXIES = ("tandem", "haproxy", "nginx")
SCENARIOS = ("keepalive", "close", "large", "tcp")
PCTS = ("50", "75", "90", "95", "99", "99.5", "99.9", "99.99")


def load(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=0):
    return "–" if v is None else f"{v:,.{digits}f}"


def mmm(values, digits=0):
    """median (min–max)"""
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    return f"{fmt(statistics.median(values), digits)} ({fmt(min(values), digits)}–{fmt(max(values), digits)})"


def ratio(a, b):
    return None if a is None or not b else a / b


def paired(runs_a, runs_b, key="rps"):
    """Ratios of run i of a to run i of b (interleaved, so close in time)."""
    return [ra[key] / rb[key] for ra, rb in zip(runs_a, runs_b) if rb.get(key)]


# ---- proxy -------------------------------------------------------------------------


def proxies_of(data) -> list[str]:
    """The proxies a run measured, in its order (older files: the three)."""
    names = data.get("proxies")
    if names:
        return list(names)
    first = next(iter(data["results"].values()), {})
    return [n for n in PROXIES if n in first] + [n for n in first if n not in PROXIES]


def has_key(data, key) -> bool:
    return any(r.get(key) is not None for by in data["results"].values() for runs in by.values() for r in runs)


def proxy_table(data) -> list[str]:
    """req/s with spread, latency (p50, p99, p99.9, the slowest request),
    errors, and where the run recorded them the proxy's CPU per request
    (user plus kernel, every thread), its system calls per request and the
    backend connects per request; ratios to HAProxy and nginx, paired by round."""
    res = data["results"]
    names = proxies_of(data)
    peers = [p for p in ("haproxy", "nginx") if p in names]
    extra = [(k, label, digits) for k, label, digits in
             (("cpu_us_per_req", "CPU µs/req median (min–max)", 1), ("syscalls_per_req", "syscalls/req", 2),
              ("upstream_connects_per_req", "backend connects/req", 3)) if has_key(data, k)]
    head = (["scenario", "proxy", "req/s median (min–max)", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors"]
            + [label for _, label, _ in extra]
            + [f"vs {'HAProxy' if p == 'haproxy' else p} (paired min–max)" for p in peers])
    out = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    for sc in SCENARIOS:
        if sc not in res:
            continue
        by = res[sc]
        rps_med = {n: med(r["rps"] for r in by[n]) for n in names if n in by}
        for n in names:
            runs = by.get(n)
            if not runs:
                continue
            errs = sum(r["errors"] + r["non2xx"] for r in runs)
            cells = [sc, f"**{n}**" if n.startswith("tandem") else n, mmm([r["rps"] for r in runs])]
            for k in ("p50", "p99", "p99.9"):
                cells.append(fmt(med(r.get(k) for r in runs), 2))
            cells.append(fmt(max(((r.get("pct") or {}).get("100") or 0) for r in runs), 1))
            cells.append(str(errs))
            for k, _, digits in extra:
                values = [r.get(k) for r in runs]
                cells.append(mmm(values, digits) if k == "cpu_us_per_req" else fmt(med(values), digits))
            for peer in peers:
                if n == peer:
                    cells.append("1")
                else:
                    pr = paired(runs, by[peer])
                    cells.append(f"{fmt(ratio(rps_med[n], rps_med[peer]), 2)} "
                                 f"({fmt(min(pr), 2)}–{fmt(max(pr), 2)})" if pr else "–")
            out.append("| " + " | ".join(cells) + " |")
    return out


def cpu_ratio_lines(data) -> list[str]:
    """Tandem's CPU per request against HAProxy's, per scenario, paired by round."""
    if not has_key(data, "cpu_us_per_req") or "haproxy" not in proxies_of(data):
        return []
    out = []
    for sc in SCENARIOS:
        by = data["results"].get(sc)
        if not by or "tandem" not in by:
            continue
        pr = paired(by["tandem"], by["haproxy"], "cpu_us_per_req")
        t, h = med(r.get("cpu_us_per_req") for r in by["tandem"]), med(r.get("cpu_us_per_req") for r in by["haproxy"])
        if pr and t and h:
            out.append(f"- {sc}: Tandem's CPU per request ×{t / h:.2f} HAProxy's "
                       f"({t:.1f} vs {h:.1f} µs; per round {min(pr):.2f}–{max(pr):.2f})")
    return out


def pct_median(runs, p):
    return med((r.get("pct") or {}).get(p) for r in runs)


def plot_latency(data, png: str, title: str) -> bool:
    """Latency by percentile (median over runs), one panel per scenario."""
    if not shutil.which("gnuplot"):
        return False
    res = data["results"]
    base = png[:-4]
    scen = [s for s in SCENARIOS if s in res]
    script = [f"set terminal pngcairo size 1400,900 font 'sans,10'", f"set output '{png}'",
              f"set multiplot layout 2,2 title '{title}'",
              "set logscale x", "set xlabel 'percentile'", "set ylabel 'latency (ms)'",
              "set grid", "set key top left",
              "set xtics ('50' 2, '90' 10, '99' 100, '99.9' 1000, '99.99' 10000)",
              "set xrange [1.8:12000]"]
    names = proxies_of(data)
    for sc in scen:
        plots = []
        for n in names:
            path = f"{base}-{sc}-{n}.dat"
            with open(path, "w") as f:
                for p in PCTS:
                    v = pct_median(res[sc][n], p)
                    if v is not None:
                        f.write(f"{1 / (1 - float(p) / 100):.4f} {v:.4f}\n")
            plots.append(f"'{path}' using 1:2 with linespoints title '{n}'")
        script.append(f"set title '{sc}'")
        script.append("plot " + ", ".join(plots))
    script.append("unset multiplot")
    ok = subprocess.run(["gnuplot"], input="\n".join(script), text=True, capture_output=True)
    for sc in scen:
        for n in names:
            try:
                os.remove(f"{base}-{sc}-{n}.dat")
            except OSError:
                pass
    if ok.returncode != 0:
        print("gnuplot:", ok.stderr[-2000:], file=sys.stderr)
    return ok.returncode == 0


def extra_files(raw: str, prefix: str, known: tuple[str, ...]) -> list[str]:
    """PREFIX*.json files in RAW other than KNOWN: runs made by hand."""
    try:
        names = sorted(os.listdir(raw))
    except OSError:
        return []
    return [n for n in names if n.startswith(prefix) and n.endswith(".json") and n not in known]


def data_get(data, key, default):
    return data.get(key, default) if data else default


def memory_section(mem) -> list[str]:
    mode = mem.get("mode")
    what = ("L4 (TCP mode) client connections, each after one request and response, so each also holds "
            "a backend connection" if mode == "tcp" else
            "TLS client connections (ECDSA P-256, TLS 1.3), each completed a handshake, sent one keep-alive "
            "request, read its response and then idled" if mode == "tls" else
            "client connections (HTTP), each sent one keep-alive request, read its response and then idled")
    out = [f"{mem['count']:,} {what} (`bench/idle_clients.py`, 1 worker). VmRSS of the proxy "
           "(with its children: nginx's worker) once all were open, minus its VmRSS after one warm-up "
           f"request; {mem['runs']} runs per proxy, interleaved.", "",
           "| proxy | KiB per connection median (min–max) | baseline RSS KiB | RSS with connections KiB "
           "| connections open | vs HAProxy |", "|---|---:|---:|---:|---:|---:|"]
    res = mem["results"]
    hm = med(x["kib_per_conn"] for x in res["haproxy"]) if "haproxy" in res else None
    for n in [p for p in PROXIES if p in res] + [p for p in res if p not in PROXIES]:
        rs = res[n]
        v = med(x["kib_per_conn"] for x in rs)
        out.append(f"| {'**' + n + '**' if n.startswith('tandem') else n} | {mmm([x['kib_per_conn'] for x in rs], 2)} | "
                   f"{fmt(med(x['base_kb'] for x in rs))} | {fmt(med(x['loaded_kb'] for x in rs))} | "
                   f"{fmt(med(x['ok'] for x in rs))} | {fmt(ratio(v, hm), 2)} |")
    return out + [""]


# ---- TLS ---------------------------------------------------------------------------

TLS_SCENARIOS = (("hs-ecdsa", "new TLS 1.3 handshakes, ECDSA P-256"), ("hs-rsa", "new TLS 1.3 handshakes, RSA 2048"),
                 ("hs12-ecdsa", "new TLS 1.2 handshakes, ECDSA P-256"), ("keepalive", "TLS keep-alive requests"))


def tls_table(data) -> list[str]:
    """Per scenario and proxy: rate with spread, the proxy's CPU per
    handshake or request with spread, how busy its CPU was, wrk's latency;
    CPU and rate against HAProxy, paired by round."""
    res = data["results"]
    names = proxies_of(data)
    head = ["scenario", "proxy", "per s median (min–max)", "CPU µs each median (min–max)", "proxy CPU busy",
            "p50 ms", "p99 ms", "p99.9 ms", "errors", "CPU vs HAProxy (paired min–max)",
            "rate vs HAProxy (paired min–max)"]
    out = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 2)]
    for sc, label in TLS_SCENARIOS:
        by = res.get(sc)
        if not by:
            continue
        for n in names:
            runs = by.get(n)
            if not runs:
                continue
            cells = [label, f"**{n}**" if n.startswith("tandem") else n, mmm([r["rps"] for r in runs]),
                     mmm([r.get("cpu_us_per_req") for r in runs], 1),
                     f"{fmt(100 * (med(r.get('proxy_busy') for r in runs) or 0))}%"]
            for k in ("p50", "p99", "p99.9"):
                cells.append(fmt(med(r.get(k) for r in runs), 2))
            cells.append(str(sum(r.get("errors", 0) + r.get("non2xx", 0) for r in runs)))
            for key in ("cpu_us_per_req", "rps"):
                if n == "haproxy" or "haproxy" not in by:
                    cells.append("1" if n == "haproxy" else "–")
                    continue
                pr = paired(runs, by["haproxy"], key)
                a, b = med(r.get(key) for r in runs), med(r.get(key) for r in by["haproxy"])
                cells.append(f"{fmt(ratio(a, b), 2)} ({fmt(min(pr), 2)}–{fmt(max(pr), 2)})" if pr else "–")
            out.append("| " + " | ".join(cells) + " |")
    return out


# ---- failover ----------------------------------------------------------------------


def median_round(rounds):
    s = sorted(rounds, key=lambda r: (r["outage_ms"], r["switch_ms"] or 1e9))
    return s[len(s) // 2]


def plot_timeline(fo, png: str) -> bool:
    """Probe attempts around the fault (median round of each scenario):
    y = the node that answered (1..3), 0 = failed attempt."""
    if not shutil.which("gnuplot"):
        return False
    systems = [s for s in ("tandem", "keepalived") if s in fo["systems"]]
    scen = [s for s in ("kill9", "linkdown", "graceful")
            if all(s in fo["systems"][k]["scenarios"] for k in systems)]
    if not systems or not scen:
        return False
    base = png[:-4]
    script = ["set terminal pngcairo size 1400,1000 font 'sans,10'", f"set output '{png}'",
              f"set multiplot layout {len(scen)},{len(systems)} title "
              f"'Probe to the VIP every 5 ms around the fault at t=0 (median round): "
              f"which edge answered, 0 = failed attempt'",
              "set xrange [-150:1200]", "set yrange [-0.5:3.5]",
              "set ytics ('fail' 0, 'edge1' 1, 'edge2' 2, 'edge3' 3)",
              "set xlabel 'ms from the fault'", "set grid", "unset key"]
    files = []
    for sc in scen:
        for k in systems:
            r = median_round(fo["systems"][k]["scenarios"][sc])
            path = f"{base}-{k}-{sc}.dat"
            files.append(path)
            with open(path, "w") as f:
                for t, code in r["attempts"]:
                    f.write(f"{t} {code}\n")
            script.append(f"set title '{k}: {sc} (outage {r['outage_ms']:.0f} ms, "
                          f"edge2 from {fmt(r['switch_ms'])} ms)'")
            script.append(f"plot '{path}' using 1:($2==0?0:1/0) with points pt 7 ps 0.5 lc rgb 'red', "
                          f"'' using 1:($2>0?$2:1/0) with points pt 7 ps 0.5 lc rgb 'dark-green'")
    script.append("unset multiplot")
    ok = subprocess.run(["gnuplot"], input="\n".join(script), text=True, capture_output=True)
    for p in files:
        try:
            os.remove(p)
        except OSError:
            pass
    if ok.returncode != 0:
        print("gnuplot:", ok.stderr[-2000:], file=sys.stderr)
    return ok.returncode == 0


def failover_table(fo) -> list[str]:
    out = ["| scenario | VIP moved by | client outage ms median (min–max) | edge2 serves after ms "
           "median (min–max) | failed probes (median) | rounds | outage vs keepalived |",
           "|---|---|---:|---:|---:|---:|---:|"]
    syss = fo["systems"]
    for sc in ("kill9", "linkdown", "graceful"):
        for k in ("tandem", "keepalived"):
            rounds = syss.get(k, {}).get("scenarios", {}).get(sc)
            if not rounds:
                continue
            o = [r["outage_ms"] for r in rounds]
            rel = "1"
            if k == "tandem" and sc in syss.get("keepalived", {}).get("scenarios", {}):
                ko = med(r["outage_ms"] for r in syss["keepalived"]["scenarios"][sc])
                to = med(o)
                rel = (f"{to / ko:.2f}" if ko else ("equal (both 0)" if to == 0 else "keepalived 0"))
                rel += f" ({to - ko:+.0f} ms)"
            out.append(f"| {sc} | {'**tandem** (ha-agent)' if k == 'tandem' else 'keepalived'} | {mmm(o)} | "
                       f"{mmm([r['switch_ms'] for r in rounds])} | {fmt(med(r['failures'] for r in rounds))} "
                       f"| {len(rounds)} | {rel} |")
    return out


# ---- the document -------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plots", required=True)
    args = ap.parse_args()
    raw = args.raw
    os.makedirs(args.plots, exist_ok=True)
    machine = load(os.path.join(raw, "machine.json")) or {}
    w1 = load(os.path.join(raw, "proxy-w1.json"))
    w2 = load(os.path.join(raw, "proxy-w2.json"))
    c1000 = load(os.path.join(raw, "proxy-c1000.json"))
    syscalls = load(os.path.join(raw, "proxy-syscalls.json"))
    mem = load(os.path.join(raw, "mem.json"))
    mem_tcp = load(os.path.join(raw, "mem-tcp.json"))
    mem_tls = load(os.path.join(raw, "mem-tls.json"))
    tls = load(os.path.join(raw, "tls.json"))
    fo = load(os.path.join(raw, "failover.json"))
    try:
        with open(os.path.join(raw, "load.txt")) as f:
            loadlog = f.read().strip()
    except OSError:
        loadlog = "(not recorded)"
    rel_plots = os.path.relpath(args.plots, os.path.dirname(os.path.abspath(args.out)))

    L = ["# Tandem benchmark results", "",
         "Written by `bench/report.py` from one run of `sudo bench/run.sh"
         + (" --quick" if machine.get("quick") else "") + "`; do not edit by hand "
         "(re-run, or edit `bench/report.py`).", ""]
    L += ["## Machine and versions", "",
          "| | |", "|---|---|"]
    for k in ("date", "cpu", "cores", "kernel", "tandem", "build", "haproxy", "nginx", "keepalived",
              "wrk", "gnuplot", "mode"):
        if k in machine:
            L.append(f"| {k} | {machine[k]} |")
    L += ["", "**Noise.** A shared 2-CPU KVM guest: other engineers compiled and ran namespace "
          "integration tests during this run, so absolute figures wander from run to run. Read the "
          "ratios (all peers measured in the same run, runs interleaved proxy by proxy so drift "
          "spreads over all of them) and the min–max spread, not the absolute numbers. Load average "
          "(1/5/15 min) at each phase:", "", "```", loadlog, "```", ""]

    # targets
    L += ["## Targets", ""]
    tgt = []
    if w1:
        for sc, label in (("keepalive", "HTTP keep-alive"), ("tcp", "TCP mode")):
            r = w1["results"].get(sc)
            if not r:
                continue
            t_rps, h_rps = med(x["rps"] for x in r["tandem"]), med(x["rps"] for x in r["haproxy"])
            t99, h99 = med(x["p99"] for x in r["tandem"]), med(x["p99"] for x in r["haproxy"])
            ok = t_rps >= h_rps and t99 <= h99
            pr = paired(r["tandem"], r["haproxy"])
            straddle = pr and min(pr) < 1 < max(pr)
            verdict = "met" if ok else "**missed**"
            if straddle:
                verdict += " (within noise: per-round ratios straddle 1)"
            tgt.append(f"| proxy req/s at 1 worker ≥ HAProxy, p99 no worse — {label} | "
                       f"{verdict} | Tandem {t_rps:,.0f} req/s vs HAProxy "
                       f"{h_rps:,.0f} (×{t_rps / h_rps:.2f}, per-round {min(pr):.2f}–{max(pr):.2f}); "
                       f"p99 {t99:.2f} ms vs {h99:.2f} ms |")
    if c1000:
        for sc, label in (("keepalive", "HTTP keep-alive"), ("tcp", "TCP mode")):
            r = c1000["results"].get(sc)
            if not r or "haproxy" not in r:
                continue
            t99, h99 = med(x["p99"] for x in r["tandem"]), med(x["p99"] for x in r["haproxy"])
            t_rps, h_rps = med(x["rps"] for x in r["tandem"]), med(x["rps"] for x in r["haproxy"])
            tmax = max((x.get("pct") or {}).get("100") or 0 for x in r["tandem"])
            hmax = max((x.get("pct") or {}).get("100") or 0 for x in r["haproxy"])
            tgt.append(f"| p99 at 1000 connections ≤ HAProxy's — {label} | {'met' if t99 <= h99 else '**missed**'} "
                       f"| p99 {t99:.1f} ms vs {h99:.1f} ms, slowest {tmax:.0f} vs {hmax:.0f} ms; "
                       f"req/s {t_rps:,.0f} vs {h_rps:,.0f} (×{t_rps / h_rps:.2f}) |")
    for data, where in ((w1, "wrk -c50, 1 worker"), (c1000, "wrk -c1000, 1 worker")):
        if not data or not has_key(data, "cpu_us_per_req"):
            continue
        for sc, label, bound in (("keepalive", "HTTP keep-alive", 0.8), ("tcp", "TCP mode", 1.0)):
            r = data["results"].get(sc)
            if not r or "haproxy" not in r:
                continue
            t = med(x.get("cpu_us_per_req") for x in r["tandem"])
            h = med(x.get("cpu_us_per_req") for x in r["haproxy"])
            if not t or not h:
                continue
            pr = paired(r["tandem"], r["haproxy"], "cpu_us_per_req")
            tgt.append(f"| CPU per request ≤ {bound:g}× HAProxy's — {label}, {where} | "
                       f"{'met' if t <= bound * h else '**missed**'} | {t:.1f} µs vs {h:.1f} µs "
                       f"(×{t / h:.2f}, per round {min(pr):.2f}–{max(pr):.2f}) |")
    if tls:
        for sc, label in TLS_SCENARIOS:
            r = tls["results"].get(sc)
            if not r or "haproxy" not in r or "tandem" not in r:
                continue
            t = med(x.get("cpu_us_per_req") for x in r["tandem"])
            h = med(x.get("cpu_us_per_req") for x in r["haproxy"])
            pr = paired(r["tandem"], r["haproxy"], "cpu_us_per_req")
            if t and h and pr:
                tgt.append(f"| CPU per handshake/request ≤ HAProxy's — {label} | {'met' if t <= h else '**missed**'}"
                           f"{' (within noise: per-round ratios straddle 1)' if min(pr) < 1 < max(pr) else ''} "
                           f"| {t:.1f} µs vs {h:.1f} µs (×{t / h:.2f}, per round {min(pr):.2f}–{max(pr):.2f}) |")
    for data, label in ((mem, "memory per idle keep-alive connection ≤ HAProxy's"),
                        (mem_tcp, "memory per TCP-mode connection ≤ HAProxy's"),
                        (mem_tls, "memory per idle TLS connection ≤ HAProxy's")):
        if not data:
            continue
        m = {n: med(x["kib_per_conn"] for x in data["results"][n]) for n in PROXIES if n in data["results"]}
        ok = m["tandem"] <= m["haproxy"]
        tgt.append(f"| {label} | {'met' if ok else '**missed**'} "
                   f"| Tandem {m['tandem']:.2f} KiB vs HAProxy {m['haproxy']:.2f} KiB "
                   f"(×{m['tandem'] / m['haproxy']:.1f}); nginx {fmt(m.get('nginx'), 2)} KiB |")
    if fo and "tandem" in fo["systems"] and "keepalived" in fo["systems"]:
        for sc in ("kill9", "linkdown", "graceful"):
            t = fo["systems"]["tandem"]["scenarios"].get(sc)
            k = fo["systems"]["keepalived"]["scenarios"].get(sc)
            if not t or not k:
                continue
            to, ko = med(r["outage_ms"] for r in t), med(r["outage_ms"] for r in k)
            ts, ks = med(r["switch_ms"] for r in t), med(r["switch_ms"] for r in k)
            ok = to <= ko
            by_phase = ""
            if all(r.get("phase_ms") is not None for r in t + k) and len(t) == len(k):
                # Cuts at the same phases after an advert: compare round by round.
                diffs = [a["outage_ms"] - b["outage_ms"] for a, b in zip(t, k)]
                by_phase = ("; per cut phase, Tandem − keepalived: "
                          + ", ".join(f"{d:+.0f}" for d in diffs) + " ms")
            tgt.append(f"| failover outage ≤ keepalived's — {sc} | {'met' if ok else '**missed**'} | "
                       f"median outage Tandem {to:.0f} ms vs keepalived {ko:.0f} ms "
                       f"(max {max(r['outage_ms'] for r in t):.0f} vs {max(r['outage_ms'] for r in k):.0f}); "
                       f"edge2 serving after {fmt(ts)} vs {fmt(ks)} ms{by_phase} |")
    if tgt:
        L += ["| target | status | figure reached (medians of this run) |", "|---|---|---|"] + tgt
    else:
        L.append("No figures: the run produced none (see the log).")
    L.append("")

    # proxy: the three phases run.sh writes, then any other proxy*.json in DIR
    sections = [(w1, "1 worker, pinned", "latency-w1.png"), (w2, "2 workers, unpinned", "latency-w2.png"),
                (c1000, "1000 connections, 1 worker, pinned", "latency-c1000.png"),
                (syscalls, "system calls per request, 1 worker, pinned", "latency-syscalls.png")]
    for name in extra_files(raw, "proxy", ("proxy-w1.json", "proxy-w2.json", "proxy-c1000.json",
                                           "proxy-syscalls.json")):
        sections.append((load(os.path.join(raw, name)), f"{name[:-5]} (extra run)", f"latency-{name[:-5]}.png"))
    for data, label, png_name in sections:
        L += [f"## Proxy: {label}", ""]
        if not data:
            L += ["Not measured in this run (the phase failed or was skipped; see run.log).", ""]
            continue
        pin = ("proxy on CPU 0 (taskset), wrk and the nginx backend on CPU 1"
               if data["pinned"] else "no pinning: proxy, wrk and backend share both CPUs "
               "(the backend nginx runs 2 workers too)")
        L += [f"{data['workers']} worker thread(s) for every proxy (lb-proxy `workers`, HAProxy "
              f"`nbthread`, nginx `worker_processes`); {pin}. wrk {data['wrk_threads']} thread(s), "
              f"{data['connections']} connections, {data['duration_s']} s per run after a 1 s warm-up, "
              f"{data['runs']} runs per proxy, interleaved. Latency percentiles: median over the runs "
              "(p99.9 from wrk's Lua `done()` hook). Ratios: of the medians; in brackets the range of "
              "the per-round ratios (run i of one proxy against run i of the other).", ""]
        if has_key(data, "cpu_us_per_req"):
            L += ["CPU per request: the proxy's time on a CPU (user plus kernel, every thread and child, "
                  "from /proc/PID/task/*/schedstat) over the measured run, divided by the requests wrk "
                  "completed. Backend connects per request: the kernel's TCP ActiveOpens during the run "
                  "less wrk's own connections (system-wide, so an upper bound)."
                  + (" System calls per request: `perf stat -e raw_syscalls:sys_enter -p PID` over the "
                     "run." if data.get("syscalls") else ""), ""]
        L += proxy_table(data) + [""]
        cpu = cpu_ratio_lines(data)
        if cpu:
            L += cpu + [""]
        png = os.path.join(args.plots, png_name)
        if plot_latency(data, png, f"Latency by percentile, {label} (median of {data['runs']} runs)"):
            L += [f"![latency distribution, {label}]({rel_plots}/{os.path.basename(png)})", ""]

    # TLS termination
    L += ["## TLS termination: handshakes and keep-alive", ""]
    if tls:
        L += ["`bench/tls_bench.py`: one worker per proxy pinned to CPU 0, clients and the nginx backend on "
              "CPU 1; the same certificate files, TLS_AES_128_GCM_SHA256 (TLS 1.2: ECDHE-*-AES128-GCM-SHA256), "
              "groups X25519:P-256:P-384, no access log, keep-alive to the backend. Handshakes: "
              f"{data_get(tls, 'handshake_clients', 8)} `openssl s_time -new -www /` at once (a full handshake "
              "every connection, one HTTP/1.0 request); keep-alive: wrk over https, "
              f"{tls.get('clients')} connections. {tls.get('duration_s')} s per run, {tls.get('runs')} runs "
              "per proxy, interleaved. *CPU µs each*: the proxy's CPU time (schedstat, user plus kernel) "
              "per handshake or request. *Busy*: the share of its CPU the proxy used; below 100% the "
              "client was the limit, so the rate says little and CPU per handshake is the figure.", ""]
        L += tls_table(tls) + [""]
    else:
        L += ["Not measured in this run.", ""]

    # memory: HTTP, TCP and TLS, then any other mem*.json
    mem_sections = [(mem, "Memory: idle keep-alive client connections"),
                    (mem_tcp, "Memory: idle TCP-mode connections"),
                    (mem_tls, "Memory: idle TLS connections")]
    for name in extra_files(raw, "mem", ("mem.json", "mem-tcp.json", "mem-tls.json")):
        mem_sections.append((load(os.path.join(raw, name)), f"Memory: {name[:-5]} (extra run)"))
    for data, title in mem_sections:
        L += [f"## {title}", ""]
        L += memory_section(data) if data else ["Not measured in this run.", ""]

    # failover
    L += ["## Failover: Tandem's ha-agent vs keepalived", ""]
    if fo:
        L += [f"The same namespace topology for both (integration/lib: edge1..3 with priorities "
              f"200/150/100 and preemption, three backends, a client; VIP 198.18.0.100/24 on one bridge), "
              f"lb-proxy on every edge in both, the same advert interval ({fo['advert_interval_ms']} ms: "
              "Tandem `advert_interval_ms: 100`, keepalived VRRPv3 `advert_int 0.1`). Only the VIP mover "
              "differs. The probe in the client namespace opens a new TCP connection and sends a GET to "
              "the VIP every 5 ms (200 ms timeout); *outage* is its longest run of failed attempts, "
              "*edge2 serves after* is the time from the fault to the first answer from edge2. "
              f"{fo['rounds']} rounds per scenario, each from a settled cluster with edge1 master.", "",
              "- **kill9**: SIGKILL to edge1's VRRP daemon only (Tandem: ha-agent; keepalived: parent "
              "and VRRP child at once, by process group). In both cases the VIP stays behind on edge1 and "
              "edge1's lb-proxy keeps answering until edge2's gratuitous ARP moves the client, so the "
              "client sees (almost) no failed attempt: compare *edge2 serves after*, which is the "
              "detection time (Master_Down_Interval).",
              "- **linkdown**: edge1's bridge port goes down: the client must wait for a backup to "
              "notice the silence and claim the VIP.",
              "- **graceful**: SIGTERM to the daemon; both resign with a priority-0 advert and remove "
              "the VIP.", ""]
        L += failover_table(fo) + [""]
        png = os.path.join(args.plots, "failover-timeline.png")
        if plot_timeline(fo, png):
            L += ["![failover timeline](" + rel_plots + "/failover-timeline.png)", ""]
        sync = fo["systems"].get("tandem", {}).get("sync")
        L += ["### Stick-table sync lag (Tandem)", ""]
        if sync:
            e2e = sync.get("e2e_ms") or []
            ag = (sync.get("agents") or {}).get("edge1", {}).get("sync") or {}
            if e2e:
                s = sorted(e2e)
                L.append(f"- End to end, {len(e2e)} new source clients one after another (pool `web` "
                         "with SOURCE_IP stickiness): from the client's response to its entry in "
                         "edge2's proxy table (admin `/stick`, polled every 2 ms): "
                         f"median {statistics.median(s):.1f} ms, min {s[0]:.1f}, max {s[-1]:.1f} ms "
                         "(sync `flush_interval_ms: 50`).")
            if ag:
                L.append(f"- The agents' own figure (`ha-agent --status --json` → `sync`, edge1: queued "
                         f"on the agent → peer's ack): p50 {float(ag.get('lag_p50_ms', 0)):.1f} ms, "
                         f"p99 {float(ag.get('lag_p99_ms', 0)):.1f} ms over {ag.get('lag_samples')} samples.")
            if not e2e and not ag:
                L.append("- `ha-agent --status --json` has no sync figures in this build: pending.")
        else:
            L.append("Not measured (the Tandem failover phase did not finish).")
        L.append("")
    else:
        L += ["Not measured in this run.", ""]

    L += ["## Notes", "",
          "- **kill9 leaves the VIP behind** with both daemons (nobody removes it when the daemon "
          "dies); edge1 and edge2 then both hold it until the restarted daemon on edge1 cleans up "
          "(ha-agent removes its leftover at start; for keepalived the bench removes it by hand "
          "before restarting, and also deletes the stale pid files keepalived would otherwise "
          "take for a running daemon). keepalived is killed by process group: killing the parent "
          "alone could leave the VRRP child running (or let it resign gracefully), which is not a crash.",
          "- **Outage window.** Only attempts from the last one before the fault count; each round "
          "starts once the last 40 attempts (200 ms) were all answered by edge1.",
          "- **2-worker runs** are unpinned: with 2 CPUs there is no core left for wrk and the "
          "backend, so everything shares both CPUs; wrk runs 2 threads.",
          "- **Fairness.** Same worker count, keep-alive to the backend (HAProxy `http-reuse always`, "
          "nginx `keepalive 256`, lb-proxy's pool), no access logs; lb-proxy's forwarded headers "
          "off (the peers add none by default). HAProxy `maxconn 9900` (its FD budget under the "
          "20,000 hard limit), nginx `worker_connections 30000`, lb-proxy `max_connections 9900` (as HAProxy).",
          ""]
    notes = os.path.join(raw, "notes.md")
    if os.path.exists(notes):
        with open(notes) as f:
            L += [f.read().rstrip(), ""]
    with open(args.out, "w") as f:
        f.write("\n".join(L))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
