// The wsusmock dashboard: reads the admin API of the server that serves it,
// follows its exchanges as Server-Sent Events, and draws each client's
// detection cycles as sequence diagrams. Every action is an admin API call
// with a JSON body and, once entered, the bearer token.
"use strict";

const API = "/__admin";
const state = {
  token: sessionStorage.getItem("wsusmock-token") || "",
  entries: [],      // journal entries, by seq
  lastSeq: 0,
  runs: [],         // ClientRun replies of the clients this page ran
  logLines: [],     // server log lines
  logSeq: 0,
  selected: null,   // key of the selected cycle
  seen: 0,          // cycles drawn so far: a new one is selected
  updates: [],
  workaroundID: "",
};
const $ = (id) => document.getElementById(id);

// call sends one admin API request; a refusal becomes an Error carrying the
// server's message and reason.
async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = "Bearer " + state.token;
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(API + path, init);
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const err = new Error(data.error || resp.statusText);
    err.reason = data.reason || "";
    err.status = resp.status;
    throw err;
  }
  return data;
}

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

function say(text, good) {
  const o = $("outcome");
  o.textContent = text;
  o.className = "outcome " + (good ? "good" : "bad");
}

// act runs a button's action, shows its outcome, and refreshes the world.
async function act(button, what, fn) {
  button.disabled = true;
  try {
    const r = await fn();
    const good = typeof r === "string" || r.good;
    say((good ? "✔ " : "✖ ") + what + ": " + (typeof r === "string" ? r : r.text), good);
  } catch (e) {
    say("✖ " + what + " refused: " + e.message + (e.reason ? " — " + e.reason : ""), false);
  } finally {
    button.disabled = false;
    await refreshWorld().catch(() => {});
  }
}

// ---- the world ----

async function refreshWorld() {
  const [info, list, sc] = await Promise.all([call("GET", "/server"), call("GET", "/updates"), call("GET", "/scenario")]);
  const dl = $("server");
  dl.replaceChildren();
  const row = (k, v) => dl.append(el("dt", {}, k), el("dd", {}, v));
  row("Scenario", info.scenario + " — " + sc.description);
  row("Build", info.product + " " + info.version + " (" + info.build + ")");
  row("Client.dll", info.client_dll_version);
  row("Hotfixes", info.hotfixes.length ? info.hotfixes.join(", ") : "none");
  row("WSUS faults sent with", "HTTP " + info.fault_status);
  state.updates = list.updates;
  const groups = new Set();
  const tbody = $("approvals").tBodies[0];
  tbody.replaceChildren();
  for (const u of list.updates) {
    if (/Office 2003 Service Pack 1/i.test(u.title)) state.workaroundID = u.update_id;
    for (const a of u.approvals) {
      groups.add(a.group);
      if (a.state === "NotApproved" && a.deployments.length === 0) continue;
      const rows = a.deployments.map((d) => "#" + d.deployment_id + " " + d.action).join(", ") || "—";
      const cause = a.inconsistent;
      tbody.append(el("tr", { class: cause ? "cause" : "" },
        el("td", {}, String(u.revision_id)),
        el("td", {}, u.title),
        el("td", {}, a.group),
        el("td", {}, a.state),
        el("td", {}, rows, cause ? el("span", { class: "tag warn" }, " ⚠ " + a.deployments.length + " rows: the cause of the fault") : null)));
    }
  }
  row("Target groups", [...groups].join(", "));
  const sel = $("scenario");
  if (!sel.options.length) for (const n of sc.builtin) sel.append(el("option", {}, n));
  sel.value = info.scenario;
}

// ---- the exchange ----

function ipOf(remote) {
  const i = remote.lastIndexOf(":");
  return i > 0 ? remote.slice(0, i) : remote;
}

// cycles groups the journal into detection cycles per client. A cycle
// starts with GetConfig, which names no client; the entries that follow
// from the same address and name one say whose it is.
function cycles() {
  const list = [];
  const open = new Map(); // address or client key -> cycle
  for (const e of state.entries) {
    const ip = ipOf(e.remote);
    const who = e.client_id ? e.client_id + "|" + (e.client_name || "") : "";
    let cy = null;
    if (e.operation === "GetConfig" || (!who && !open.get(ip))) {
      cy = { key: "c" + e.seq, ip, who: "", entries: [] };
      list.push(cy);
      open.set(ip, cy);
    } else if (who) {
      const pending = open.get(ip);
      if (pending && !pending.who) {
        cy = pending;
        cy.who = who;
      } else {
        cy = open.get(who);
        if (!cy || e.operation === "GetAuthorizationCookie") {
          cy = { key: "c" + e.seq, ip, who, entries: [] };
          list.push(cy);
        }
      }
      open.set(who, cy);
      open.set(ip, cy);
    } else {
      cy = open.get(ip);
    }
    cy.entries.push(e);
    cy.name = cy.name || e.client_name;
    cy.clientID = cy.clientID || e.client_id;
  }
  // A fault the client recovers from (CookieExpired, then GetCookie and
  // the same call again) does not fail the cycle; one that is never
  // followed by a good answer to the same operation does, even though the
  // client then reports its failure with ReportEventBatch.
  for (const cy of list) {
    const last = cy.entries[cy.entries.length - 1];
    let unanswered = null;
    for (const e of cy.entries) {
      if (isFault(e)) unanswered = e;
      else if (unanswered && e.operation === unanswered.operation) unanswered = null;
    }
    cy.failed = !!unanswered;
    cy.done = cy.failed || last.operation === "ReportEventBatch";
    cy.start = new Date(new Date(cy.entries[0].time).getTime() - cy.entries[0].duration_us / 1000);
    cy.end = new Date(last.time);
  }
  // The server log lines of a cycle are those written while it ran, and
  // shortly after (the log has its own writer), but not into the next one.
  const starts = list.map((c) => c.start.getTime()).sort((a, b) => a - b);
  for (const cy of list) {
    const next = starts.find((t) => t > cy.start.getTime());
    cy.logFrom = cy.start.getTime() - 100;
    cy.logTo = Math.min(cy.end.getTime() + 1000, next === undefined ? Infinity : next - 1);
  }
  return list;
}

function verdict(cy) {
  if (cy.failed) return el("span", { class: "tag bad" }, "✖ failed");
  if (cy.done) return el("span", { class: "tag good" }, "✔ succeeded");
  return el("span", { class: "tag" }, "… running");
}

function isFault(e) {
  return !!e.fault || e.status === 0 || e.status >= 400;
}

function arrow(e, round) {
  const fault = isFault(e);
  const label = e.operation || e.path;
  const ms = (e.duration_us / 1000).toFixed(1) + " ms";
  const meta = fault
    ? " ✖ FAULT " + (e.fault || "no reply") + (e.fault_id ? " id " + e.fault_id : "") + " · HTTP " + e.status + " · " + ms +
      (e.injected ? " · injected by rule " + e.injected + (e.transport ? " (" + e.transport + ")" : "") : "")
    : " ✔ HTTP " + e.status + " · " + ms;
  return el("div", { class: "msg" },
    el("span", { class: "c" }),
    el("span", { class: "arrow" + (fault ? " fault" : ""), "data-op": label, "data-fault-id": e.fault_id || "" },
      el("strong", {}, label + (round ? " #" + round : "")), el("span", { class: "meta" }, meta)),
    el("span", { class: "s" }));
}

// drawCycle draws the selected cycle as a sequence diagram, and the others
// as one line each, so that a projected page shows one exchange at a time.
function drawCycle(cy) {
  const selected = state.selected === cy.key;
  const head = el("button", { type: "button", "aria-expanded": String(selected),
    onclick: () => { state.selected = cy.key; render(); } },
    verdict(cy), " cycle at " + cy.start.toLocaleTimeString() + " · " + cy.entries.length + " exchanges · from " + cy.ip);
  if (!selected) return el("div", { class: "cycle", "data-cycle": cy.key }, head);
  const lanes = el("div", { class: "lanes" },
    el("span", { class: "lane" }, "Client"), el("span", {}), el("span", { class: "lane" }, "WSUS server"));
  let round = 0;
  for (const e of cy.entries) lanes.append(arrow(e, e.operation === "SyncUpdates" ? ++round : 0));
  return el("div", { class: "cycle selected", "data-cycle": cy.key }, head, lanes);
}

function render() {
  const all = cycles();
  // A new cycle takes the selection, so that what just happened shows;
  // a click holds it until the next one.
  if (all.length > state.seen || !all.some((c) => c.key === state.selected)) {
    state.selected = all.length ? all[all.length - 1].key : null;
  }
  state.seen = all.length;
  const byClient = new Map();
  for (const cy of all) {
    const k = cy.who || "unknown|";
    if (!byClient.has(k)) byClient.set(k, []);
    byClient.get(k).push(cy);
  }
  const box = $("clients");
  const tiles = $("tiles");
  tiles.replaceChildren();
  if (!all.length) {
    box.replaceChildren(el("p", { class: "hint" }, "No exchange yet: run a client, or point one at this server."));
    renderLogs(null);
    return;
  }
  box.replaceChildren();
  for (const [k, cys] of byClient) {
    const last = cys[cys.length - 1];
    const name = last.name || "(no name yet)";
    const id = last.clientID || "not yet known";
    tiles.append(el("li", { class: last.failed ? "bad" : last.done ? "good" : "" },
      el("strong", {}, name), el("br"), verdict(last), el("br"), el("small", {}, last.ip)));
    const sec = el("div", { class: "client" },
      el("h3", {}, name + " — SusClientId " + id + " — " + last.ip));
    for (const cy of cys.slice(-5)) sec.append(drawCycle(cy));
    box.append(sec);
  }
  renderLogs(all.find((c) => c.key === state.selected));
}

// ---- the logs ----

function withMarks(text, id) {
  const pre = document.createDocumentFragment();
  if (!id) { pre.append(text); return pre; }
  const parts = text.split(id);
  parts.forEach((p, i) => {
    pre.append(p);
    if (i < parts.length - 1) pre.append(el("mark", {}, id));
  });
  return pre;
}

function renderLogs(cy) {
  const srv = $("server-log"), cli = $("client-log");
  if (!cy) { srv.replaceChildren(); cli.replaceChildren(); return; }
  const faultID = (cy.entries.find((e) => e.fault_id) || {}).fault_id || "";
  $("log-cycle").textContent = "Cycle of " + (cy.name || cy.ip) + " at " + cy.start.toLocaleTimeString() +
    (faultID ? " — fault ID " + faultID + " is marked in both logs" : "");
  const lines = state.logLines.filter((l) => {
    const t = new Date(l.time).getTime();
    return (t >= cy.logFrom && t <= cy.logTo) || (faultID && l.text.includes(faultID));
  });
  srv.replaceChildren(withMarks(lines.map((l) => l.text).join("\n") || "(no server log lines in this cycle)", faultID));
  const run = state.runs.find((r) => r.client_id === cy.clientID &&
    new Date(r.started).getTime() - 1000 <= cy.start.getTime() && cy.start.getTime() <= new Date(r.finished).getTime() + 1000);
  cli.replaceChildren(withMarks(run ? run.log.join("\n")
    : "(this client ran elsewhere: its WindowsUpdate.log is on that machine)", faultID));
  for (const pre of [srv, cli]) {
    const m = pre.querySelector("mark");
    pre.scrollTop = m ? Math.max(0, m.offsetTop - 60) : 0; // pre is positioned: offsetTop is within it
  }
}

async function refreshLog() {
  const page = await call("GET", "/serverlog?since=" + state.logSeq);
  for (const l of page.lines) { state.logLines.push(l); state.logSeq = l.seq; }
  if (state.logLines.length > 2000) state.logLines.splice(0, state.logLines.length - 2000);
}

// ---- live updates ----

let drawQueued = false;
function redraw() {
  if (drawQueued) return;
  drawQueued = true;
  setTimeout(async () => {
    drawQueued = false;
    await refreshLog().catch(() => {});
    render();
  }, 50);
}

function add(e) {
  if (e.seq <= state.lastSeq) return;
  state.entries.push(e);
  state.lastSeq = e.seq;
  if (state.entries.length > 2000) state.entries.splice(0, state.entries.length - 2000);
}

async function reload() {
  const page = await call("GET", "/journal");
  state.entries = [];
  state.lastSeq = 0;
  for (const e of page.entries) add(e);
  state.logLines = [];
  state.logSeq = 0;
  await refreshLog();
  render();
}

function live(on, text) {
  const p = $("live");
  p.className = "live " + (on ? "on" : "off");
  p.textContent = text;
}

// follow reads the Server-Sent Events of /__admin/events with fetch, which,
// unlike EventSource, can send the token; it reconnects when the stream
// ends, as it does when the server restarts.
async function follow() {
  for (;;) {
    try {
      const headers = { Accept: "text/event-stream" };
      if (state.token) headers.Authorization = "Bearer " + state.token;
      const resp = await fetch(API + "/events", { headers });
      if (!resp.ok) {
        const data = await resp.json().catch(() => ({}));
        throw new Error((data.error || resp.statusText) + (data.reason ? " — " + data.reason : ""));
      }
      await reload();
      await refreshWorld();
      await loadProfiles();
      live(true, "● live");
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (event === "exchange") add(JSON.parse(data));
          else if (event === "dropped") await reload();
          if (event !== "message") redraw();
        }
      }
      live(false, "○ server gone: reconnecting…");
    } catch (e) {
      live(false, "○ not connected: " + e.message + " — retrying");
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// ---- actions ----

function wire() {
  $("token").value = state.token;
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.token = $("token").value.trim();
    sessionStorage.setItem("wsusmock-token", state.token);
    say("Token set for this tab.", true);
    refreshWorld().catch((e) => say("✖ " + e.message + (e.reason ? " — " + e.reason : ""), false));
  });
  $("run").addEventListener("click", (ev) => act(ev.currentTarget, "Run client", async () => {
    const body = { profile: $("profile").value };
    const name = $("client-name").value.trim();
    if (name) body.name = name;
    const run = await call("POST", "/clients/run", body);
    state.runs.push(run);
    if (state.runs.length > 50) state.runs.shift();
    redraw();
    return { good: run.succeeded, text: run.name + (run.succeeded ? " succeeded — " : " failed — ") + run.summary };
  }));
  $("install").addEventListener("click", (ev) => act(ev.currentTarget, "Install KB954960", async () => {
    const r = await call("POST", "/hotfixes/KB954960", {});
    return r.changed ? "installed, Client.dll is now " + r.server.client_dll_version : "already installed";
  }));
  for (const id of ["wa-1", "wa-2", "wa-3"]) {
    $(id).addEventListener("click", (ev) => {
      const action = ev.currentTarget.dataset.action;
      act(ev.currentTarget, "Workaround step " + id.slice(3) + " (" + action + ")", async () => {
        if (!state.workaroundID) throw new Error("no Office 2003 Service Pack 1 in this catalog");
        const r = await call("POST", "/updates/" + state.workaroundID + "/" + action, {});
        const a = r.update.approvals.find((x) => x.group === r.group);
        return r.update.title + " is " + a.state + " in " + r.group + " (" + a.deployments.length + " deployment rows)";
      });
    });
  }
  $("switch").addEventListener("click", (ev) => act(ev.currentTarget, "Switch scenario", async () => {
    const info = await call("PUT", "/scenario", { name: $("scenario").value });
    return "now serving " + info.scenario + " (" + info.product + " " + info.version + ")";
  }));
  $("reset").addEventListener("click", (ev) => act(ev.currentTarget, "Reset", async () => {
    const info = await call("POST", "/reset", {});
    state.runs = [];
    await reload();
    return info.scenario + " restored; fault rules and journal cleared";
  }));
  $("inject").addEventListener("click", (ev) => act(ev.currentTarget, "Inject fault", async () => {
    const rule = await call("POST", "/faults", { operation: $("fault-op").value, error_code: $("fault-code").value, times: 1 });
    return "rule " + rule.id + ": the next " + rule.operation + " answers " + rule.error_code;
  }));
}

// loadProfiles fills the profile list once the page may read the API.
async function loadProfiles() {
  if ($("profile").options.length) return;
  const p = await call("GET", "/profiles");
  for (const n of p.profiles) $("profile").append(el("option", {}, n));
  $("profile").value = p.profiles.includes("xp-sp3-office2003") ? "xp-sp3-office2003" : p.profiles[0];
}

function start() {
  wire();
  follow();
}

start();
