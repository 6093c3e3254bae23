// DOM building without innerHTML: user text only ever lands in textContent or
// in a form field's value.

import { t } from './i18n.js';

const PROPS = new Set(['value', 'checked', 'disabled', 'readOnly', 'selected', 'required', 'hidden', 'indeterminate']);

// h('button', {class: 'x', i18n: 'key', on: {click: fn}}, child, 'text', …)
//   class      string or array (falsy entries skipped)
//   text       textContent (user text goes here)
//   i18n       a catalogue key for textContent (re-translated on language change)
//   i18nPlaceholder / i18nAriaLabel / i18nTitle / i18nAlt   keys for those attributes
//   on         {event: handler}
//   dataset    {name: value}
//   value, checked, disabled, readOnly, … set as properties
//   anything else is an attribute (true → present, false/null → absent)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') {
        el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
      } else if (k === 'text') {
        el.textContent = String(v);
      } else if (k === 'i18n') {
        el.dataset.i18n = v;
        el.textContent = t(v);
      } else if (k === 'i18nPlaceholder' || k === 'i18nAriaLabel' || k === 'i18nTitle' || k === 'i18nAlt') {
        el.dataset[k] = v;
        const attr = { i18nPlaceholder: 'placeholder', i18nAriaLabel: 'aria-label', i18nTitle: 'title', i18nAlt: 'alt' }[k];
        el.setAttribute(attr, t(v));
      } else if (k === 'on') {
        for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      } else if (k === 'dataset') {
        Object.assign(el.dataset, v);
      } else if (PROPS.has(k)) {
        el[k] = v;
      } else if (k === 'style') {
        throw new Error('no style attributes: the CSP forbids them');
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (typeof c === 'string' || typeof c === 'number') el.append(document.createTextNode(String(c)));
    else el.append(c);
  }
}

let idCounter = 0;
export function uid(prefix = 'id') {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}
