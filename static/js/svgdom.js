// Puts scene nodes (mapmodel.js: {tag, attrs, text, children}) into the page
// as SVG elements, and updates them in place on the next render: elements
// are matched by `attrs.key` (else by position and tag), so an actor keeps
// its element — and its keyboard focus — while it moves or is renamed.
// Elements are made with createElementNS; text only ever goes through
// textContent, attributes through setAttribute (no markup is parsed).

export const SVG_NS = 'http://www.w3.org/2000/svg';

const present = (v) => v !== undefined && v !== null && v !== false;

export function renderNode(node, doc = globalThis.document) {
  const e = doc.createElementNS(SVG_NS, node.tag);
  e.__attrs = {};
  patchNode(e, node);
  return e;
}

export function patchNode(e, node) {
  const old = e.__attrs || {};
  const next = node.attrs || {};
  for (const k of Object.keys(old)) {
    if (k !== 'key' && present(old[k]) && !present(next[k])) e.removeAttribute(k);
  }
  for (const [k, v] of Object.entries(next)) {
    if (k === 'key' || !present(v)) continue;
    const s = String(v);
    if (old[k] === undefined || String(old[k]) !== s) e.setAttribute(k, s);
  }
  e.__attrs = next;
  if (node.text !== undefined) {
    if (e.childElementCount || e.textContent !== node.text) e.textContent = node.text;
  } else {
    patchChildren(e, node.children || []);
  }
}

const keyOf = (n, i) => (n.attrs && present(n.attrs.key) ? `k:${n.attrs.key}` : `i:${i}:${n.tag}`);

export function patchChildren(parent, nodes) {
  const doc = parent.ownerDocument;
  const wanted = new Set(nodes.map(keyOf));
  const existing = new Map();
  // Drop what goes away first, so that the elements that stay are not moved
  // around (moving a focused element would blur it).
  for (const c of [...parent.childNodes]) {
    if (c.nodeType === 1 && c.__key && wanted.has(c.__key) && !existing.has(c.__key)) existing.set(c.__key, c);
    else c.remove();
  }
  nodes.forEach((n, i) => {
    const key = keyOf(n, i);
    let c = existing.get(key);
    if (c && c.localName === n.tag) {
      existing.delete(key);
      patchNode(c, n);
    } else {
      if (c) { existing.delete(key); c.remove(); }
      c = renderNode(n, doc);
      c.__key = key;
    }
    const at = parent.childNodes[i];
    if (at !== c) parent.insertBefore(c, at || null);
  });
  for (const c of existing.values()) c.remove();
}

// A standalone <svg> element from a scene node (icons in buttons, legends).
export function svgIcon(node, doc = globalThis.document) {
  return renderNode(node, doc);
}
