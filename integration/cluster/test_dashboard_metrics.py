"""The Grafana dashboard (packaging/grafana/tandem-dashboard.json, issue 13
item 4) queries only metrics that exist: every metric name in its PromQL
expressions is in /metrics of a running cluster's lb-proxy or ha-agent, and
every label it groups or filters by is on that metric's series. Two edges
and two backends in namespaces; the VIP serves a few requests first so the
histograms and transition counters have series.

Run as root from integration/:
    TANDEM_BUILD=../build PYTHONPATH=. python3 -m unittest -v cluster/test_dashboard_metrics.py
"""

from __future__ import annotations

import json
import os
import re
import unittest

from lib.cluster import AGENT_ADMIN, PROXY_ADMIN, cluster_or_skip
from lib.proxy import parse_metrics

DASHBOARD = os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "grafana", "tandem-dashboard.json")

METRIC = re.compile(r"\b(tandem_[a-z0-9_]+)\b")
# `by (a, b)` / `without (...)` groupings, and `label="..."`/`=~`/`!=` matchers inside braces.
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
SELECTOR = re.compile(r"(tandem_[a-z0-9_]+)\s*\{([^}]*)\}")
MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")
# Labels Prometheus adds at scrape time (packaging/grafana/prometheus.yml), not the processes.
SCRAPE_LABELS = {"node", "job"}


def dashboard_queries(dashboard: dict) -> list[str]:
    """Every PromQL expression of the dashboard: panel targets (rows nest
    panels) and query variables."""
    out = []

    def walk(panels):
        for p in panels:
            out.extend(t["expr"] for t in p.get("targets", []) if t.get("expr"))
            walk(p.get("panels", []))
    walk(dashboard.get("panels", []))
    for v in dashboard.get("templating", {}).get("list", []):
        q = v.get("query")
        if v.get("type") == "query":
            out.append(q["query"] if isinstance(q, dict) else q)
    return out


def label_uses(expr: str) -> list[tuple[str, set[str]]]:
    """(metric, labels the expression needs on it) for each metric in EXPR:
    its own matchers, plus the groupings of the whole expression (le only
    for histogram buckets)."""
    grouped = set()
    for g in GROUPING.findall(expr):
        grouped |= {l.strip() for l in g.split(",") if l.strip()}
    uses = []
    for name in set(METRIC.findall(expr)):
        needed = set(grouped)
        for sel_name, body in SELECTOR.findall(expr):
            if sel_name == name:
                needed |= set(MATCHER.findall(body))
        m = re.search(r"label_values\(\s*" + name + r"\s*,\s*([a-zA-Z_]+)\s*\)", expr)
        if m:
            needed.add(m.group(1))
        if not name.endswith("_bucket"):
            needed.discard("le")
        uses.append((name, needed - SCRAPE_LABELS))
    return uses


class DashboardQueries(unittest.TestCase):
    """The parsing above, on the file alone (no cluster)."""

    def test_the_dashboard_parses_and_covers_what_issue_13_asks(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        exprs = dashboard_queries(dash)
        self.assertGreater(len(exprs), 20)
        names = {n for e in exprs for n in METRIC.findall(e)}
        for wanted in ("tandem_requests_total", "tandem_responses_total", "tandem_request_duration_seconds_bucket",
                       "tandem_server_request_duration_seconds_bucket", "tandem_server_up", "tandem_ha_state",
                       "tandem_ha_transitions_total", "tandem_sync_lag_ms", "tandem_connections_active"):
            self.assertIn(wanted, names)
        self.assertTrue(any(e.startswith("histogram_quantile(") for e in exprs))

    def test_label_uses(self):
        uses = dict(label_uses('histogram_quantile(0.99, sum by (le, pool, server) '
                               '(rate(tandem_server_first_byte_seconds_bucket{node=~"$node"}[5m])))'))
        self.assertEqual(uses["tandem_server_first_byte_seconds_bucket"], {"le", "pool", "server"})
        uses = dict(label_uses('sum(rate(tandem_responses_total{node=~"$node", class="5xx"}[1m]))'))
        self.assertEqual(uses["tandem_responses_total"], {"class"})


class DashboardMetricsExist(unittest.TestCase):

    def setUp(self):
        self.c = cluster_or_skip(self, edges=2, backends=2)

    def scrape(self, node: str, admin: str) -> dict:
        status, _, body = self.c.topo.http_get(node, admin, "/metrics", timeout=3.0)
        self.assertEqual(status, 200, f"{node} {admin}/metrics")
        return parse_metrics(body.decode())

    def test_every_metric_the_dashboard_queries_is_exposed(self):
        self.c.start()
        self.c.wait_roles("edge1")
        for _ in range(5):
            self.c.vip_get_ok("/")
        series: dict[str, list[set[str]]] = {}
        for node in self.c.edges:
            for admin in (PROXY_ADMIN, AGENT_ADMIN):
                for (name, labels) in self.scrape(node, admin):
                    series.setdefault(name, []).append({k for k, _ in labels})
        with open(DASHBOARD) as f:
            exprs = dashboard_queries(json.load(f))
        missing, unlabelled = [], []
        for expr in exprs:
            for name, needed in label_uses(expr):
                if name not in series:
                    missing.append(name)
                elif not any(needed <= have for have in series[name]):
                    unlabelled.append(f"{name} lacks {sorted(needed - set().union(*series[name]))} in: {expr}")
        self.assertEqual(sorted(set(missing)), [], "metrics the dashboard queries but no process exposes")
        self.assertEqual(unlabelled, [], "labels the dashboard needs but the series lack")


if __name__ == "__main__":
    unittest.main()
