// aura-edge status page: plain JavaScript, no build step, no third party.
// Data is always inserted with textContent, never as HTML.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  let csrf = "";
  let timer = null;
  const POLL_MS = 2000;

  const STATE = {
    online: ["Online", "ok"], paper_near_end: ["Paper low", "warn"], unknown: ["No status", "warn"],
    paper_out: ["Paper out", "bad"], cover_open: ["Cover open", "bad"], offline: ["Offline", "bad"], error: ["Printer error", "bad"],
    connected: ["Connected", "ok"], connecting: ["Connecting", "warn"], waiting: ["Reconnecting", "warn"],
    stopped: ["Stopped", "bad"], not_configured: ["Not set up", "warn"],
  };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k != null) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  function badge(state) {
    const [label, cls] = STATE[state] || [state, ""];
    return el("span", { class: "badge " + cls, "data-state": state }, label);
  }
  function ago(iso) {
    if (!iso) return "";
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    return dur(s) + " ago";
  }
  function dur(s) {
    s = Math.round(s);
    if (s < 60) return s + " s";
    if (s < 3600) return Math.floor(s / 60) + " min";
    if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
    return Math.floor(s / 86400) + " d " + Math.floor((s % 86400) / 3600) + " h";
  }
  function time(iso) { return iso ? new Date(iso).toLocaleString() : ""; }
  function toast(msg) {
    const t = $("toast");
    t.textContent = msg; t.hidden = false;
    clearTimeout(toast.h); toast.h = setTimeout(() => { t.hidden = true; }, 5000);
  }

  async function api(method, url, body) {
    const opts = { method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") opts.headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(url, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { /* no body */ }
    if (r.status === 401) { signedOut(data && data.detail); throw new Error("signed out"); }
    if (!r.ok) throw new Error((data && data.detail) || ("the daemon answered " + r.status));
    return data;
  }

  function signedOut(msg) {
    clearInterval(timer); timer = null; csrf = "";
    $("dash").hidden = true; $("who").hidden = true; $("signin").hidden = false;
    $("loginerror").textContent = msg || "";
  }
  function signedIn(s) {
    csrf = s.csrf;
    $("whoname").textContent = s.name + " (" + s.role + ")";
    $("who").hidden = false; $("signin").hidden = true; $("dash").hidden = false;
    refresh();
    clearInterval(timer); timer = setInterval(refresh, POLL_MS);
  }

  async function act(button, what, method, url, body) {
    button.disabled = true;
    try {
      await api(method, url, body);
      toast(what + ": done");
      lastKey = "";
      refresh();
    } catch (e) {
      if (e.message !== "signed out") toast(what + " failed: " + e.message);
    } finally { button.disabled = false; }
  }

  function renderLink(c, outbox) {
    $("linkstate").replaceWith(Object.assign(badge(c.state), { id: "linkstate" }));
    $("linksince").textContent = c.since ? "since " + time(c.since) : "";
    $("linkerror").textContent = c.last_error || "";
    const tb = $("outbox").tBodies[0];
    tb.replaceChildren(...outbox.map((s) => el("tr", { "data-stream": s.stream },
      el("td", null, s.stream), el("td", { class: "num" }, s.depth),
      el("td", { class: "num" }, s.depth ? dur(s.oldest_age_s) : "—"))));
  }

  function job(j, actions) {
    return el("li", { class: "job", "data-job": j.id },
      el("span", null, el("strong", null, j.kind), " ", j.order_id || j.id,
        el("br"), el("span", { class: "muted" }, j.state + " · " + ago(j.updated_at) + (j.last_error ? " · " + j.last_error : ""))),
      el("span", { class: "actions" }, ...actions));
  }

  function renderPrinters(ps) {
    const box = $("printers");
    if (!ps.length) { box.replaceChildren(el("p", { class: "muted" }, "No printers are configured.")); return; }
    box.replaceChildren(...ps.map((p) => {
      const down = !["online", "paper_near_end", "unknown"].includes(p.state);
      const unconfirmed = p.unconfirmed.map((j) => job(j, [
        el("button", { type: "button", "data-action": "reprint", onclick: (e) => act(e.target, "Reprint", "POST", "/v1/print/" + encodeURIComponent(j.id) + "/reprint") }, "Reprint"),
        el("button", { type: "button", class: "secondary", "data-action": "cancel", onclick: (e) => act(e.target, "Cancel", "POST", "/v1/print/" + encodeURIComponent(j.id) + "/cancel") }, "Cancel"),
      ]));
      const queued = p.queued.map((j) => job(j, [
        el("button", { type: "button", class: "secondary", "data-action": "cancel", onclick: (e) => act(e.target, "Cancel", "POST", "/v1/print/" + encodeURIComponent(j.id) + "/cancel") }, "Cancel"),
      ]));
      return el("article", { class: "card printer", "data-printer": p.name },
        el("h3", null, p.name, " ", badge(p.state)),
        el("dl", { class: "kv" },
          el("dt", null, down ? "Down since" : "Since"), el("dd", null, p.since ? time(p.since) : "—"),
          el("dt", null, "Queue"), el("dd", { class: "queue" }, p.queue_depth + (p.queue_depth === 1 ? " job" : " jobs")),
          el("dt", null, "Last printed"), el("dd", null, p.last_printed_at ? ago(p.last_printed_at) : "—"),
          p.last_error ? el("dt", null, "Last problem") : null, p.last_error ? el("dd", { class: "error" }, p.last_error) : null),
        unconfirmed.length ? el("h4", null, "Not confirmed — did these print?") : null,
        unconfirmed.length ? el("ul", { class: "list unconfirmed" }, ...unconfirmed) : null,
        queued.length ? el("h4", null, "Waiting") : null,
        queued.length ? el("ul", { class: "list queued" }, ...queued) : null,
        el("button", { type: "button", class: "secondary", "data-action": "test", onclick: (e) => act(e.target, "Test print", "POST", "/v1/print", { printer: p.name, kind: "test" }) }, "Test print"),
        " ",
        el("button", { type: "button", class: "secondary", "data-action": "reprint-last", onclick: (e) => act(e.target, "Reprint last receipt", "POST", "/v1/print/reprint-last", { printer: p.name }) }, "Reprint last receipt"));
    }));
  }

  function sync(label, s) {
    if (!s) return el("div", null, el("span", { class: "muted" }, label + ": never"));
    return el("div", null, label + ": ", badge2(s.status), " ", el("span", { class: "muted" }, ago(s.time)));
  }
  function badge2(status) {
    const cls = status === "success" ? "ok" : (status === "failed" || status === "rejected") ? "bad" : "warn";
    return el("span", { class: "badge " + cls }, status);
  }

  function renderIntegrations(ins) {
    const box = document.querySelector("#integrations .list");
    if (!ins.length) { box.replaceChildren(el("p", { class: "muted" }, "No POS is connected.")); return; }
    box.replaceChildren(...ins.map((i) => el("div", { "data-integration": i.id },
      el("strong", null, i.name || i.id), " ", el("span", { class: "muted" }, i.vendor),
      sync("Last pull", i.last_pull), sync("Last push", i.last_push),
      i.last_error ? el("div", { class: "error" }, "Last error " + ago(i.last_error.time) + ": " + i.last_error.message) : null,
      i.dead_letters ? el("div", { class: "error" }, i.dead_letters + " menu push(es) gave up") : null)));
  }

  function renderTerminals(snap) {
    const box = document.querySelector("#terminals .list");
    if (!snap.terminals_enabled) {
      box.replaceChildren(el("p", { class: "muted" }, "Terminal capture is not set up on this device."));
      return;
    }
    if (!snap.terminals.length) { box.replaceChildren(el("p", { class: "muted" }, "No terminals.")); return; }
    box.replaceChildren(...snap.terminals.map((t) => el("div", { "data-terminal": t.name },
      el("strong", null, t.name), " ", badge(t.state),
      el("div", { class: "muted" }, "Last capture: " + (t.last_capture ? ago(t.last_capture) : "never") + " · unparsed: " + t.unparsed),
      t.last_error ? el("div", { class: "error" }, t.last_error) : null)));
  }

  function renderActivity(recs) {
    const box = document.querySelector("#activity .list");
    if (!recs.length) { box.replaceChildren(el("li", { class: "muted" }, "Nothing yet.")); return; }
    box.replaceChildren(...recs.map((r) => el("li", null, badge2(r.status), " ", el("strong", null, r.type), " ",
      r.message, " ", el("span", { class: "muted" }, "· " + ago(r.synced_at) + (r.actor ? " · " + r.actor : "")))));
  }

  // Sections are rebuilt when their data changed, or every 15 s for the
  // "… ago" texts, so that a button is not replaced under a finger.
  let lastKey = "", lastFull = 0;
  function render(s) {
    $("version").textContent = "aura-edge " + s.version;
    $("uptime").textContent = dur(s.uptime_s);
    $("updated").textContent = "updated " + new Date(s.time).toLocaleTimeString();
    const key = JSON.stringify([s.cloud, s.outbox.map((o) => [o.stream, o.depth]), s.printers, s.integrations, s.terminals, s.audit]);
    if (key === lastKey && Date.now() - lastFull < 15000) return;
    lastKey = key; lastFull = Date.now();
    $("store").textContent = s.store_id;
    renderLink(s.cloud, s.outbox);
    renderPrinters(s.printers);
    renderIntegrations(s.integrations);
    renderTerminals(s);
    renderActivity(s.audit);
    const down = s.printers.filter((p) => !["online", "paper_near_end", "unknown"].includes(p.state)).map((p) => p.name + ": " + (STATE[p.state] || [p.state])[0]);
    const banner = $("banner");
    banner.hidden = !down.length;
    banner.textContent = down.length ? "Needs attention — " + down.join(", ") : "";
  }

  async function refresh() {
    if (refresh.busy) return;
    refresh.busy = true;
    try { render(await api("GET", "/v1/health")); }
    catch (e) { if (e.message !== "signed out") $("updated").textContent = "cannot reach the daemon: " + e.message; }
    finally { refresh.busy = false; }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("loginform").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      $("loginerror").textContent = "";
      try {
        const r = await fetch("/status/login", { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json" }, body: JSON.stringify({ token: $("token").value }) });
        const data = await r.json();
        if (!r.ok) { $("loginerror").textContent = data.detail; return; }
        $("token").value = "";
        signedIn(data);
      } catch (e) { $("loginerror").textContent = "cannot reach the daemon: " + e.message; }
    });
    $("logout").addEventListener("click", async () => {
      await fetch("/status/logout", { method: "POST", credentials: "same-origin" });
      signedOut("");
    });
    try {
      const r = await fetch("/status/session", { credentials: "same-origin" });
      if (r.ok) { signedIn(await r.json()); return; }
    } catch (e) { /* fall through */ }
    signedOut("");
  });
})();
