// The status page served at GET / by ha/control/status_page.h. Self-contained:
// inline CSS and JS, no external assets; it polls cluster.json every second
// and renders the same view as `lbctl status`. Read-only: no forms, no POST.
#include "ha/control/status_page.h"

namespace tandem::ha {

const char* const kStatusPageHtml = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem cluster</title>
<style>
  :root { --bg:#0f1419; --panel:#18202a; --text:#e6e6e6; --dim:#8b98a5; --ok:#3fb950; --warn:#d29922;
          --bad:#f85149; --master:#58a6ff; --line:#2d3743; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:16px; padding:14px 24px; background:var(--panel); border-bottom:1px solid var(--line); }
  h1 { margin:0; font-size:20px; font-weight:600; }
  h2 { font-size:15px; margin:22px 0 8px; color:var(--dim); font-weight:600; text-transform:uppercase; letter-spacing:.05em; }
  main { padding:8px 24px 24px; }
  .badge { padding:3px 10px; border-radius:12px; font-weight:700; font-size:13px; }
  .healthy { background:var(--ok); color:#04260f; }
  .degraded { background:var(--warn); color:#2b1d00; }
  .unreachable { background:var(--bad); color:#fff; }
  #updated { margin-left:auto; color:var(--dim); font-size:13px; }
  #updated.stale { color:var(--bad); font-weight:700; }
  #warnings div { margin-top:12px; padding:12px 16px; border-radius:6px; background:#3d1114; border:2px solid var(--bad);
                  color:#ffd7d5; font-weight:700; font-size:16px; }
  #warnings div.split { font-size:20px; animation: blink 1s steps(2) infinite; }
  @keyframes blink { 50% { border-color: #fff; } }
  table { width:100%; border-collapse:collapse; background:var(--panel); border-radius:6px; overflow:hidden; }
  th, td { padding:7px 10px; text-align:left; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--dim); font-weight:600; font-size:12px; text-transform:uppercase; }
  td.num { text-align:right; font-variant-numeric: tabular-nums; }
  .MASTER { color:var(--master); font-weight:700; }
  .BACKUP { color:var(--text); }
  .FAULT, .down, .unreach { color:var(--bad); font-weight:700; }
  .INIT { color:var(--warn); }
  .ok { color:var(--ok); }
  .draining, .noadmin { color:var(--warn); }
  .dim { color:var(--dim); }
  tr.unreachable-row td { color:var(--bad); }
  td.changed { background:#5a4a00; transition: background 2s; }
  ul#events { list-style:none; padding:0; margin:0; background:var(--panel); border-radius:6px; }
  ul#events li { padding:6px 12px; border-bottom:1px solid var(--line); font-family: ui-monospace, monospace; font-size:13px; }
  footer { padding:0 24px 16px; color:var(--dim); font-size:12px; }
</style>
</head>
<body>
<header>
  <h1 id="title">Tandem cluster</h1>
  <span id="health" class="badge">loading</span>
  <span id="updated">loading...</span>
</header>
<main>
  <div id="warnings"></div>
  <h2>Nodes</h2>
  <table>
    <thead><tr><th>Node</th><th>Role</th><th>Priority (base/eff)</th><th>VIPs held</th><th>Proxy</th>
      <th>Conns</th><th>Req/s</th><th>Servers up</th><th>Stick</th><th>Sync lag</th><th>Last advert</th><th>RTT</th></tr></thead>
    <tbody id="nodes"></tbody>
  </table>
  <h2>Instances</h2>
  <table>
    <thead><tr><th>Instance</th><th>Master</th><th>VIPs</th><th>Held by</th><th>Nodes</th></tr></thead>
    <tbody id="instances"></tbody>
  </table>
  <h2>Latest transitions <span class="dim">(newest first)</span></h2>
  <ul id="events"></ul>
</main>
<footer>Read-only view served by ha-agent; the same data as <code>lbctl status --json</code> (GET cluster.json). Refreshes every second.</footer>
<script>
"use strict";
let previous = {};
let changedUntil = {};
function esc(s) { return String(s).replace(/[&<>"']/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;","'":"&#39;"}[c])); }
function dash(v) { return v === null || v === undefined || v === "" ? "-" : v; }
function ago(ms) { if (ms === null || ms === undefined || ms < 0) return "never"; return ms < 10000 ? ms + " ms" : Math.round(ms / 1000) + " s"; }
function time(ms) { const d = new Date(ms); return d.toLocaleTimeString([], {hour12:false}) + "." + String(d.getMilliseconds()).padStart(3, "0"); }
function cell(key, html, cls, now) {
  const changed = previous[key] !== undefined && previous[key] !== html;
  previous[key] = html;
  if (changed) changedUntil[key] = now + 5000;
  const hl = (changedUntil[key] || 0) > now ? " changed" : "";
  return `<td class="${cls || ""}${hl}">${html}</td>`;
}
function render(v) {
  const now = Date.now();
  document.getElementById("title").textContent = "Tandem cluster " + (v.cluster || "");
  const h = document.getElementById("health");
  h.textContent = v.health.toUpperCase(); h.className = "badge " + v.health;
  document.getElementById("warnings").innerHTML = (v.warnings || []).map(w =>
    `<div class="${w.startsWith("SPLIT BRAIN") ? "split" : ""}">&#9888; ${esc(w)}</div>`).join("");
  const rows = [];
  for (const n of v.nodes) {
    const k = n.node;
    if (!n.reachable) {
      rows.push(`<tr class="unreachable-row"><td>${esc(k)}</td>` + cell(k + "/role", "unreachable", "unreach", now) +
        `<td colspan="10">${esc(n.error)}</td></tr>`);
      continue;
    }
    const roles = n.instances.map(i => `<span class="${esc(i.state)}">${esc(i.name)}: ${esc(i.state)}</span>`).join("<br>");
    const prio = n.instances.map(i => `${i.base_priority}/${i.effective_priority}`).join("<br>");
    const held = n.instances.filter(i => i.vip_held).flatMap(i => i.vips).map(esc).join("<br>") || "-";
    const p = n.proxy;
    const pcls = p.health === "ok" ? "ok" : p.health === "down" ? "down" : p.health === "draining" ? "draining" : "noadmin";
    rows.push(`<tr><td>${esc(k)}</td>` + cell(k + "/role", roles, "", now) + cell(k + "/prio", prio, "num", now) +
      cell(k + "/vips", held, "", now) + cell(k + "/proxy", esc(p.health), pcls, now) +
      `<td class="num">${dash(p.open_connections)}</td><td class="num">${dash(p.requests_per_s)}</td>` +
      cell(k + "/servers", p.servers_total === null ? "-" : `${p.servers_up}/${p.servers_total}`, "num", now) +
      `<td class="num">${dash(p.stick_entries)}</td><td class="num">${n.sync_lag_ms === null ? "-" : n.sync_lag_ms.toFixed(1) + " ms"}</td>` +
      `<td>${n.last_advert_from ? esc(n.last_advert_from) + " " : ""}${ago(n.last_advert_ms_ago)}</td>` +
      `<td class="num">${n.latency_ms} ms</td></tr>`);
  }
  document.getElementById("nodes").innerHTML = rows.join("");
  document.getElementById("instances").innerHTML = (v.instances || []).map(i =>
    `<tr><td>${esc(i.name)}</td>` + cell("i/" + i.name + "/m", esc(i.masters.join(", ") || "NONE"),
      i.masters.length === 1 ? "MASTER" : "FAULT", now) +
    `<td>${i.vips.map(esc).join(", ")}</td>` + cell("i/" + i.name + "/h", esc(i.vip_holders.join(", ") || "nobody"),
      i.vip_holders.length === 1 ? "" : "FAULT", now) + `<td>${esc(i.nodes.join(", "))}</td></tr>`).join("");
  const ev = (v.transitions || []).slice(-12).reverse();
  document.getElementById("events").innerHTML = ev.map(t =>
    `<li>${time(t.at_unix_ms)} <b>${esc(t.node)}</b> ${esc(t.instance)} ${esc(t.from)} &rarr; <span class="${esc(t.to)}">${esc(t.to)}</span> <span class="dim">${esc(t.cause)}</span></li>`).join("")
    || "<li class=dim>none</li>";
  const u = document.getElementById("updated");
  u.textContent = "updated " + time(v.generated_unix_ms); u.className = "";
}
async function refresh() {
  try {
    const r = await fetch("cluster.json", {cache: "no-store"});
    if (!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
  } catch (e) {
    const u = document.getElementById("updated");
    u.textContent = "agent not answering (" + e.message + "); showing the last view"; u.className = "stale";
  }
  setTimeout(refresh, 1000);
}
refresh();
</script>
</body>
</html>
)HTML";

}  // namespace tandem::ha
