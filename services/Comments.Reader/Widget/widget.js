/*! Comments widget: renders an article's thread and the post form in a Shadow DOM. No dependencies. */
(() => {
  'use strict';

  const script = document.currentScript || document.querySelector('script[src*="widget.js"][data-site]');
  if (!script) return;

  const MAX_BODY = 5000;
  const MAX_NAME = 80;
  const MAX_DEPTH = 3;
  const site = script.dataset.site;
  const article = script.dataset.article;
  const reader = new URL(script.src, location.href).origin;
  const api = (script.dataset.api || '__COMMENTS_API__').replace(/\/$/, '');
  const langs = {
    en: {
      count: (n) => (n === 1 ? '1 Comment' : `${n} Comments`),
      sort: 'Sort', oldest: 'Oldest first', newest: 'Newest first', more: 'Load more comments',
      reply: 'Reply', replyTo: (n) => `Reply to ${n}`, inReplyTo: (n) => `in reply to ${n}`, cancel: 'Cancel',
      formTitle: 'Join the discussion', as: (n) => `Commenting as ${n}`, name: 'Name', email: 'Email (optional, never shown)', body: 'Comment',
      post: 'Post comment', posting: 'Posting…', counter: (n) => `${n} / ${MAX_BODY}`,
      pending: 'Awaiting moderation — only you can see this for now.',
      notPublished: 'Your comment was not published. Thank you for understanding our community guidelines.',
      required: 'Please fill this in.', tooLong: (m) => `Please keep it under ${m} characters.`,
      badEmail: 'This email address does not look right.', failed: 'Something went wrong. Please try again.',
      loadFailed: 'Comments could not be loaded.', retry: 'Try again', none: 'No comments yet. Be the first.',
      newComment: (n) => `New comment from ${n}`, sent: 'Thanks! Your comment will appear once a moderator has approved it.',
      report: 'Report', reportTo: (n) => `Report the comment by ${n}`, reportWhy: 'Why should moderators look at this?',
      reasons: { spam: 'Spam', abusive: 'Abusive or hateful', off_topic: 'Off topic', other: 'Something else' },
      send: 'Send report', reported: 'Thank you. Our moderators will take a look.',
    },
    de: {
      count: (n) => (n === 1 ? '1 Kommentar' : `${n} Kommentare`),
      sort: 'Sortierung', oldest: 'Älteste zuerst', newest: 'Neueste zuerst', more: 'Weitere Kommentare laden',
      reply: 'Antworten', replyTo: (n) => `Antwort an ${n}`, inReplyTo: (n) => `als Antwort auf ${n}`, cancel: 'Abbrechen',
      formTitle: 'Diskutieren Sie mit', as: (n) => `Sie kommentieren als ${n}`, name: 'Name', email: 'E-Mail (optional, wird nie angezeigt)', body: 'Kommentar',
      post: 'Kommentar senden', posting: 'Wird gesendet…', counter: (n) => `${n} / ${MAX_BODY}`,
      pending: 'Wartet auf Freigabe – vorerst nur für Sie sichtbar.',
      notPublished: 'Ihr Kommentar wurde nicht veröffentlicht. Danke für Ihr Verständnis für unsere Community-Regeln.',
      required: 'Bitte ausfüllen.', tooLong: (m) => `Bitte höchstens ${m} Zeichen.`,
      badEmail: 'Diese E-Mail-Adresse scheint nicht zu stimmen.', failed: 'Etwas ist schiefgegangen. Bitte erneut versuchen.',
      loadFailed: 'Die Kommentare konnten nicht geladen werden.', retry: 'Erneut versuchen', none: 'Noch keine Kommentare. Schreiben Sie den ersten.',
      newComment: (n) => `Neuer Kommentar von ${n}`, sent: 'Danke! Ihr Kommentar erscheint, sobald er freigegeben wurde.',
      report: 'Melden', reportTo: (n) => `Kommentar von ${n} melden`, reportWhy: 'Warum sollte die Moderation das prüfen?',
      reasons: { spam: 'Spam', abusive: 'Beleidigend oder hasserfüllt', off_topic: 'Themenfremd', other: 'Etwas anderes' },
      send: 'Meldung senden', reported: 'Danke. Unsere Moderation sieht sich das an.',
    },
  };
  // A reader the site signed in (SSO): its backend signs a user token; data-sso-token or CommentsWidget.setUser(token).
  let user = null;
  const userForms = new Set();
  const setUser = (token) => {
    try {
      const p = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
      user = { token, name: String(p.name || '') };
    } catch { user = null; }
    userForms.forEach((apply) => apply());
  };
  window.CommentsWidget = Object.assign(window.CommentsWidget || {}, { setUser });
  if (script.dataset.ssoToken) setUser(script.dataset.ssoToken);
  const lang = (script.dataset.lang || document.documentElement.lang || 'en').slice(0, 2).toLowerCase();
  const t = langs[lang] || langs.en;
  const locale = langs[lang] ? lang : 'en';

  const css = `
:host { --comments-font: system-ui, sans-serif; --comments-fg: #1f2328; --comments-bg: #ffffff; --comments-muted: #57606a;
  --comments-accent: #0b57d0; --comments-accent-fg: #ffffff; --comments-border: #d0d7de; --comments-error: #b3261e;
  --comments-pending-bg: #fff8e1; --comments-radius: 6px; --comments-focus: #0b57d0;
  display: block; color: var(--comments-fg); background: var(--comments-bg); font: 1rem/1.5 var(--comments-font); }
@media (prefers-color-scheme: dark) { :host { --comments-fg: #e6edf3; --comments-bg: #0d1117; --comments-muted: #9198a1;
  --comments-accent: #8ab4f8; --comments-accent-fg: #0d1117; --comments-border: #3d444d; --comments-error: #f2b8b5;
  --comments-pending-bg: #3a3000; --comments-focus: #8ab4f8; } }
* { box-sizing: border-box; }
h2 { font-size: 1.25rem; margin: 0 0 .75rem; }
.bar { display: flex; gap: 1rem; align-items: center; justify-content: space-between; flex-wrap: wrap; margin-bottom: .5rem; }
ol { list-style: none; margin: 0; padding: 0; }
ol ol { margin-left: 1.25rem; padding-left: .75rem; border-left: 2px solid var(--comments-border); }
li.c { margin: .75rem 0; }
article { padding: .5rem 0; }
article.pending { background: var(--comments-pending-bg); padding: .5rem; border-radius: var(--comments-radius); }
.meta { color: var(--comments-muted); font-size: .875rem; display: flex; gap: .5rem; flex-wrap: wrap; }
.meta strong { color: var(--comments-fg); }
.body p { margin: .25rem 0; } .body a { color: var(--comments-accent); overflow-wrap: anywhere; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .25rem 0; }
.note { font-size: .875rem; color: var(--comments-muted); margin: .25rem 0; }
button, select, input, textarea { font: inherit; color: inherit; }
button { cursor: pointer; border-radius: var(--comments-radius); border: 1px solid var(--comments-border);
  background: transparent; padding: .25rem .75rem; }
button.primary { background: var(--comments-accent); color: var(--comments-accent-fg); border-color: var(--comments-accent); }
button.link { border: 0; padding: 0; color: var(--comments-accent); text-decoration: underline; font-size: .875rem; }
button:disabled { opacity: .6; cursor: default; }
:focus-visible { outline: 3px solid var(--comments-focus); outline-offset: 2px; }
form { display: grid; gap: .5rem; margin: .75rem 0; padding: .75rem; border: 1px solid var(--comments-border); border-radius: var(--comments-radius); }
label { font-weight: 600; font-size: .875rem; }
input, textarea, select { width: 100%; padding: .4rem; border: 1px solid var(--comments-border); border-radius: var(--comments-radius);
  background: var(--comments-bg); }
select { width: auto; }
textarea { min-height: 6rem; resize: vertical; }
[aria-invalid="true"] { border-color: var(--comments-error); }
.err { color: var(--comments-error); font-size: .875rem; min-height: 0; }
.actions { display: flex; gap: 1rem; }
.row { display: flex; gap: .5rem; align-items: center; justify-content: space-between; flex-wrap: wrap; }
[hidden] { display: none !important; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) if (c) node.append(c);
    return node;
  };
  const codePoints = (s) => [...s].length;
  const storeKey = `comments:pending:${site}:${article}`;
  const loadPending = () => { try { return JSON.parse(sessionStorage.getItem(storeKey)) || []; } catch { return []; } };
  const savePending = (list) => { try { sessionStorage.setItem(storeKey, JSON.stringify(list)); } catch { /* private mode */ } };

  const host = document.getElementById(script.dataset.target || 'comments')
    || script.parentNode.insertBefore(document.createElement('div'), script.nextSibling);
  const root = host.shadowRoot || host.attachShadow({ mode: 'open' });
  root.replaceChildren(el('style', { text: css }));

  const live = el('div', { class: 'sr', 'aria-live': 'polite', role: 'status' });
  const heading = el('h2', { id: 'comments-heading' });
  const sortSelect = el('select', { id: 'sort', onchange: () => { state.sort = sortSelect.value; reload(); } },
    el('option', { value: 'oldest', text: t.oldest }), el('option', { value: 'newest', text: t.newest }));
  const list = el('ol', { 'aria-labelledby': 'comments-heading' });
  const notices = el('div');
  const moreButton = el('button', { type: 'button', hidden: true, onclick: () => loadPage(false) }, t.more);
  const status = el('p', { class: 'note' });
  const section = el('section', { 'aria-labelledby': 'comments-heading' },
    el('div', { class: 'bar' }, heading, el('div', {}, el('label', { for: 'sort', text: t.sort + ' ' }), sortSelect)),
    notices, status, list, moreButton, live);
  root.append(section);

  const state = { sort: 'oldest', cursor: null, total: 0, seen: new Set() };
  const timeFormat = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const exactFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short' });
  const relative = (iso) => {
    const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
    const steps = [[60, 'second'], [3600, 'minute'], [86400, 'hour'], [604800, 'day'], [2629800, 'week'], [31557600, 'month'], [Infinity, 'year']];
    let unit = 1;
    for (const [limit, name] of steps) {
      if (Math.abs(seconds) < limit) return timeFormat.format(Math.round(seconds / unit), name);
      unit = limit;
    }
    return '';
  };
  const timeEl = (iso) => el('time', { datetime: iso, title: exactFormat.format(new Date(iso)), text: relative(iso) });
  setInterval(() => root.querySelectorAll('time').forEach((n) => { n.textContent = relative(n.getAttribute('datetime')); }), 60000);

  const setCount = () => { heading.textContent = t.count(state.total); };
  const names = new Map();

  // Attaches itself before rendering its replies: replies past MAX_DEPTH go into the list that holds it.
  function renderComment(c, depth, parentName, into, atStart = false) {
    state.seen.add(c.id);
    names.set(c.id, c.authorName);
    const body = el('div', { class: 'body' });
    body.innerHTML = c.bodyHtml; // sanitised by the server: escaped text, <p>, <br>, nofollow links
    const replyButton = el('button', { type: 'button', class: 'link', 'aria-label': t.replyTo(c.authorName) }, t.reply);
    const reportButton = el('button', { type: 'button', class: 'link', 'aria-label': t.reportTo(c.authorName) }, t.report);
    const item = el('li', { class: 'c', 'data-id': c.id, 'data-parent': c.parentId },
      el('article', { 'aria-label': c.authorName },
        el('div', { class: 'meta' }, el('strong', { text: c.authorName }), timeEl(c.createdAt),
          depth > MAX_DEPTH && parentName ? el('span', { text: t.inReplyTo(parentName) }) : null),
        body, el('div', { class: 'actions' }, replyButton, reportButton)));
    replyButton.addEventListener('click', () => openReply(item, c));
    reportButton.addEventListener('click', () => openReport(item, c, reportButton));
    item.append(el('ol'));
    if (atStart) into.prepend(item); else into.append(item);
    for (const r of c.replies || []) appendReply(item, r, depth + 1, c.authorName);
    return item;
  }

  // Nesting stops at MAX_DEPTH; deeper replies sit flat in the deepest list with "in reply to".
  function appendReply(parentItem, reply, depth, parentName) {
    const target = depth > MAX_DEPTH ? parentItem.parentElement : parentItem.querySelector(':scope > ol');
    renderComment(reply, depth, parentName, target);
  }

  function depthOf(item) {
    let d = 0;
    for (let n = item; n && n !== list; n = n.parentElement) if (n.tagName === 'LI') d++;
    return d;
  }

  async function loadPage(reset) {
    const params = new URLSearchParams({ sort: state.sort, limit: '50' });
    if (!reset && state.cursor) params.set('cursor', state.cursor);
    moreButton.disabled = true;
    try {
      const res = await fetch(`${reader}/api/v1/sites/${encodeURIComponent(site)}/articles/${encodeURIComponent(article)}/comments?${params}`);
      if (!res.ok) throw new Error(String(res.status));
      const page = await res.json();
      if (reset) { list.replaceChildren(); state.seen.clear(); }
      for (const c of page.comments) renderComment(c, 1, null, list);
      state.cursor = page.nextCursor;
      state.total = page.total;
      setCount();
      status.textContent = state.total === 0 ? t.none : '';
      moreButton.hidden = !state.cursor;
      renderPending();
    } catch {
      status.replaceChildren(t.loadFailed + ' ', el('button', { type: 'button', class: 'link', onclick: reload }, t.retry));
    } finally {
      moreButton.disabled = false;
    }
  }
  const reload = () => { state.cursor = null; loadPage(true); };

  function renderPending() {
    root.querySelectorAll('li.mine').forEach((n) => n.remove());
    for (const p of loadPending()) {
      if (state.seen.has(p.id)) { forget(p.id); continue; }
      const item = el('li', { class: 'c mine', 'data-id': p.id },
        el('article', { class: 'pending', 'aria-label': p.authorName },
          el('div', { class: 'meta' }, el('strong', { text: p.authorName }), timeEl(p.createdAt)),
          el('p', { class: 'text', text: p.body }),
          el('p', { class: 'note', text: t.pending })));
      const parent = p.parentId && root.querySelector(`li[data-id="${CSS.escape(p.parentId)}"]`);
      if (parent) (depthOf(parent) >= MAX_DEPTH ? parent.parentElement : parent.querySelector(':scope > ol')).append(item);
      else if (state.sort === 'newest') list.prepend(item);
      else list.append(item);
    }
  }

  function forget(id) { savePending(loadPending().filter((p) => p.id !== id)); }

  function notPublished(id) {
    if (!loadPending().some((p) => p.id === id)) return;
    forget(id);
    root.querySelector(`li.mine[data-id="${CSS.escape(id)}"]`)?.remove();
    notices.append(el('p', { class: 'note', role: 'status', text: t.notPublished }));
  }

  async function checkPending() {
    for (const p of loadPending()) {
      try {
        const res = await fetch(`${reader}/api/v1/sites/${encodeURIComponent(site)}/comments/${p.id}/status`);
        if (!res.ok) continue;
        const { status: s } = await res.json();
        if (s === 'approved' && !state.seen.has(p.id)) reload();
        else if (s === 'rejected' || s === 'reported') notPublished(p.id);
      } catch { /* offline: try again on the next load */ }
    }
  }

  // A published comment that a moderator rejects or readers' reports pull leaves the page, and with it the replies
  // under it, as a reload would show them (the server hides replies to an unpublished comment; its count still
  // includes them, so only the comment itself is taken off the count). Replies beyond MAX_DEPTH sit beside their
  // parent rather than inside it: they are found by data-parent.
  function withdraw(id) {
    const item = root.querySelector(`li.c[data-id="${CSS.escape(id)}"]:not(.mine)`);
    if (!item) return;
    const gone = new Set([id]);
    for (let grew = true; grew;) {
      grew = false;
      for (const n of root.querySelectorAll('li.c[data-parent]:not(.mine)')) {
        if (gone.has(n.dataset.parent) && !gone.has(n.dataset.id)) { gone.add(n.dataset.id); grew = true; }
      }
    }
    for (const gid of gone) {
      root.querySelector(`li.c[data-id="${CSS.escape(gid)}"]:not(.mine)`)?.remove();
      state.seen.delete(gid); // approved again later, it comes back live
    }
    state.total = Math.max(0, state.total - 1);
    setCount();
  }

  function insertLive(c) {
    if (state.seen.has(c.id)) return;
    forget(c.id);
    root.querySelector(`li.mine[data-id="${CSS.escape(c.id)}"]`)?.remove();
    if (c.parentId) {
      const parent = root.querySelector(`li.c[data-id="${CSS.escape(c.parentId)}"]:not(.mine)`);
      if (!parent) return;
      appendReply(parent, c, depthOf(parent) + 1, names.get(c.parentId));
    } else if (state.sort === 'newest') {
      renderComment(c, 1, null, list, true);
    } else if (!state.cursor) {
      renderComment(c, 1, null, list);
    }
    state.total += 1;
    setCount();
    status.textContent = '';
    live.textContent = t.newComment(c.authorName);
  }

  const decided = new Map();

  let lastId = '', backoff = 1000;
  function connect() {
    if (!window.EventSource) return;
    // A new EventSource sends no Last-Event-ID header: resume through the query instead.
    const source = new EventSource(`${reader}/api/v1/sites/${encodeURIComponent(site)}/articles/${encodeURIComponent(article)}/events`
      + (lastId ? `?lastEventId=${encodeURIComponent(lastId)}` : ''));
    // Exposed on the host element so pages (and tests) can tell live updates are flowing.
    source.addEventListener('open', () => { backoff = 1000; host.setAttribute('data-live', 'connected'); });
    source.addEventListener('error', () => {
      host.setAttribute('data-live', 'reconnecting');
      // The browser gives up for good on an answer that is not a stream (a proxy's 502/503 while a Reader restarts).
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, backoff);
        backoff = Math.min(backoff * 2, 30000);
      }
    });
    const on = (type, handle) => source.addEventListener(type, (e) => { lastId = e.lastEventId || lastId; handle(e); });
    on('approved', (e) => { try { insertLive(JSON.parse(e.data).comment); } catch { /* malformed event */ } });
    on('status', (e) => {
      try {
        const ev = JSON.parse(e.data);
        // The decision can arrive before the author's own POST has answered: remember it for that moment.
        decided.set(ev.commentId, ev.status);
        if (ev.status === 'rejected' || ev.status === 'reported') notPublished(ev.commentId);
        if (ev.status !== 'approved') withdraw(ev.commentId);
      } catch { /* malformed event */ }
    });
  }

  let formCount = 0;
  function buildForm(parent, onDone) {
    const n = ++formCount;
    const field = (id, label, input) => {
      const error = el('div', { class: 'err', id: `${id}-err-${n}` });
      input.id = `${id}-${n}`;
      input.setAttribute('aria-describedby', `${id}-err-${n}`);
      return { box: el('div', {}, el('label', { for: input.id, text: label }), input, error), input, error };
    };
    const name = field('name', t.name, el('input', { type: 'text', autocomplete: 'name', maxlength: String(MAX_NAME), required: true }));
    const email = field('email', t.email, el('input', { type: 'email', autocomplete: 'email', maxlength: '254' }));
    const body = field('body', t.body, el('textarea', { required: true }));
    const counter = el('span', { class: 'note', id: `counter-${n}`, 'aria-live': 'off', text: t.counter(0) });
    body.input.setAttribute('aria-describedby', `body-err-${n} counter-${n}`);
    body.input.addEventListener('input', () => {
      const count = codePoints(body.input.value.trim());
      counter.textContent = t.counter(count);
      body.input.setAttribute('aria-invalid', String(count > MAX_BODY));
    });
    const general = el('div', { class: 'err', role: 'alert' });
    const submit = el('button', { type: 'submit', class: 'primary' }, t.post);
    const fields = { authorName: name, authorEmail: email, body };
    const as = el('p', { class: 'note' });
    const form = el('form', { novalidate: true, 'aria-label': parent ? t.replyTo(parent.authorName) : t.formTitle },
      parent ? null : el('h3', { text: t.formTitle }), as, name.box, email.box, body.box,
      el('div', { class: 'row' }, counter, el('div', {},
        parent ? el('button', { type: 'button', onclick: () => onDone(false) }, t.cancel) : null, ' ', submit)), general);

    const show = (f, message) => {
      f.error.textContent = message || '';
      f.input.setAttribute('aria-invalid', message ? 'true' : 'false');
    };
    const applyUser = () => {
      name.box.hidden = email.box.hidden = !!user;
      as.hidden = !user;
      as.textContent = user ? t.as(user.name) : '';
    };
    applyUser();
    userForms.add(applyUser);
    const check = () => {
      const v = user ? { authorName: user.name, authorEmail: '', body: body.input.value.trim() }
        : { authorName: name.input.value.trim(), authorEmail: email.input.value.trim(), body: body.input.value.trim() };
      show(name, user ? '' : !v.authorName ? t.required : codePoints(v.authorName) > MAX_NAME ? t.tooLong(MAX_NAME) : '');
      show(email, !user && v.authorEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v.authorEmail) ? t.badEmail : '');
      show(body, !v.body ? t.required : codePoints(v.body) > MAX_BODY ? t.tooLong(MAX_BODY) : '');
      return Object.values(fields).every((f) => !f.error.textContent) ? v : null;
    };

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      general.textContent = '';
      const v = check();
      if (!v) { Object.values(fields).find((f) => f.error.textContent)?.input.focus(); return; }
      submit.disabled = true;
      submit.textContent = t.posting;
      try {
        const res = await fetch(`${api}/api/v1/sites/${encodeURIComponent(site)}/articles/${encodeURIComponent(article)}/comments`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', ...(user && { 'X-Comments-User': user.token }) },
          body: JSON.stringify({ authorName: v.authorName, authorEmail: v.authorEmail || null, body: v.body, parentId: parent ? parent.id : null }),
        });
        if (res.status === 202) {
          const { id } = await res.json();
          savePending([...loadPending(), { id, authorName: v.authorName, body: v.body, parentId: parent ? parent.id : null, createdAt: new Date().toISOString() }]);
          if (decided.get(id) === 'rejected' || decided.get(id) === 'reported') setTimeout(() => notPublished(id));
          body.input.value = '';
          counter.textContent = t.counter(0);
          live.textContent = t.sent;
          renderPending();
          onDone(true);
          return;
        }
        const problem = await res.json().catch(() => ({}));
        let shown = false;
        for (const [key, messages] of Object.entries(problem.errors || {})) {
          if (fields[key]) { show(fields[key], messages.join(' ')); shown = true; }
        }
        general.textContent = shown ? '' : (problem.detail || problem.title || t.failed);
      } catch {
        general.textContent = t.failed;
      } finally {
        submit.disabled = false;
        submit.textContent = t.post;
      }
    });
    return { form, focus: () => (user ? body : name).input.focus() };
  }

  function openReport(item, comment, button) {
    const existing = item.querySelector(':scope > form.report');
    if (existing) { existing.querySelector('select').focus(); return; }
    const n = ++formCount;
    const select = el('select', { id: `reason-${n}` },
      ...Object.entries(t.reasons).map(([value, label]) => el('option', { value, text: label })));
    const note = el('div', { class: 'err', role: 'alert' });
    const close = () => { form.remove(); button.focus(); };
    const form = el('form', { class: 'report', 'aria-label': t.reportTo(comment.authorName) },
      el('label', { for: select.id, text: t.reportWhy }), select,
      el('div', { class: 'row' }, el('span'), el('div', {},
        el('button', { type: 'button', onclick: close }, t.cancel), ' ', el('button', { type: 'submit', class: 'primary' }, t.send))), note);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const res = await fetch(`${api}/api/v1/sites/${encodeURIComponent(site)}/comments/${comment.id}/reports`, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: select.value }),
        });
        if (!res.ok) throw new Error(String(res.status));
        form.replaceChildren(el('p', { class: 'note', role: 'status', text: t.reported }));
        button.disabled = true;
      } catch {
        note.textContent = t.failed;
      }
    });
    item.querySelector(':scope > article').after(form);
    select.focus();
  }

  function openReply(item, comment) {
    const existing = item.querySelector(':scope > form:not(.report)');
    if (existing) { existing.querySelector('input').focus(); return; }
    const button = item.querySelector(':scope > article .actions button');
    const { form, focus } = buildForm(comment, () => { form.remove(); button.focus(); });
    item.querySelector(':scope > article').after(form);
    focus();
  }

  section.append(buildForm(null, () => {}).form);
  loadPage(true).then(checkPending);
  connect();
})();
