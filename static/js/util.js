// Small pure helpers shared by the pages. No DOM access at import time.

// A v4 uuid. crypto.randomUUID only exists in secure contexts (https or
// localhost); a workshop room often reaches the server over plain http on the
// local network, so fall back to getRandomValues, which exists everywhere.
export function uuid(cryptoImpl = globalThis.crypto) {
  if (cryptoImpl && typeof cryptoImpl.randomUUID === 'function') {
    try { return cryptoImpl.randomUUID(); } catch { /* insecure context */ }
  }
  const b = new Uint8Array(16);
  if (cryptoImpl && typeof cryptoImpl.getRandomValues === 'function') {
    cryptoImpl.getRandomValues(b);
  } else {
    for (let i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// A join code as typed by a person: any case, with spaces, dashes or dots
// the facilitator may have read out ("ab3-k9z" → "AB3K9Z").
export function normalizeCode(input) {
  return String(input || '').toUpperCase().replace(/[\s\-_.·‐‑–—]/g, '');
}

// Reads "#k=KEY" (and any other fragment params) without sending anything
// to the server.
export function fragmentParams(hash) {
  return new URLSearchParams(String(hash || '').replace(/^#/, ''));
}

// Number of characters as a person counts them (an emoji is one).
export function charCount(text) {
  if (!text) return 0;
  if (typeof Intl !== 'undefined' && Intl.Segmenter) {
    let n = 0;
    // eslint-disable-next-line no-unused-vars
    for (const _ of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) n++;
    return n;
  }
  return [...text].length;
}

// Exponential backoff with jitter, capped: attempt 0 → ~250 ms, then doubling,
// never above maxMs. The jitter keeps a whole room from reconnecting in step
// after the Wi-Fi comes back.
export function backoffDelay(attempt, { baseMs = 250, maxMs = 5000, random = Math.random } = {}) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 20));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

// Calls fn at most once per `ms`, always with the latest arguments, and makes
// sure the last call goes through (leading + trailing).
export function throttle(fn, ms, { now = () => Date.now(), setTimer = setTimeout, clearTimer = clearTimeout } = {}) {
  let last = -Infinity;
  let timer = null;
  let lastArgs = null;
  const run = () => {
    timer = null;
    last = now();
    const args = lastArgs;
    lastArgs = null;
    fn(...args);
  };
  const throttled = (...args) => {
    lastArgs = args;
    const wait = last + ms - now();
    if (wait <= 0 && !timer) run();
    else if (!timer) timer = setTimer(run, Math.max(0, wait));
  };
  throttled.flush = () => { if (timer) { clearTimer(timer); run(); } };
  throttled.cancel = () => { if (timer) clearTimer(timer); timer = null; lastArgs = null; };
  return throttled;
}

// Minimal event emitter (EventTarget would do, but this also runs in node
// tests and keeps listeners' return values out of the way).
export class Emitter {
  constructor() { this._listeners = new Map(); }
  on(type, fn) {
    if (!this._listeners.has(type)) this._listeners.set(type, new Set());
    this._listeners.get(type).add(fn);
    return () => this._listeners.get(type)?.delete(fn);
  }
  emit(type, detail) {
    const set = this._listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try { fn(detail); } catch (err) { console.error(err); }
    }
  }
}

// localStorage / sessionStorage that may be missing or full (private mode,
// quota): never let storage break the editor.
export function safeStorage(getStorage) {
  let s = null;
  try { s = getStorage(); } catch { s = null; }
  return {
    get(key) { try { return s ? s.getItem(key) : null; } catch { return null; } },
    set(key, value) { try { if (s) s.setItem(key, value); return true; } catch { return false; } },
    remove(key) { try { if (s) s.removeItem(key); } catch { /* ignore */ } },
    keys() {
      try {
        if (!s) return [];
        const out = [];
        for (let i = 0; i < s.length; i++) out.push(s.key(i));
        return out;
      } catch { return []; }
    },
    getJSON(key) {
      const v = this.get(key);
      if (v == null) return null;
      try { return JSON.parse(v); } catch { return null; }
    },
    setJSON(key, value) { return this.set(key, JSON.stringify(value)); },
  };
}
