// Pieces shared by the pages: HTTP API, status indicator, copy buttons,
// notices, remembered workshops.

import { h } from './dom.js';
import { t, onLangChange } from './i18n.js';
import { safeStorage } from './util.js';

export const local = safeStorage(() => globalThis.localStorage);

// ---- HTTP API ---------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

// key: the facilitator key, sent as a bearer token (never in the URL).
export async function api(method, path, body, { key = null } = {}) {
  let res;
  const headers = body ? { 'Content-Type': 'application/json' } : {};
  if (key) headers.Authorization = `Bearer ${key}`;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new ApiError(0, 'network', String(err));
  }
  let data = null;
  try { data = await res.json(); } catch { data = null; }
  if (!res.ok) {
    const e = (data && data.error) || {};
    throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || res.statusText);
  }
  return data;
}

const wsPath = (code) => `/api/workshops/${encodeURIComponent(code)}`;
export const getWorkshop = (code) => api('GET', wsPath(code));
export const getBoard = (board, code) => api('GET', `/api/boards/${encodeURIComponent(board)}?key=${encodeURIComponent(code)}`);
// The facilitator's actions (server/PROTOCOL.md, "The facilitator's actions").
export const patchWorkshop = (code, key, body) => api('PATCH', wsPath(code), body, { key });
export const closeWorkshop = (code, key, closed) => api('POST', `${wsPath(code)}/close`, { closed }, { key });
export const deleteWorkshop = (code, key) => api('DELETE', wsPath(code), null, { key });
// Downloads: a group's fiche with the code, the whole workshop with the key.
export const exportURL = (board, code, format, lang) => `/api/boards/${encodeURIComponent(board)}/export.${format}?key=${encodeURIComponent(code)}&lang=${lang === 'en' ? 'en' : 'fr'}`;
export const archiveURL = (code, key) => `${wsPath(code)}/archive.zip?key=${encodeURIComponent(key)}`;
export const printURL = (code, board) => `/print/${encodeURIComponent(code)}/${encodeURIComponent(board)}`;
export const projectionURL = (code, board) => `/wall/${encodeURIComponent(code)}${board ? `#b=${encodeURIComponent(board)}` : ''}`;
export const writeForGroupURL = (code, key, group) => `/f/${encodeURIComponent(code)}#k=${encodeURIComponent(key)}&g=${encodeURIComponent(group)}`;
export const createWorkshop = (title, groups) => api('POST', '/api/workshops', { title, groups });
export const qrURL = (code) => `/api/workshops/${encodeURIComponent(code)}/qr.svg`;
export const joinURL = (code) => `${location.origin}/j/${encodeURIComponent(code)}`;
export const facilitatorURL = (code, key) => `${location.origin}/f/${encodeURIComponent(code)}#k=${encodeURIComponent(key)}`;
export const wallURL = (code) => `${location.origin}/wall/${encodeURIComponent(code)}`;

// ---- Remembered workshops (facilitator links, on this browser only) --------

const WORKSHOPS_KEY = 'tablee:workshops';

export function savedWorkshops() {
  const list = local.getJSON(WORKSHOPS_KEY);
  return Array.isArray(list) ? list.filter((w) => w && w.code && w.key) : [];
}

export function rememberWorkshop({ code, key, title }) {
  const list = savedWorkshops().filter((w) => w.code !== code);
  list.unshift({ code, key, title, at: Date.now() });
  local.setJSON(WORKSHOPS_KEY, list.slice(0, 30));
}

export function forgetWorkshop(code) {
  local.setJSON(WORKSHOPS_KEY, savedWorkshops().filter((w) => w.code !== code));
}

export function keyFor(code) {
  const w = savedWorkshops().find((x) => x.code === code);
  return w ? w.key : null;
}

// The join code, large, in two halves that are easy to read out loud
// ("4DK4 CH42"); its textContent stays the code itself.
export function bigCode(code) {
  const half = Math.ceil(code.length / 2);
  return h('p', { class: 'big-code' },
    h('span', { text: code.slice(0, half) }), h('span', { text: code.slice(half) }));
}

// ---- Status indicator ---------------------------------------------------------

const STATUS_KEYS = {
  saved: 'status.saved',
  sending: 'status.sending',
  offline: 'status.offline',
  degraded: 'status.degraded',
  connecting: 'status.connecting',
  readonly: 'status.readonly',
};

export function statusIndicator() {
  const label = h('span', { class: 'status-label' });
  const el = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, h('span', { class: 'status-dot', 'aria-hidden': 'true' }), label);
  let current = null;
  const set = (state) => {
    current = state;
    el.dataset.state = state;
    label.textContent = t(STATUS_KEYS[state] || 'status.offline');
  };
  onLangChange(() => { if (current) set(current); });
  set('connecting');
  return { el, set, get state() { return current; } };
}

// ---- Copy to clipboard ----------------------------------------------------------

export async function copyText(text) {
  try {
    if (navigator.clipboard && globalThis.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back below */ }
  // Plain http on a local network has no Clipboard API: the old way.
  const ta = h('textarea', { class: 'offscreen', readonly: true, 'aria-hidden': 'true' });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

export function copyButton(getText, labelKey = 'common.copy') {
  const btn = h('button', { type: 'button', class: 'btn btn-small btn-copy', i18n: labelKey });
  let timer = null;
  btn.addEventListener('click', async () => {
    const ok = await copyText(getText());
    btn.textContent = t(ok ? 'common.copied' : 'common.copyFailed');
    btn.dataset.copied = ok ? 'yes' : 'no';
    clearTimeout(timer);
    timer = setTimeout(() => { btn.textContent = t(labelKey); delete btn.dataset.copied; }, 2000);
  });
  return btn;
}

// A read-only field with the link, selectable on a phone, plus a copy button.
export function linkField(url, labelKey, { secret = false } = {}) {
  const id = `link-${Math.random().toString(36).slice(2)}`;
  const input = h('input', { id, class: ['link-input', secret && 'secret'], type: 'text', readOnly: true, value: url, spellcheck: 'false' });
  input.addEventListener('focus', () => input.select());
  return h('div', { class: 'link-field' },
    h('label', { for: id, i18n: labelKey }),
    h('div', { class: 'link-row' }, input, copyButton(() => url)));
}

// ---- Notices -----------------------------------------------------------------

let toastRegion = null;

// A message that stays until dismissed (errors) or fades (info).
export function notify(message, { kind = 'info', timeout = kind === 'error' ? 0 : 6000 } = {}) {
  if (!toastRegion) {
    toastRegion = h('div', { class: 'toasts', 'aria-live': 'polite' });
    document.body.append(toastRegion);
  }
  const close = h('button', { type: 'button', class: 'toast-close', i18nAriaLabel: 'common.close' }, '×');
  const box = h('div', { class: ['toast', `toast-${kind}`], role: kind === 'error' ? 'alert' : 'status' },
    h('p', { text: message }), close);
  const remove = () => box.remove();
  close.addEventListener('click', remove);
  toastRegion.append(box);
  if (timeout) setTimeout(remove, timeout);
  return remove;
}

// notifySyncError tells the user about a connection the server refused
// (origin policy, too many wrong codes); the pages that follow boards share it.
export function notifySyncError(e) {
  if (e.code === 'policy') notify(t('common.errPolicy'), { kind: 'error' });
  if (e.code === 'refused') notify(t('common.errRefused'), { kind: 'error' });
}

export function setTitle(...parts) {
  document.title = [...parts.filter(Boolean), t('app.name')].join(' · ');
}

// After a close 4004 (a board this page follows was deleted): the workshop
// as it is now, or null if it was deleted (only a group may have gone).
export async function workshopAfterDelete(code) {
  for (let i = 0; ; i++) {
    try {
      return await getWorkshop(code);
    } catch (err) {
      if (err.status === 404 || i >= 3) return null;
      await new Promise((r) => { setTimeout(r, 1500); });
    }
  }
}

// The workshop was deleted (close 4004, or its page is gone): say it once,
// nothing reconnects.
export function deletedPage(root) {
  messagePage(root, 'deleted.title', 'deleted.text');
  setTitle(t('deleted.title'));
}

// GROUP_NAME_MAX is the server's bound on a group's name (UTF-16 units).
export const GROUP_NAME_MAX = 80;

// groupRow appends to list an editable group name with its remove button
// (landing's create form and the control room's preparation share it):
// removing moves the focus to a neighbour and renumbers. It returns the
// input.
export function groupRow(list, renumber, { value = '', dataset, extra = null } = {}) {
  const input = h('input', { type: 'text', maxlength: GROUP_NAME_MAX, value, autocomplete: 'off', on: { input: renumber } });
  const remove = h('button', { type: 'button', class: 'btn btn-icon btn-remove' }, '×');
  const row = h('li', { class: 'group-row', dataset }, input, remove, extra);
  remove.addEventListener('click', () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    renumber();
    next?.querySelector('input')?.focus();
  });
  list.append(row);
  renumber();
  return input;
}

// loadWorkshop reads a workshop for a page, or shows why it cannot (not
// found, network, server) and returns null.
export async function loadWorkshop(root, code) {
  root.replaceChildren(h('p', { class: 'loading', i18n: 'common.loading' }));
  try {
    return await getWorkshop(code);
  } catch (err) {
    if (err.status === 404) messagePage(root, 'join.notFoundTitle', 'join.notFoundText', { code });
    else messagePage(root, 'common.errTitle', err.code === 'network' ? 'common.errNetwork' : 'common.errServer', { message: err.message });
    return null;
  }
}

// A full-page message (not found, missing key…).
export function messagePage(root, titleKey, textKey, params, actions = []) {
  root.replaceChildren(h('section', { class: 'panel message-page' },
    h('h1', { text: t(titleKey, params) }),
    h('p', { text: t(textKey, params) }),
    h('p', { class: 'actions' }, actions.length ? actions : h('a', { class: 'btn', href: '/', i18n: 'common.backHome' }))));
}
