// The operator page: polls /ui/api every 2 s with the admin key (kept in sessionStorage,
// sent as a header: no cookie). Every value from the API is put in the page as text
// (textContent, text nodes, attributes), never as HTML: payloads come from anyone.
"use strict";
(() => {
  const KEY = "feedback-proxy-admin-key";
  const POLL_MS = 2000;
  const $ = (id) => document.getElementById(id);
  const state = { picked: null, timer: null, vendors: null, running: false, round: 0 };

  const EXAMPLES = {
    tracia: { path: "/api/v1/spans/sp_0123456789abcdef/evaluations", body: { evaluatorKey: "quality", value: 0.75, note: "looks right" } },
    opik: { path: "/v1/private/traces/feedback-scores",
            body: { scores: [{ id: "01a20c41-cda1-7a06-b0a1-000000000001", name: "accuracy", value: 0.9, reason: "matches", source: "sdk", project_name: "demo" }] } },
    scale: { path: "/v5/span-assessments", body: { assessment_type: "rating", trace_id: "trace-1", span_id: "span-1", rating: 4, comment: "good" } },
  };

  // --- small helpers ------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, String(v));
    }
    for (const c of children) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  const td = (text, cls, title) => el("td", { class: cls, title }, text === undefined || text === null ? "–" : text);
  const badge = (text, kind) => el("span", { class: `badge ${kind}` }, text);
  const statusKind = (s) => (s === null || s === undefined ? "bad" : s < 300 ? "ok" : s < 500 ? "warn" : "bad");
  const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour12: false });
  function ago(t, now) {
    if (!t) return "never";
    const s = Math.max(0, (now || Date.now() / 1000) - t);
    return s < 1 ? "just now" : s < 60 ? `${s.toFixed(s < 10 ? 1 : 0)} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${Math.floor(s / 3600)} h ago`;
  }
  const pretty = (v) => (typeof v === "string" ? v : JSON.stringify(v, null, 2));

  async function api(path, options = {}) {
    const headers = { Authorization: "Bearer " + (sessionStorage.getItem(KEY) || "") };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(path, { method: options.method || "GET", headers, cache: "no-store",
                                     body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (resp.status === 401) {
      signOut((data && data.error) || "the admin key is not valid");
      throw new Error("signed out");
    }
    if (!resp.ok) throw new Error((data && data.error) || `HTTP ${resp.status}`);
    return data;
  }

  // --- sign in / out ------------------------------------------------------------
  function signOut(message) {
    sessionStorage.removeItem(KEY);
    clearTimeout(state.timer);
    state.running = false;
    $("main").hidden = true; $("logout").hidden = true; $("login").hidden = false;
    $("login-error").textContent = message || "";
    $("summary").textContent = "";
    $("key").focus();
  }

  async function signIn(event) {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("key").value.trim());
    try { await api("/ui/api/status"); } catch (e) {
      if (e.message !== "signed out") { sessionStorage.removeItem(KEY); $("login-error").textContent = e.message; }
      return;
    }
    $("key").value = "";
    start();
  }

  function start() {
    $("login").hidden = true; $("main").hidden = false; $("logout").hidden = false;
    state.running = true;
    loadVendors();
    refresh();
  }

  // --- polling ------------------------------------------------------------------
  async function refresh() {
    clearTimeout(state.timer);
    const round = ++state.round; // a newer refresh (a keystroke in the filter) supersedes this one
    if (!state.running) return;
    if (!document.hidden) {
      try {
        const q = encodeURIComponent($("filter").value.trim());
        const [status, requests, dead] = await Promise.all([api("/ui/api/status"), api(`/ui/api/requests?limit=60&q=${q}`), api("/ui/api/dead-letters")]);
        if (round !== state.round) return;
        renderStatus(status); renderRequests(requests, status.now); renderDead(dead);
        if (state.picked) await showRequest(state.picked);
        $("live").className = "live on";
      } catch (e) {
        if (e.message === "signed out") return;
        $("live").className = "live stale"; $("live").title = e.message;
      }
    }
    if (state.running && round === state.round) state.timer = setTimeout(refresh, POLL_MS);
  }

  // --- upstreams ----------------------------------------------------------------
  const CIRCUIT = { closed: "ok", "half-open": "warn", open: "bad" };

  function renderStatus(s) {
    $("summary").textContent = `${s.requests_last_minute} requests in the last minute · store ${s.store}`;
    $("upstream-rows").replaceChildren(...s.upstreams.map((u) => {
      const err = u.last_error ? el("div", { class: "clamp mono", title: u.last_error }, u.last_error) : "–";
      return el("tr", { "data-upstream": u.name },
        el("td", {}, el("strong", {}, u.name), " ", el("span", { class: "muted" }, u.vendor), el("div", { class: "muted mono" }, u.origin)),
        el("td", {}, badge(u.circuit, CIRCUIT[u.circuit] || "none"), u.failures_in_a_row ? el("div", { class: "muted" }, `${u.failures_in_a_row} failures in a row`) : null,
           u.worker_problem ? el("div", { title: u.worker_problem }, badge("stalled", "bad"), " ", el("span", { class: "mono" }, u.worker_problem)) : null),
        td(u.waiting, "num"), td(u.oldest_age === null ? "–" : `${u.oldest_age} s`, "num"),
        el("td", { class: "num", title: `${u.delivered_per_second} records/s by the outbox` }, `${u.requests_ok_last_minute}`,
           u.delivered_last_minute ? el("div", { class: "muted" }, `${u.delivered_last_minute} records (outbox)`) : null),
        el("td", { class: "num" }, u.dead ? badge(u.dead_more ? `${u.dead}+` : u.dead, "bad") : "0"),
        td(ago(u.last_success_at, s.now)),
        el("td", {}, err, u.last_error_at ? el("div", { class: "muted" }, ago(u.last_error_at, s.now)) : null));
    }));
  }

  // --- requests -----------------------------------------------------------------
  // One chip per upstream: its last answer, how many requests it was sent for this request, and
  // amber when an earlier one failed (a retry, or another record's dead letter).
  function chipsByUpstream(attempts) {
    const by = new Map();
    for (const a of attempts) by.set(a.upstream, [...(by.get(a.upstream) || []), a]);
    return [...by].map(([upstream, list]) => {
      const last = list[list.length - 1].status;
      const failed = list.some((a) => statusKind(a.status) !== "ok");
      const kind = statusKind(last) !== "ok" ? statusKind(last) : failed ? "warn" : "ok";
      const title = list.map((a) => `${a.method} ${a.path} · attempt ${a.attempt} → ${a.status ?? "no answer"}`).join("\n");
      return el("span", { class: `badge ${kind}`, title }, `${upstream} ${last ?? "no answer"}${list.length > 1 ? ` (${list.length} sent)` : ""}`);
    });
  }

  function renderRequests(data, now) {
    const rows = data.requests.map((r) => {
      const chips = el("div", { class: "chips" }, ...chipsByUpstream(r.attempts));
      const what = r.endpoint ? `${r.vendor} ${r.endpoint}` : `${r.method} ${r.path}`;
      const row = el("tr", { "data-request-id": r.request_id, class: r.request_id === state.picked ? "picked" : null,
                             onclick: () => { state.picked = r.request_id; showRequest(r.request_id); markPicked(); } },
        td(clock(r.at), "mono", ago(r.at, now)), td(r.request_id.slice(0, 12), "mono", r.request_id),
        td(what, "wrap", `${r.method} ${r.path}`), el("td", { class: "num" }, r.status ? badge(r.status, statusKind(r.status)) : "…"),
        td(r.duration_ms === null ? "–" : Math.round(r.duration_ms), "num"), el("td", {}, chips));
      return row;
    });
    $("request-rows").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, "no requests yet"))]));
  }

  function markPicked() {
    for (const tr of $("request-rows").children) tr.classList.toggle("picked", tr.dataset.requestId === state.picked);
  }

  async function showRequest(id) {
    let r;
    try { r = await api(`/ui/api/request?id=${encodeURIComponent(id)}`); } catch (e) {
      if (e.message !== "signed out") $("request-detail").replaceChildren(el("p", { class: "muted" }, `request ${id}: ${e.message}`));
      return;
    }
    const parts = [
      el("h3", {}, `${r.method} ${r.path}`),
      el("p", { class: "mono wrap" }, `request ${r.request_id}`, r.client_request_id ? ` · client ${r.client_request_id}` : "",
         ` · answered `, r.status ? badge(r.status, statusKind(r.status)) : "…", r.duration_ms !== null ? ` in ${r.duration_ms} ms` : ""),
    ];
    if (!r.attempts.length) parts.push(el("p", { class: "muted" }, "no upstream attempt (yet)"));
    if (r.attempts_made > r.attempts.length) parts.push(el("p", { class: "muted" }, `the last ${r.attempts.length} of ${r.attempts_made} attempts`));
    for (const a of r.attempts) {
      parts.push(el("div", { class: "attempt", "data-upstream": a.upstream },
        el("h3", {}, badge(a.status ?? "no answer", statusKind(a.status)), ` ${a.upstream} `,
           el("span", { class: "muted" }, `${a.via} · attempt ${a.attempt} · ${Math.round(a.duration_ms)} ms · ${clock(a.at)}`)),
        el("div", { class: "mono wrap" }, `${a.method} ${a.path}`),
        el("pre", { class: "sent" }, a.sent.json !== undefined ? pretty(a.sent.json) : a.sent.text || "(no body)",
           a.sent.truncated ? `\n… (${a.sent.bytes} bytes in all)` : ""),
        a.error ? el("div", { class: "error" }, a.error) : null,
        a.answer ? el("pre", { class: "answer" }, a.answer) : null));
    }
    $("request-detail").replaceChildren(...parts);
  }

  // --- dead letters -------------------------------------------------------------
  function renderDead(data) {
    const letters = data.dead_letters;
    $("dead-count").textContent = letters.length ? `(${letters.length}${data.more ? "+" : ""})` : "";
    $("replay-all").disabled = $("drop-all").disabled = !letters.length;
    $("dead-rows").replaceChildren(...(letters.length ? letters.map((d) => el("tr", { "data-dead-id": d.id },
      td(d.id, "num"), td(d.upstream), td(d.summary, "wrap"), td(d.request_id.slice(0, 12), "mono", d.request_id), td(d.attempts, "num"),
      el("td", {}, el("div", { class: "clamp mono", title: d.last_error || "" }, d.last_error || "–")),
      el("td", {}, el("button", { type: "button", class: "replay", onclick: () => settle("replay", { ids: [d.id] }) }, "Replay"),
                   el("button", { type: "button", class: "drop danger", onclick: () => settle("drop", { ids: [d.id] }) }, "Drop"))))
      : [el("tr", {}, el("td", { colspan: 7, class: "muted" }, "no dead letters"))]));
  }

  async function settle(action, body) {
    if (action === "drop" && body.all && !confirm("Drop every dead letter? They will not be delivered.")) return;
    try {
      const out = await api(`/ui/api/dead-letters/${action}`, { method: "POST", body });
      const n = action === "replay" ? out.replayed : out.dropped;
      $("dead-message").textContent = `${action === "replay" ? "replayed" : "dropped"} ${n} dead letter(s)`;
    } catch (e) { if (e.message !== "signed out") $("dead-message").textContent = e.message; }
    refresh();
  }

  // --- playground ---------------------------------------------------------------
  async function loadVendors() {
    if (state.vendors) return;
    try { state.vendors = (await api("/ui/api/vendors")).vendors; } catch (e) { return; }
    const names = Object.keys(state.vendors);
    const fill = (select, wanted) => {
      select.replaceChildren(...names.map((n) => el("option", { value: n }, n)));
      if (names.includes(wanted)) select.value = wanted;
    };
    fill($("pg-from"), "tracia"); fill($("pg-to"), "opik");
    fillEndpoints();
  }

  function fillEndpoints() {
    const eps = (state.vendors[$("pg-from").value] || []).filter((e) => e.feedback);
    $("pg-endpoint").replaceChildren(el("option", { value: "" }, "(from the payload's path)"),
      ...eps.map((e) => el("option", { value: e.name }, `${e.name} · ${e.method} ${e.path}`)));
  }

  async function translate(event) {
    event.preventDefault();
    $("pg-error").textContent = "";
    let payload;
    try { payload = JSON.parse($("pg-payload").value); } catch (e) { $("pg-error").textContent = `the payload is not JSON: ${e.message}`; return; }
    let out;
    try {
      out = await api("/ui/api/translate", { method: "POST", body: { from: $("pg-from").value, to: $("pg-to").value, endpoint: $("pg-endpoint").value, payload } });
    } catch (e) { if (e.message !== "signed out") { $("pg-error").textContent = e.message; $("pg-result").hidden = true; } return; }
    $("pg-title").textContent = `${out.from} → ${out.to}`;
    $("pg-requests").replaceChildren(...(out.requests.length ? out.requests.map((r) => el("div", { class: "out" },
      el("div", { class: "head" }, `${r.method} ${r.path}${r.query ? "?" + new URLSearchParams(r.query) : ""}`),
      el("pre", {}, r.body === null ? "(no body)" : pretty(r.body)))) : [el("p", { class: "muted" }, "nothing would be sent")]));
    $("pg-refused").replaceChildren(...out.refused.map((r) => el("p", { class: "error" }, `${r.record}: ${r.why}`)));
    const kinds = { kept: "ok", lost: "bad", dropped: "warn", skipped: "none" };
    $("pg-report").replaceChildren(...out.report.map((row) => el("tr", { class: `report-${row.status}` },
      el("td", {}, badge(row.status, kinds[row.status] || "none")), td(row.input, "mono"), td(row.canonical, "mono"),
      td(row.status === "kept" ? row.output : row.note, row.status === "kept" ? "mono" : null))));
    $("pg-result").hidden = false;
  }

  function example() {
    const sample = EXAMPLES[$("pg-from").value];
    if (sample) { $("pg-payload").value = JSON.stringify(sample, null, 2); $("pg-endpoint").value = ""; }
  }

  // --- wiring -------------------------------------------------------------------
  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", signIn);
    $("logout").addEventListener("click", () => signOut(""));
    $("filter").addEventListener("input", () => refresh());
    $("replay-all").addEventListener("click", () => settle("replay", { all: true }));
    $("drop-all").addEventListener("click", () => settle("drop", { all: true }));
    $("pg-from").addEventListener("change", fillEndpoints);
    $("pg-example").addEventListener("click", example);
    $("pg-form").addEventListener("submit", translate);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
    if (sessionStorage.getItem(KEY)) start(); else signOut("");
  });
})();
