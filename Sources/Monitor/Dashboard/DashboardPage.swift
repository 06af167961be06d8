/// The dashboard: one page, plain HTML, CSS and JavaScript (no CDN: it works offline), reading
/// the JSON API and updating live from `/api/stream`.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ZSaga dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg:#0f1419; --panel:#161c23; --line:#263040; --text:#dfe6ee; --dim:#8a97a8; --ok:#3fb950; --bad:#f85149;
          --warn:#d29922; --blue:#58a6ff; --violet:#bc8cff; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
  header { display:flex; align-items:center; gap:16px; padding:14px 24px; border-bottom:1px solid var(--line); }
  header h1 { font-size:18px; margin:0; font-weight:600; }
  header a { color:var(--text); text-decoration:none; }
  #live { font-size:12px; color:var(--dim); }
  #live.on::before { content:"●"; color:var(--ok); margin-right:6px; }
  main { padding:20px 24px; display:grid; grid-template-columns: repeat(12, 1fr); gap:16px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
  section h2 { font-size:13px; text-transform:uppercase; letter-spacing:.06em; color:var(--dim); margin:0 0 10px; font-weight:600; }
  .w12 { grid-column: span 12; } .w8 { grid-column: span 8; } .w6 { grid-column: span 6; } .w4 { grid-column: span 4; }
  .cards { display:flex; gap:12px; flex-wrap:wrap; }
  .card { flex:1; min-width:120px; background:#0d1117; border:1px solid var(--line); border-radius:6px; padding:10px 12px; }
  .card .n { font-size:26px; font-weight:600; font-variant-numeric: tabular-nums; }
  .card .l { color:var(--dim); font-size:12px; }
  table { width:100%; border-collapse:collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); }
  th { color:var(--dim); font-weight:500; font-size:12px; }
  .up { color:var(--ok); } .down { color:var(--bad); } .dim { color:var(--dim); }
  .status-completed { color:var(--ok); } .status-compensated { color:var(--warn); } .status-stuck { color:var(--bad); }
  .status-running, .status-compensating { color:var(--blue); }
  svg { width:100%; height:160px; background:#0d1117; border:1px solid var(--line); border-radius:6px; }
  input, select { background:#0d1117; color:var(--text); border:1px solid var(--line); border-radius:6px; padding:6px 8px; }
  a.saga { color:var(--blue); cursor:pointer; text-decoration:none; }
  .legend span { margin-right:14px; font-size:12px; }
  .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; }
  #alerts td.mono { overflow-wrap:anywhere; }
  #alerts td:nth-child(2), #alerts td:nth-child(3) { white-space:nowrap; }
  #saga-view { display:none; }
</style>
</head>
<body data-live="no">
<header><h1><a href="#/">ZSaga</a></h1><span class="dim">saga cluster dashboard</span><span id="live">connecting…</span></header>
<main id="home">
  <section class="w12"><h2>Sagas</h2>
    <div class="cards">
      <div class="card"><div class="n" id="count-total">–</div><div class="l">sagas</div></div>
      <div class="card"><div class="n status-running" id="count-running">–</div><div class="l">running</div></div>
      <div class="card"><div class="n status-completed" id="count-completed">–</div><div class="l">completed</div></div>
      <div class="card"><div class="n status-compensated" id="count-compensated">–</div><div class="l">compensated</div></div>
      <div class="card"><div class="n status-stuck" id="count-stuck">–</div><div class="l">stuck</div></div>
      <div class="card"><div class="n" id="count-orders">–</div><div class="l">orders (last hour: <span id="count-hour">–</span>)</div></div>
      <div class="card"><div class="n" id="count-alerts">–</div><div class="l">alerts</div></div>
    </div>
  </section>
  <section class="w8"><h2>Throughput (sagas settled per second, last 5 minutes)</h2>
    <svg id="chart-throughput" viewBox="0 0 600 160" preserveAspectRatio="none"></svg>
    <div class="legend"><span style="color:var(--ok)">■ completed</span><span style="color:var(--warn)">■ compensated</span></div>
  </section>
  <section class="w4"><h2>Latency and compensation rate</h2>
    <table><thead><tr><th>window</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>comp. rate</th></tr></thead>
    <tbody id="latency"></tbody></table>
    <svg id="chart-rate" viewBox="0 0 300 160" preserveAspectRatio="none" style="height:110px;margin-top:10px"></svg>
    <div class="legend"><span style="color:var(--violet)">■ compensation rate, per 10 s</span></div>
  </section>
  <section class="w6"><h2>Service health</h2>
    <table><thead><tr><th>process</th><th>state</th><th>last heartbeat</th><th>head</th><th>consumed</th><th>lag</th><th>read side lag</th></tr></thead>
    <tbody id="health"></tbody></table>
  </section>
  <section class="w6"><h2>Alerts</h2>
    <table><thead><tr><th>alert</th><th>for</th><th>when</th><th>detail</th></tr></thead><tbody id="alerts"></tbody></table>
  </section>
  <section class="w12"><h2>Sagas</h2>
    <div style="display:flex;gap:8px;margin-bottom:10px">
      <input id="search" placeholder="search saga, order or user id" size="36">
      <select id="filter"><option value="">any state</option><option>running</option><option>compensating</option>
        <option>completed</option><option>compensated</option><option>stuck</option></select>
    </div>
    <table><thead><tr><th>saga</th><th>type</th><th>user</th><th>state</th><th>total</th><th>order</th><th>stock</th><th>payment</th><th>shipment</th><th>failure</th></tr></thead>
    <tbody id="sagas"></tbody></table>
  </section>
</main>
<main id="saga-view">
  <section class="w12"><h2>Saga <span id="saga-id" class="mono"></span></h2>
    <div id="saga-summary" style="margin-bottom:10px"></div>
    <table><thead><tr><th>+ms</th><th>process</th><th>event</th><th>step</th><th>detail</th></tr></thead><tbody id="timeline"></tbody></table>
  </section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;","\"":"&quot;"}[c]));
const money = (c) => c == null ? "" : (c / 100).toFixed(2);
async function get(path) { const r = await fetch(path, {cache: "no-store"}); if (!r.ok) throw new Error(path + " " + r.status); return r.json(); }

function showSummary(s) {
  const st = s.stats || {};
  $("count-total").textContent = st.sagas ?? "–";
  $("count-running").textContent = st.running ?? "–";
  $("count-completed").textContent = st.completed ?? "–";
  $("count-compensated").textContent = st.compensated ?? "–";
  $("count-stuck").textContent = st.stuck ?? "–";
  $("count-orders").textContent = st.orders ?? "–";
  $("count-hour").textContent = st.orders_last_hour ?? "–";
  $("count-alerts").textContent = st.alerts ?? "–";
  $("health").innerHTML = (s.health || []).map(h => `<tr><td>${esc(h.process)}</td>
    <td class="${h.up ? "up" : "down"}">${h.up ? "up" : "DOWN"}</td>
    <td>${h.heartbeat_age_ms == null ? "–" : (h.heartbeat_age_ms / 1000).toFixed(1) + " s ago"}</td>
    <td>${h.head ?? "–"}</td><td>${h.position ?? "–"}</td><td>${h.lag ?? "–"}</td>
    <td class="projection-lag">${h.projection_lag_ms == null ? "–" : h.projection_lag_ms + " ms"}</td></tr>`).join("");
  $("latency").innerHTML = ["1m", "5m", "1h"].map(w => { const x = (s.sagas || {})[w] || {}; const l = x.latency_ms || {};
    const f = (v) => v == null ? "–" : v.toFixed(1);
    return `<tr><td>${w}</td><td>${f(l.p50)}</td><td>${f(l.p90)}</td><td>${f(l.p99)}</td>
      <td>${x.compensation_rate == null ? "–" : (x.compensation_rate * 100).toFixed(1) + "%"}</td></tr>`; }).join("");
  document.body.dataset.live = "yes";
  $("live").className = "on"; $("live").textContent = "live · " + new Date(s.time_ms).toLocaleTimeString();
}

function line(values, max, w, h, color) {
  if (!values.length) return "";
  const step = w / Math.max(values.length - 1, 1);
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 4 - (v / max) * (h - 12)).toFixed(1)}`).join(" ");
  return `<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${pts}"/>`;
}
async function charts() {
  const s = await get("/api/series?seconds=300");
  const max = Math.max(1, ...s.completed.map((c, i) => c + s.compensated[i]));
  $("chart-throughput").innerHTML = line(s.completed, max, 600, 160, "var(--ok)") + line(s.compensated, max, 600, 160, "var(--warn)")
    + `<text x="4" y="12" fill="#8a97a8" font-size="10">${max}/s</text>`;
  const rates = [];
  for (let i = 0; i + 10 <= s.completed.length; i += 10) {
    let ok = 0, comp = 0; for (let j = i; j < i + 10; j++) { ok += s.completed[j]; comp += s.compensated[j]; }
    rates.push(ok + comp ? comp / (ok + comp) : 0);
  }
  $("chart-rate").innerHTML = line(rates, 1, 300, 160, "var(--violet)") + `<text x="4" y="12" fill="#8a97a8" font-size="10">100%</text>`;
}
// What an alert found, as key=value pairs (its name and group have columns of their own).
function alertDetail(data) {
  return Object.entries(data || {}).filter(([k]) => k !== "pattern" && k !== "group")
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join(" ");
}
async function alerts() {
  const a = await get("/api/alerts?limit=20");
  $("alerts").innerHTML = (a.alerts || []).slice().reverse().map(x => `<tr><td class="status-stuck">${esc(x.name)}</td>
    <td>${esc(x.group ?? "")}</td><td>${new Date(x.time_ms).toLocaleTimeString()}</td>
    <td class="mono dim">${esc(alertDetail(x.data))}</td></tr>`).join("") || `<tr><td class="dim" colspan="4">none</td></tr>`;
}
async function sagas() {
  const q = encodeURIComponent($("search").value), st = encodeURIComponent($("filter").value);
  const r = await get(`/api/sagas?limit=25&q=${q}&status=${st}`);
  $("sagas").innerHTML = (r.sagas || []).map(o => `<tr><td><a class="saga mono" href="#/saga/${encodeURIComponent(o.saga_id)}">${esc(o.saga_id)}</a></td>
    <td>${esc(o.type ?? "")}</td><td>${esc(o.user_id ?? "")}</td><td class="status-${esc(o.saga_status)}">${esc(o.saga_status)}</td><td>${money(o.total_cents)}</td>
    <td>${esc(o.order_status ?? "")}</td><td>${esc(o.reservation_status ?? "")}</td><td>${esc(o.payment_status ?? "")}</td>
    <td>${esc(o.shipment_status ?? "")}</td><td class="dim">${esc(o.failure ?? "")}</td></tr>`).join("");
}
async function sagaPage(id) {
  const r = await get("/api/sagas/" + encodeURIComponent(id));
  $("saga-id").textContent = id;
  // Any saga type has its row; an order saga has its order view too.
  const o = Object.assign({}, r.order || {}, r.saga || {});
  $("saga-summary").innerHTML = `<span class="status-${esc(o.saga_status)}">${esc(o.saga_status ?? "")}</span>
    · ${esc(o.type ?? "")}${o.user_id ? ` · user ${esc(o.user_id)}` : ""}${o.total_cents != null ? ` · total ${money(o.total_cents)}` : ""}${o.failure ? ` · <span class="status-compensated">${esc(o.failure)}</span>` : ""}`;
  $("timeline").innerHTML = (r.timeline || []).map(e => { const d = e.data || {};
    const detail = d.message || d.reason || (d.amount_cents != null ? "amount " + money(d.amount_cents) : "")
      || (d.attempt ? `attempt ${d.attempt} in ${d.delay_ms} ms` : "");
    const kind = /Failed|Declined|Rejected|Stuck/.test(e.event) ? "status-stuck" : /Compensat|Cancel|Release|Refund|Void/.test(e.event) ? "status-compensated" : "";
    return `<tr><td>${e.offset_ms}</td><td>${esc(e.source)}</td><td class="${kind}">${esc(e.event)}</td>
      <td>${esc(d.name ?? "")}</td><td class="dim">${esc(detail)}</td></tr>`; }).join("");
}
function route() {
  const m = location.hash.match(/^#\/saga\/(.+)$/);
  $("home").style.display = m ? "none" : "grid";
  $("saga-view").style.display = m ? "grid" : "none";
  if (m) sagaPage(decodeURIComponent(m[1])).catch(console.error);
}
window.addEventListener("hashchange", route);
$("search").addEventListener("input", () => sagas().catch(console.error));
$("filter").addEventListener("change", () => sagas().catch(console.error));
function refresh() { charts().catch(console.error); alerts().catch(console.error); sagas().catch(console.error); }
get("/api/summary").then(showSummary).catch(console.error);
const stream = new EventSource("/api/stream");
stream.addEventListener("summary", (e) => showSummary(JSON.parse(e.data)));
stream.onerror = () => { $("live").className = ""; $("live").textContent = "reconnecting…"; };
setInterval(refresh, 2000);
refresh(); route();
</script>
</body>
</html>
"""#
}
