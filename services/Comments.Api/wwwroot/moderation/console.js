// Moderator console: plain DOM, no framework. User content is only ever set as textContent, never as HTML.
"use strict";

(() => {
  const REJECT_REASONS = ["spam", "toxic", "off_topic", "personal_info", "other"];
  const QUEUES = ["held", "reported", "pending", "rejected", "approved"];
  const DEFAULT_REJECT_THRESHOLD = 0.9;
  const store = window.sessionStorage;

  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("data-") || key.startsWith("aria-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) if (child != null) node.append(child);
    return node;
  };

  const state = {
    site: null, token: null, view: "held", sort: "priority", article: "",
    items: [], cursor: null, current: -1, selected: new Set(), rejectThreshold: DEFAULT_REJECT_THRESHOLD,
    auditCursor: null,
  };

  // ---------------------------------------------------------------- API
  // Always answers: a network failure or an answer that is not JSON (a proxy's HTML error page) becomes a problem the
  // moderator sees, never a click that silently does nothing.
  async function api(method, path, body) {
    let response, text;
    try {
      response = await fetch(`/api/v1/sites/${encodeURIComponent(state.site)}/moderation/${path}`, {
        method,
        headers: { "Authorization": `Bearer ${state.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      text = await response.text();
    } catch {
      return { status: 0, ok: false, data: { title: "The server could not be reached.", detail: "Check the connection, then Refresh to see the queue as it is now." } };
    }
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch {
      return { status: response.status, ok: false,
        data: { title: `Unexpected answer from the server (HTTP ${response.status}).`, detail: "Try again in a moment, then Refresh to see the queue as it is now." } };
    }
    if (response.status === 401 || response.status === 403) {
      signOut(response.status === 401 ? "The token was not accepted." : "This token is not for this site.");
      throw new Error("unauthorised");
    }
    return { status: response.status, ok: response.ok, data };
  }

  function toast(message, bad = false) {
    const node = $("toast");
    node.textContent = message;
    node.classList.toggle("bad", bad);
    node.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { node.hidden = true; }, bad ? 10000 : 4000); // an error stays long enough to read
  }

  function problemText(data) {
    if (!data) return "Request failed.";
    const fields = data.errors ? Object.entries(data.errors).map(([f, m]) => `${f}: ${m.join(" ")}`).join("\n") : "";
    return [data.title, data.detail, fields].filter(Boolean).join("\n");
  }

  // ---------------------------------------------------------------- sign in
  function signOut(message) {
    store.removeItem("moderation.token");
    state.token = null;
    $("console").hidden = true;
    $("sign-out").hidden = true;
    $("whoami").textContent = "";
    $("sign-in").hidden = false;
    $("sign-in-error").textContent = message || "";
  }

  async function signIn(site, token) {
    state.site = site;
    state.token = token;
    store.setItem("moderation.site", site);
    store.setItem("moderation.token", token);
    $("sign-in").hidden = true;
    $("console").hidden = false;
    $("sign-out").hidden = false;
    $("whoami").textContent = `site ${site}`;
    await loadThreshold();
    await show(state.view);
  }

  async function loadThreshold() {
    try {
      const { ok, data } = await api("GET", "settings");
      const reject = ok && data && data.thresholds ? findReject(data.thresholds) : null;
      state.rejectThreshold = typeof reject === "number" ? reject : DEFAULT_REJECT_THRESHOLD;
    } catch { state.rejectThreshold = DEFAULT_REJECT_THRESHOLD; }
  }

  // thresholds: {"toxicityReject": 0.9, "spamReject": 0.95, ...}; the lowest reject threshold blurs.
  function findReject(thresholds) {
    const values = Object.entries(thresholds)
      .filter(([key, value]) => key.endsWith("Reject") && typeof value === "number")
      .map(([, value]) => value);
    return values.length ? Math.min(...values) : null;
  }

  // ---------------------------------------------------------------- views
  async function show(view) {
    state.view = view;
    for (const tab of document.querySelectorAll(".tab")) tab.setAttribute("aria-selected", String(tab.dataset.view === view));
    $("queue-view").hidden = !QUEUES.includes(view);
    $("bans-view").hidden = view !== "bans";
    $("audit-view").hidden = view !== "audit";
    $("settings-view").hidden = view !== "settings";
    if (QUEUES.includes(view)) await loadQueue(false);
    else if (view === "bans") await loadBans();
    else if (view === "audit") await loadAudit(false);
    else if (view === "settings") await loadSettings();
  }

  async function loadQueue(more) {
    const query = new URLSearchParams({ state: state.view, sort: state.sort });
    if (state.article) query.set("articleId", state.article);
    if (more && state.cursor) query.set("cursor", state.cursor);
    const { ok, data } = await api("GET", `queue?${query}`);
    if (!ok) { toast(problemText(data), true); return; }
    for (const [name, count] of Object.entries(data.counts)) {
      const badge = document.querySelector(`[data-count="${name}"]`);
      if (badge) badge.textContent = String(count);
    }
    if (!more) {
      state.items = [];
      state.selected.clear();
      $("cards").replaceChildren();
      state.current = -1;
    }
    state.cursor = data.nextCursor;
    for (const item of data.items) {
      state.items.push(item);
      $("cards").append(card(item));
    }
    const articles = new Set(state.items.map((i) => i.articleId));
    $("article-ids").replaceChildren(...[...articles].map((a) => el("option", { value: a })));
    $("empty").hidden = state.items.length > 0;
    $("more").hidden = !state.cursor;
    // One short sentence for screen readers, not every card read out again.
    $("queue-status").textContent = `${state.items.length} of ${data.counts[state.view] ?? state.items.length} ${state.view} comment(s) shown.`;
    updateBulk();
    if (state.current < 0 && state.items.length) focusCard(0);
  }

  function defaultReason(item) {
    const text = item.reasons.join(" ").toLowerCase();
    if (text.includes("link") || (item.reports.reasons && item.reports.reasons.spam)) return "spam";
    if (text.includes("banned word") || text.includes("toxic") || (item.reports.reasons && item.reports.reasons.abusive)) return "toxic";
    return "other";
  }

  function reasonSelect(selected, label) {
    const select = el("select", { "aria-label": label });
    for (const reason of REJECT_REASONS) select.append(el("option", { value: reason, text: reason.replace("_", " "), selected: reason === selected }));
    return select;
  }

  function card(item) {
    const maxScore = Math.max(0, ...Object.values(item.scores));
    const body = el("div", { class: "body", text: item.body, "data-role": "body" });
    // The worker's reasons name the threshold it used ("toxicity 0.94 ≥ reject threshold 0.54"); the site's stored
    // thresholds (state.rejectThreshold) cover sites that set their own.
    if (maxScore >= state.rejectThreshold || item.reasons.some((r) => r.includes("reject threshold"))) {
      body.classList.add("blurred");
      body.title = "Scored above the reject threshold: click to reveal";
      body.addEventListener("click", () => body.classList.remove("blurred"), { once: true });
    }

    const scores = el("div", {}, el("strong", { text: "Scores" }));
    const entries = Object.entries(item.scores);
    if (!entries.length) scores.append(el("div", { class: "muted", text: "none" }));
    for (const [name, value] of entries) {
      const fill = el("span");
      fill.style.width = `${Math.round(Math.min(1, Math.max(0, value)) * 100)}%`;
      const bar = el("div", { class: `bar ${value >= state.rejectThreshold ? "high" : value >= 0.5 ? "mid" : ""}`, role: "meter",
        "aria-valuemin": "0", "aria-valuemax": "1", "aria-valuenow": String(value), "aria-label": name }, fill);
      scores.append(el("div", { class: "score" }, el("span", { text: name }), bar, el("span", { text: value.toFixed(2) })));
    }

    const reasons = el("div", {}, el("strong", { text: "Reasons" }),
      item.reasons.length ? el("ul", { class: "reasons" }, ...item.reasons.map((r) => el("li", { text: r }))) : el("div", { class: "muted", text: "none" }));

    const reportEntries = Object.entries(item.reports.reasons || {});
    const reports = el("div", {}, el("strong", { text: `Reports (${item.reports.count})` }),
      reportEntries.length ? el("ul", { class: "reports" }, ...reportEntries.map(([r, n]) => el("li", { text: `${r.replace("_", " ")}: ${n}` })))
        : el("div", { class: "muted", text: "none" }));

    const history = item.authorHistory;
    const author = el("div", {}, el("strong", { text: "Author" }),
      el("div", { text: history ? `${history.approved} approved, ${history.rejected} rejected${history.banned ? ", banned" : ""}` : "anonymous (no author key)" }));
    if (item.lastAction) {
      author.append(el("div", { class: "muted", text: `last: ${item.lastAction.action} by ${item.lastAction.actor}${item.lastAction.reason ? ` (${item.lastAction.reason})` : ""}` }));
    }

    const select = el("input", { type: "checkbox", "aria-label": "Select for bulk action" });
    select.addEventListener("change", () => toggleSelected(item.id, select.checked));
    const reason = reasonSelect(defaultReason(item), "Reject reason");
    reason.dataset.role = "reason";
    // Only the actions that change something: no Approve in the Approved tab, no Reject in the Rejected one.
    const approve = el("button", { type: "button", class: "approve", text: "Approve (a)", hidden: item.status === "approved" });
    approve.addEventListener("click", () => decide(item, "approve"));
    const reject = el("button", { type: "button", class: "reject", text: "Reject (r)", hidden: item.status === "rejected" });
    reject.addEventListener("click", () => decide(item, "reject"));
    reason.hidden = item.status === "rejected";

    const actions = el("div", { class: "actions" }, select, approve, reason, reject);
    if (item.authorKey && !(history && history.banned)) {
      const duration = el("select", { "aria-label": "Ban duration" },
        el("option", { value: "24", text: "24 hours" }), el("option", { value: "168", text: "7 days" }),
        el("option", { value: "720", text: "30 days" }), el("option", { value: "", text: "permanently" }));
      const ban = el("button", { type: "button", text: "Ban author" });
      ban.addEventListener("click", () => banAuthor(item, duration.value, duration.selectedOptions[0].text));
      actions.append(duration, ban);
    }

    const title = item.articleTitle || item.articleId;
    const article = item.articleUrl ? el("a", { class: "article", href: item.articleUrl, target: "_blank", rel: "noopener noreferrer", text: title })
      : el("span", { class: "article", text: title });
    const node = el("li", { class: "card", tabIndex: -1, "data-id": item.id, "data-status": item.status },
      el("header", {}, el("span", { class: "author", text: item.authorName }), article,
        el("time", { class: "muted", dateTime: item.createdAt, text: new Date(item.createdAt).toLocaleString() }),
        el("span", { class: "muted", text: `risk ${item.risk}` })),
      body,
      el("div", { class: "meta" }, scores, reasons, reports, author),
      actions);
    node.addEventListener("focusin", () => { state.current = state.items.findIndex((i) => i.id === item.id); markCurrent(); });
    return node;
  }

  function cardNode(id) { return document.querySelector(`.card[data-id="${id}"]`); }

  function markCurrent() {
    for (const node of document.querySelectorAll(".card.current")) node.classList.remove("current");
    const item = state.items[state.current];
    if (item) cardNode(item.id).classList.add("current");
  }

  function focusCard(index) {
    if (!state.items.length) return;
    state.current = Math.max(0, Math.min(state.items.length - 1, index));
    const node = cardNode(state.items[state.current].id);
    node.focus();
    node.scrollIntoView({ block: "nearest" });
    markCurrent();
  }

  function toggleSelected(id, on) {
    if (on) state.selected.add(id); else state.selected.delete(id);
    const box = cardNode(id) && cardNode(id).querySelector("input[type=checkbox]");
    if (box) box.checked = on;
    updateBulk();
  }

  function updateBulk() {
    $("bulk-bar").hidden = state.selected.size === 0;
    $("bulk-count").textContent = `${state.selected.size} selected`;
  }

  function markDone(id, status) {
    const node = cardNode(id);
    if (!node) return;
    node.classList.add("done");
    node.dataset.status = status;
    for (const control of node.querySelectorAll("button, select, input")) control.disabled = true;
    state.selected.delete(id);
    updateBulk();
  }

  // ---------------------------------------------------------------- actions
  async function decide(item, action) {
    const node = cardNode(item.id);
    // Once per card at a time (a key pressed twice sends one request), and never the change to the status it has.
    if (!node || node.classList.contains("done") || node.dataset.busy || item.status === (action === "approve" ? "approved" : "rejected")) return;
    node.dataset.busy = "true";
    try {
      const body = { expectedStatus: item.status };
      if (action === "reject") body.reason = node.querySelector("[data-role=reason]").value;
      const { status, data } = await api("POST", `comments/${item.id}/${action}`, body);
      if (status === 200) {
        markDone(item.id, data.status);
        toast(`${action === "approve" ? "Approved" : "Rejected"}: ${item.authorName}`);
        adjustCount(item.status, -1);
        adjustCount(data.status, +1);
        // On to the next card, unless the moderator has moved on meanwhile.
        if (state.items[state.current] && state.items[state.current].id === item.id) focusCard(state.current + 1);
      } else if (status === 409) {
        toast(`Changed meanwhile: the comment is now ${data.currentStatus}.`, true);
        markDone(item.id, data.currentStatus);
      } else {
        toast(problemText(data), true);
      }
    } finally {
      delete node.dataset.busy;
    }
  }

  async function bulk(action) {
    const ids = [...state.selected];
    if (!ids.length) return;
    const body = { ids, expectedStatus: state.view };
    if (action === "reject") body.reason = $("bulk-reason").value;
    const { ok, data } = await api("POST", `comments/bulk/${action}`, body);
    if (!ok) { toast(problemText(data), true); return; }
    let stale = 0, undone = 0;
    for (const result of data.results) {
      if (result.status === 200 || result.status === 409) markDone(result.id, result.commentStatus);
      if (result.status === 503) undone++;
      else if (result.status !== 200) stale++;
    }
    toast(`${data.applied} ${action === "approve" ? "approved" : "rejected"}${stale ? `, ${stale} changed meanwhile or gone` : ""}`
      + `${undone ? `, ${undone} not decided (the server did not answer in time; try again)` : ""}.`, stale + undone > 0);
    await loadQueue(false);
  }

  async function banAuthor(item, hours, durationText) {
    // A ban also rejects every comment of the author still waiting: worth a second look before it happens.
    if (!window.confirm(`Ban ${item.authorName} ${hours ? `for ${durationText}` : "permanently"} and reject their comments still waiting for moderation?`)) return;
    const body = { authorKey: item.authorKey, rejectPending: true, durationHours: hours ? Number(hours) : null };
    const { status, data } = await api("POST", "bans", body);
    if (status === 201) {
      toast(`Banned ${item.authorName}${data.expiresAt ? ` until ${new Date(data.expiresAt).toLocaleString()}` : " permanently"}; ${data.rejectedCommentIds.length} waiting comment(s) rejected.`);
      await loadQueue(false);
    } else {
      toast(problemText(data), true);
    }
  }

  function adjustCount(name, delta) {
    const badge = document.querySelector(`[data-count="${name}"]`);
    if (badge) badge.textContent = String(Math.max(0, Number(badge.textContent) + delta));
  }

  // ---------------------------------------------------------------- bans, audit, settings
  async function loadBans() {
    const { ok, data } = await api("GET", "bans");
    if (!ok) { toast(problemText(data), true); return; }
    $("bans").replaceChildren(...data.items.map((ban) => {
      const lift = el("button", { type: "button", text: "Lift" });
      lift.addEventListener("click", async () => {
        const result = await api("POST", `bans/${ban.id}/lift`);
        toast(result.ok ? "Ban lifted." : problemText(result.data), !result.ok);
        await loadBans();
      });
      // A site's user id is meaningful to the newsroom; an email hash only needs to be told apart.
      const who = ban.authorKind === "user" ? `user ${ban.userId}` : `email ${ban.authorKey.slice(0, 16)}…`;
      return el("li", {}, el("code", { text: who }),
        el("span", { text: ban.expiresAt ? `until ${new Date(ban.expiresAt).toLocaleString()}` : "permanent" }),
        el("span", { class: "muted", text: `by ${ban.createdBy}${ban.reason ? `: ${ban.reason}` : ""}` }), lift);
    }));
    $("bans-empty").hidden = data.items.length > 0;
  }

  async function loadAudit(more) {
    const query = more && state.auditCursor ? `?cursor=${encodeURIComponent(state.auditCursor)}` : "";
    const { ok, data } = await api("GET", `audit${query}`);
    if (!ok) { toast(problemText(data), true); return; }
    if (!more) $("audit").replaceChildren();
    state.auditCursor = data.nextCursor;
    for (const entry of data.items) {
      $("audit").append(el("li", { "data-action": entry.action },
        el("time", { class: "muted", dateTime: entry.at, text: new Date(entry.at).toLocaleString() }),
        el("strong", { text: entry.actor }),
        el("span", { text: entry.action.replace("_", " ") }),
        entry.commentId ? el("code", { text: entry.commentId }) : null,
        entry.before || entry.after ? el("span", { text: `${entry.before ?? "–"} → ${entry.after ?? "–"}` }) : null,
        entry.reason ? el("span", { text: `reason: ${entry.reason}` }) : null,
        entry.note ? el("span", { class: "muted", text: `“${entry.note}”` }) : null));
    }
    $("audit-more").hidden = !state.auditCursor;
  }

  async function loadSettings() {
    const { ok, data } = await api("GET", "settings");
    $("settings-errors").textContent = "";
    if (ok) $("settings-json").value = JSON.stringify(data, null, 2);
    else toast(problemText(data), true);
  }

  async function saveSettings() {
    let body;
    try { body = JSON.parse($("settings-json").value); } catch (e) { $("settings-errors").textContent = `Not valid JSON: ${e.message}`; return; }
    const { ok, data } = await api("PUT", "settings", body);
    $("settings-errors").textContent = ok ? "" : problemText(data);
    if (ok) { toast("Settings saved."); $("settings-json").value = JSON.stringify(data, null, 2); await loadThreshold(); }
  }

  // ---------------------------------------------------------------- keyboard
  function onKey(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || !QUEUES.includes(state.view) || $("console").hidden) return;
    const tag = event.target.tagName;
    if (tag === "INPUT" && event.target.type !== "checkbox" || tag === "TEXTAREA" || tag === "SELECT") return;
    const item = state.items[state.current];
    switch (event.key) {
      case "j": focusCard(state.current + 1); break;
      case "k": focusCard(state.current - 1); break;
      case "a": if (item && !cardNode(item.id).classList.contains("done")) decide(item, "approve"); break;
      case "r": if (item && !cardNode(item.id).classList.contains("done")) decide(item, "reject"); break;
      case "x": if (item) toggleSelected(item.id, !state.selected.has(item.id)); break;
      case "v": if (item) cardNode(item.id).querySelector("[data-role=body]").classList.remove("blurred"); break;
      default: return;
    }
    event.preventDefault();
  }

  // ---------------------------------------------------------------- wiring
  function init() {
    for (const reason of REJECT_REASONS) $("bulk-reason").append(el("option", { value: reason, text: reason.replace("_", " ") }));
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
    $("sign-in-form").addEventListener("submit", (event) => {
      event.preventDefault();
      signIn($("site-input").value.trim(), $("token-input").value.trim());
      $("token-input").value = "";
    });
    $("sign-out").addEventListener("click", () => signOut());
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      state.article = $("article-filter").value.trim();
      state.sort = $("sort").value;
      loadQueue(false);
    });
    $("refresh").addEventListener("click", () => loadQueue(false));
    $("more").addEventListener("click", () => loadQueue(true));
    $("audit-more").addEventListener("click", () => loadAudit(true));
    $("bulk-approve").addEventListener("click", () => bulk("approve"));
    $("bulk-reject").addEventListener("click", () => bulk("reject"));
    $("bulk-clear").addEventListener("click", () => { for (const id of [...state.selected]) toggleSelected(id, false); });
    $("settings-save").addEventListener("click", saveSettings);
    document.addEventListener("keydown", onKey);

    const site = new URLSearchParams(location.search).get("site") || store.getItem("moderation.site");
    const token = store.getItem("moderation.token");
    if (site) $("site-input").value = site;
    if (site && token) signIn(site, token).catch(() => {});
    else signOut();
  }

  init();
})();
