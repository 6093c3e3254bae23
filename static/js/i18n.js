// Interface language: French first, English too.
//
// Every UI string lives once in each catalogue (i18n/fr.js, i18n/en.js).
// Markup carries data-i18n="key" (textContent), data-i18n-placeholder,
// data-i18n-aria-label, data-i18n-title, data-i18n-alt; code builds nodes with
// t('key', {param}). Switching language re-translates the marked nodes and
// tells the pages (onLangChange) to redraw what they computed.

import fr from './i18n/fr.js';
import en from './i18n/en.js';

export const CATALOGUES = { fr, en };
export const LANGS = ['fr', 'en'];
const STORE_KEY = 'tablee:lang';

// fr for anything that is not English.
export function pickLang(stored, navigatorLanguages) {
  if (stored && LANGS.includes(stored)) return stored;
  const first = (navigatorLanguages && navigatorLanguages[0]) || '';
  return /^en\b/i.test(first) ? 'en' : 'fr';
}

function readStored() {
  try { return globalThis.localStorage ? globalThis.localStorage.getItem(STORE_KEY) : null; } catch { return null; }
}

function navLanguages() {
  const nav = globalThis.navigator;
  if (!nav) return [];
  if (nav.languages && nav.languages.length) return nav.languages;
  return nav.language ? [nav.language] : [];
}

let lang = pickLang(readStored(), navLanguages());
const listeners = new Set();

export function getLang() { return lang; }

// t('key', {name: 'Ana'}) → the string with {name} replaced. A missing key
// falls back to French, then to the key itself (visible, so it gets fixed).
export function t(key, params) {
  let s = CATALOGUES[lang][key];
  if (s === undefined) s = CATALOGUES.fr[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, p) => (params[p] !== undefined ? String(params[p]) : m));
  return s;
}

// Plural helper: key.one / key.other.
export function tn(key, count, params = {}) {
  const rule = new Intl.PluralRules(lang).select(count);
  return t(`${key}.${rule === 'one' ? 'one' : 'other'}`, { count, ...params });
}

const ATTRS = [
  ['i18nPlaceholder', 'placeholder'],
  ['i18nAriaLabel', 'aria-label'],
  ['i18nTitle', 'title'],
  ['i18nAlt', 'alt'],
];

// Fills every marked node under root.
export function translate(root = globalThis.document) {
  if (!root) return;
  const all = root.querySelectorAll('[data-i18n],[data-i18n-placeholder],[data-i18n-aria-label],[data-i18n-title],[data-i18n-alt]');
  const nodes = root.nodeType === 1 && root.matches('[data-i18n]') ? [root, ...all] : all;
  for (const el of nodes) {
    if (el.dataset.i18n) el.textContent = t(el.dataset.i18n);
    for (const [prop, attr] of ATTRS) if (el.dataset[prop]) el.setAttribute(attr, t(el.dataset[prop]));
  }
}

export function setLang(next) {
  if (!LANGS.includes(next) || next === lang) return;
  lang = next;
  try { globalThis.localStorage?.setItem(STORE_KEY, next); } catch { /* private mode */ }
  applyDocumentLang();
  translate();
  for (const fn of [...listeners]) {
    try { fn(lang); } catch (err) { console.error(err); }
  }
}

export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function applyDocumentLang() {
  const d = globalThis.document;
  if (d) d.documentElement.lang = lang;
}
