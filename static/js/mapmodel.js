// The ecosystem map ("Carte des acteurs"), pure part: no DOM, no network.
// Unit-tested with node --test (mapmodel.test.js).
//
//   - the vocabulary of the protocol (actor kinds, rings, link kinds) and how
//     each one is drawn: every actor kind has a colour AND a shape, every link
//     kind a line style (solid, dashed, dotted, double, zigzag…), so that the
//     map reads in black and white and for colour-blind people;
//   - the geometry: concentric rings around the project, ring from distance,
//     automatic placement on a ring, link paths (parallel links curve apart,
//     arrows, double lines, zigzags), fit-all bounds, zoom;
//   - the scene: one tree of plain objects {tag, attrs, text, children, key}
//     that the live view patches into the page (createElementNS, textContent)
//     and that the export serialises into a standalone SVG file: one drawing,
//     two outputs;
//   - the undo stack of the user's own changes, and the throttled move stream.

import { NIVEAUX, applyChanges } from './batch.js';
import { throttle } from './util.js';

export { NIVEAUX };

export const ACTOR_KINDS = ['collectivite', 'association', 'entreprise', 'financeur', 'institution', 'habitants', 'reseau', 'autre'];
export const RINGS = ['coeur', 'proche', 'territoire'];
export const LINK_KINDS = ['partenariat', 'financement', 'moyens', 'prestation', 'tension', 'autre'];

// Server limits (server/PROTOCOL.md): checked here first so that the user
// gets a clear message instead of a reject.
export const MAX_ELEMENTS = 1000;
export const MAX_NAME = 200;
export const MAX_NOTE = 2000;
export const MAX_LABEL = 200;
export const MAX_COORD = 100000;
// Drags and arrow keys keep actors within this square (the rings span ±460).
export const LIMIT_COORD = 3000;

// ---- Geometry of the rings (map units; the project is at 0,0) -------------

export const PROJECT_R = 56;
export const RING_R = { coeur: 160, proche: 310, territoire: 460 };
const RING_IN = { coeur: PROJECT_R, proche: RING_R.coeur, territoire: RING_R.proche };
export const NODE_R = 18;

// The ring a point lies in, from its distance to the centre. Beyond the
// outer circle is still "territoire élargi".
export function ringAt(x, y) {
  const d = Math.hypot(x, y);
  if (d < RING_R.coeur) return 'coeur';
  if (d < RING_R.proche) return 'proche';
  return 'territoire';
}

export function ringMid(ring) {
  const r = RINGS.includes(ring) ? ring : 'proche';
  return (RING_IN[r] + RING_R[r]) / 2;
}

const round1 = (v) => Math.round(v * 10) / 10;
const r2 = (v) => Math.round(v * 100) / 100;

export function clampCoord(v) {
  if (!Number.isFinite(v)) return 0;
  return round1(Math.max(-LIMIT_COORD, Math.min(LIMIT_COORD, v)));
}

const finite = (v) => typeof v === 'number' && Number.isFinite(v);

// A stable pseudo-random number in [0, 1) from an id.
export function hashUnit(id) {
  let h = 2166136261;
  const s = String(id);
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return ((h >>> 0) % 100000) / 100000;
}

// A free spot on `ring`: the candidate (12 to 36 angles on three radii of
// the band, the middle one preferred) farthest from every other actor and
// from the rings' names.
// Deterministic: the same inputs give the same spot.
// Where the rings' names are written: placement keeps clear of them.
export const RING_LABEL_SPOTS = RINGS.flatMap((r) => [-50, 0, 50].map((x) => ({ x, y: -RING_R[r] + 20 })));
// Farther than this from everything is free enough: among free spots the
// middle of the band and the first angle win.
const FREE = 260;

export function placeOnRing(ring, actors = []) {
  const others = [...actors, ...RING_LABEL_SPOTS];
  const r = RINGS.includes(ring) ? ring : 'proche';
  const mid = ringMid(r);
  const band = RING_R[r] - RING_IN[r];
  const radii = [mid, mid - band / 4, mid + band / 4];
  const steps = r === 'coeur' ? 12 : r === 'proche' ? 24 : 36;
  let best = null;
  radii.forEach((rad, ri) => {
    for (let i = 0; i < steps; i++) {
      const a = (i * 2 * Math.PI) / steps; // from the right, clockwise
      const x = rad * Math.cos(a);
      const y = rad * Math.sin(a);
      let score = FREE;
      for (const o of others) score = Math.min(score, Math.hypot(o.x - x, o.y - y));
      // The middle radius wins unless another is clearly freer.
      const s = score - ri * 12;
      if (!best || s > best.s + 1e-9) best = { s, x, y };
    }
  });
  return { x: round1(best.x), y: round1(best.y) };
}

// Where an actor is drawn: its x/y when it has them, otherwise a stable spot
// on its ring (an actor created without coordinates, e.g. by another client).
export function actorPos(id, props) {
  if (props && finite(props.x) && finite(props.y)) return { x: props.x, y: props.y, auto: false };
  const a = hashUnit(id) * 2 * Math.PI - Math.PI / 2;
  const rad = ringMid(props && props.ring);
  return { x: round1(rad * Math.cos(a)), y: round1(rad * Math.sin(a)), auto: true };
}

// ---- How things look ---------------------------------------------------------

// Okabe–Ito colours (distinguishable with every common colour vision
// deficiency), each with its own shape.
export const ACTOR_STYLE = {
  collectivite: { color: '#0072B2', shape: 'square' },
  association: { color: '#E69F00', shape: 'circle' },
  entreprise: { color: '#56B4E9', shape: 'diamond' },
  financeur: { color: '#009E73', shape: 'triangle' },
  institution: { color: '#CC79A7', shape: 'house' },
  habitants: { color: '#F0E442', shape: 'hexagon' },
  reseau: { color: '#D55E00', shape: 'star' },
  autre: { color: '#B8B8B8', shape: 'cross' },
};

// Line styles that read without colour. `arrow`: the link has a direction
// (who funds whom, who serves whom), drawn from `from` to `to`.
export const LINK_STYLE = {
  partenariat: { color: '#1f5f4a', width: 3 },
  financement: { color: '#0072B2', width: 3, dash: '10 6', arrow: true },
  moyens: { color: '#6a3d9a', width: 1.8, double: true },
  prestation: { color: '#8a5a00', width: 3.5, dash: '0.5 7', cap: 'round', arrow: true },
  tension: { color: '#c0392b', width: 2.2, zigzag: true },
  autre: { color: '#5f6b66', width: 2.5, dash: '12 5 3 5' },
};

export const RING_FILL = { coeur: '#cfe5d8', proche: '#e3efe9', territoire: '#f1f6f2' };
const INK = '#1c2421';
const INK_SOFT = '#4a5550';

function polygon(n, R, rot = -Math.PI / 2, dy = 0) {
  const pts = [];
  for (let i = 0; i < n; i++) {
    const a = rot + (i * 2 * Math.PI) / n;
    pts.push(`${r2(R * Math.cos(a))} ${r2(R * Math.sin(a) + dy)}`);
  }
  return `M${pts.join('L')}Z`;
}

// The outline of a shape of "radius" r centred on 0,0, as path data.
export function shapePath(shape, r = NODE_R) {
  switch (shape) {
    case 'circle':
      return `M${-r} 0A${r} ${r} 0 1 0 ${r} 0A${r} ${r} 0 1 0 ${-r} 0Z`;
    case 'square': {
      const s = r2(r * 0.86);
      return `M${-s} ${-s}H${s}V${s}H${-s}Z`;
    }
    case 'diamond': {
      const s = r2(r * 1.2);
      return `M0 ${-s}L${s} 0L0 ${s}L${-s} 0Z`;
    }
    case 'triangle':
      return polygon(3, r * 1.25, -Math.PI / 2, r * 0.18);
    case 'house': {
      const s = r2(r * 0.86);
      const roof = r2(r * 1.1);
      const eave = r2(-r * 0.15);
      return `M${-s} ${s}V${eave}L0 ${-roof}L${s} ${eave}V${s}Z`;
    }
    case 'hexagon':
      return polygon(6, r * 1.05, 0);
    case 'star': {
      const pts = [];
      for (let i = 0; i < 10; i++) {
        const rad = i % 2 ? r * 0.55 : r * 1.28;
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        pts.push(`${r2(rad * Math.cos(a))} ${r2(rad * Math.sin(a) + r * 0.08)}`);
      }
      return `M${pts.join('L')}Z`;
    }
    case 'cross': {
      const a = r2(r * 0.38);
      const b = r2(r * 1.05);
      return `M${-a} ${-b}H${a}V${-a}H${b}V${a}H${a}V${b}H${-a}V${a}H${-b}V${-a}H${-a}Z`;
    }
    default:
      return shapePath('circle', r);
  }
}

export function actorStyle(kind) {
  return ACTOR_STYLE[kind] || ACTOR_STYLE.autre;
}

export function linkStyle(kind) {
  return LINK_STYLE[kind] || LINK_STYLE.autre;
}

// ---- Link geometry ----------------------------------------------------------------

// The path of a link from a to b: straight when `offset` is 0, else a
// quadratic curve whose middle is `offset` units to the left of a→b (so
// several links between two actors fan out). The ends stop at the actors'
// outlines. Returns null when the actors overlap (nothing to draw).
//   { d, p0, c, p1, mid, normal, len, arrow?, d2? (second line of a double),
//     zig? (zigzag path) }
export function linkGeometry(a, b, { offset = 0, trim = NODE_R + 5, kind = 'autre' } = {}) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const dist = Math.hypot(dx, dy);
  if (dist < 2 * trim + 4) return null;
  const ux = dx / dist;
  const uy = dy / dist;
  const nx = -uy; // left normal of a→b (y grows downwards)
  const ny = ux;
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  // Control point twice as far as the curve's middle.
  const c = { x: mx + nx * offset * 2, y: my + ny * offset * 2 };
  const toward = (p, q, len) => {
    const l = Math.hypot(q.x - p.x, q.y - p.y) || 1;
    return { x: p.x + ((q.x - p.x) / l) * len, y: p.y + ((q.y - p.y) / l) * len };
  };
  const p0 = toward(a, c, trim);
  const p1 = toward(b, c, trim);
  const q = (t) => ({
    x: (1 - t) * (1 - t) * p0.x + 2 * (1 - t) * t * c.x + t * t * p1.x,
    y: (1 - t) * (1 - t) * p0.y + 2 * (1 - t) * t * c.y + t * t * p1.y,
  });
  const fmt = (p) => `${r2(p.x)} ${r2(p.y)}`;
  const curvePath = (s, cc, e) => (offset === 0 ? `M${fmt(s)}L${fmt(e)}` : `M${fmt(s)}Q${fmt(cc)} ${fmt(e)}`);
  const style = linkStyle(kind);
  const g = {
    d: curvePath(p0, c, p1),
    p0, c, p1,
    mid: q(0.5),
    normal: { x: nx, y: ny },
    len: Math.hypot(p1.x - p0.x, p1.y - p0.y),
  };
  if (style.double) {
    const gap = 2.6;
    const sh = (p, k) => ({ x: p.x + nx * gap * k, y: p.y + ny * gap * k });
    g.d = curvePath(sh(p0, 1), sh(c, 1), sh(p1, 1));
    g.d2 = curvePath(sh(p0, -1), sh(c, -1), sh(p1, -1));
  }
  if (style.zigzag) {
    const n = Math.max(4, Math.round(g.len / 9));
    const amp = 4.5;
    const pts = [fmt(p0)];
    for (let i = 1; i < n; i++) {
      const t = i / n;
      const p = q(t);
      // Normal of the curve at t.
      const tx = 2 * (1 - t) * (c.x - p0.x) + 2 * t * (p1.x - c.x);
      const ty = 2 * (1 - t) * (c.y - p0.y) + 2 * t * (p1.y - c.y);
      const tl = Math.hypot(tx, ty) || 1;
      const k = i % 2 ? amp : -amp;
      pts.push(fmt({ x: p.x - (ty / tl) * k, y: p.y + (tx / tl) * k }));
    }
    pts.push(fmt(p1));
    g.d = `M${pts.join('L')}`;
  }
  if (style.arrow) {
    // Tangent at the end: from the control point (or a) to p1.
    const from = offset === 0 ? p0 : c;
    const tl = Math.hypot(p1.x - from.x, p1.y - from.y) || 1;
    const tx = (p1.x - from.x) / tl;
    const ty = (p1.y - from.y) / tl;
    const L = 12;
    const W = 6;
    const base = { x: p1.x - tx * L, y: p1.y - ty * L };
    g.arrow = `M${fmt(p1)}L${fmt({ x: base.x - ty * W, y: base.y + tx * W })}L${fmt({ x: base.x + ty * W, y: base.y - tx * W })}Z`;
  }
  return g;
}

// Offsets for the links between each pair of actors: one link is straight,
// several fan out, whatever their directions.
export function linkOffsets(links) {
  const pairs = new Map();
  for (const l of links) {
    const { from, to } = l.props;
    const key = from < to ? `${from}\u0000${to}` : `${to}\u0000${from}`;
    if (!pairs.has(key)) pairs.set(key, []);
    pairs.get(key).push(l);
  }
  const out = new Map();
  const GAP = 30;
  for (const list of pairs.values()) {
    list.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    list.forEach((l, i) => {
      const o = (i - (list.length - 1) / 2) * GAP;
      // The normal flips with the direction: keep the fan on one side each.
      out.set(l.id, l.props.from < l.props.to ? o : -o);
    });
  }
  return out;
}

// ---- The map's data, positions resolved -------------------------------------------

// { actors: [{id, props, x, y, auto}], links: [{id, props, a, b, offset}] }
// in a stable order. `positions` (id → {x, y}) overrides where an actor is
// drawn (a drag in progress, a move being animated).
export function mapData(elements, positions = null) {
  const actors = [];
  const links = [];
  for (const [id, el] of Object.entries(elements || {})) {
    if (!el || !el.props) continue;
    if (el.elem === 'actor') {
      const p = actorPos(id, el.props);
      const o = positions && positions.get(id);
      actors.push({ id, props: el.props, x: o ? o.x : p.x, y: o ? o.y : p.y, auto: p.auto });
    } else if (el.elem === 'link') {
      links.push({ id, props: el.props });
    }
  }
  // By name: the order of the keyboard's Tab through the actors.
  const nameKey = (a) => String(a.props.name ?? '').toLowerCase();
  actors.sort((a, b) => (nameKey(a) < nameKey(b) ? -1 : nameKey(a) > nameKey(b) ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byId = new Map(actors.map((a) => [a.id, a]));
  const live = links.filter((l) => byId.has(l.props.from) && byId.has(l.props.to) && l.props.from !== l.props.to);
  live.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const offsets = linkOffsets(live);
  return {
    actors,
    byId,
    links: live.map((l) => ({ ...l, a: byId.get(l.props.from), b: byId.get(l.props.to), offset: offsets.get(l.id) || 0 })),
  };
}

// ---- Fit all, zoom --------------------------------------------------------------

// The box that holds the rings (or at least ±`min` around the centre) and
// every actor with its label.
export function contentBounds(actors, { rings = true, min = 0 } = {}) {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const add = (x0, y0, x1, y1) => {
    minX = Math.min(minX, x0); minY = Math.min(minY, y0);
    maxX = Math.max(maxX, x1); maxY = Math.max(maxY, y1);
  };
  if (rings) add(-RING_R.territoire - 8, -RING_R.territoire - 8, RING_R.territoire + 8, RING_R.territoire + 8);
  if (min > 0) add(-min, -min, min, min);
  for (const a of actors) add(a.x - NODE_R - 62, a.y - NODE_R - 30, a.x + NODE_R + 62, a.y + NODE_R + 50);
  if (minX === Infinity) add(-100, -100, 100, 100);
  return { x: minX, y: minY, w: maxX - minX, h: maxY - minY };
}

// The viewBox that shows `bounds` (plus `pad` screen pixels) in a viewport
// of vw×vh pixels, centred, with the viewport's aspect ratio.
export function fitView(bounds, vw, vh, pad = 16) {
  const W = Math.max(1, vw);
  const H = Math.max(1, vh);
  const scale = Math.min((W - 2 * pad) / bounds.w, (H - 2 * pad) / bounds.h);
  const s = scale > 0 ? scale : Math.min(W / bounds.w, H / bounds.h);
  const w = W / s;
  const h = H / s;
  return { x: bounds.x + bounds.w / 2 - w / 2, y: bounds.y + bounds.h / 2 - h / 2, w, h };
}

export const MIN_VIEW_W = 120;
export const MAX_VIEW_W = 20000;

// Zooms the view by `factor` (>1 zooms in) keeping the map point (px, py)
// where it is on screen.
export function zoomView(view, factor, px = view.x + view.w / 2, py = view.y + view.h / 2) {
  const nw = Math.max(MIN_VIEW_W, Math.min(MAX_VIEW_W, view.w / factor));
  const f = view.w / nw;
  const nh = view.h / f;
  return { x: px - (px - view.x) / f, y: py - (py - view.y) / f, w: nw, h: nh };
}

// The viewBox with the viewport's aspect ratio around the same centre (after
// a resize), keeping the scale along x.
export function reshapeView(view, vw, vh) {
  const h = view.w * (vh / Math.max(1, vw));
  return { x: view.x, y: view.y + view.h / 2 - h / 2, w: view.w, h };
}

// ---- Text helpers ---------------------------------------------------------------

// At most `max` characters (code points), with "…" when cut.
export function ellipsize(s, max) {
  const chars = Array.from(String(s ?? ''));
  if (chars.length <= max) return chars.join('');
  return `${chars.slice(0, Math.max(1, max - 1)).join('').trimEnd()}…`;
}

// Up to `lines` lines of about `width` characters, cut at spaces when it can.
export function wrapText(s, width, lines) {
  const words = String(s ?? '').trim().split(/\s+/).filter(Boolean);
  const out = [];
  let cur = '';
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const next = cur ? `${cur} ${w}` : w;
    if (Array.from(next).length <= width) { cur = next; continue; }
    if (cur) out.push(cur);
    cur = w;
    if (out.length === lines) { cur = ''; break; }
  }
  if (cur && out.length < lines) out.push(cur);
  const used = out.join(' ');
  const all = words.join(' ');
  if (out.length && Array.from(used).length < Array.from(all).length) {
    out[out.length - 1] = ellipsize(`${out[out.length - 1]} ${all.slice(used.length).trim()}`, width);
  }
  return out.map((l) => ellipsize(l, width));
}

// ---- The scene -------------------------------------------------------------------

// A node of the scene: { tag, attrs, text?, children?, key? }.
export function el(tag, attrs, ...children) {
  const n = { tag, attrs: attrs || {} };
  const kids = children.flat().filter((c) => c !== null && c !== undefined && c !== false);
  if (kids.length === 1 && typeof kids[0] === 'string') n.text = kids[0];
  else n.children = kids;
  return n;
}

const FONT_LIVE = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif';
export const FONT_EXPORT = 'sans-serif';

function actorShape(kind, r = NODE_R, extra = {}) {
  const st = actorStyle(kind);
  return el('path', {
    d: shapePath(st.shape, r), fill: st.color, stroke: INK, 'stroke-width': r > 10 ? 1.6 : 1.2, 'stroke-linejoin': 'round', ...extra,
  });
}

// A small shape for a legend or a button: a 24×24 symbol.
export function kindIcon(kind, size = 22) {
  return el('svg', { xmlns: 'http://www.w3.org/2000/svg', viewBox: '-13 -13 26 26', width: size, height: size, 'aria-hidden': 'true', focusable: 'false' },
    actorShape(kind, 9));
}

function linkStroke(kind, d, extra = {}) {
  const st = linkStyle(kind);
  return el('path', {
    d, fill: 'none', stroke: st.color, 'stroke-width': st.width,
    'stroke-dasharray': st.dash, 'stroke-linecap': st.cap || (st.dash ? 'butt' : 'round'), 'stroke-linejoin': 'round', ...extra,
  });
}

// A line sample for a legend or a button.
export function linkIcon(kind, width = 44, height = 16) {
  const g = linkGeometry({ x: 0, y: height / 2 }, { x: width, y: height / 2 }, { trim: 2, kind });
  const st = linkStyle(kind);
  return el('svg', { xmlns: 'http://www.w3.org/2000/svg', viewBox: `0 0 ${width} ${height}`, width, height, 'aria-hidden': 'true', focusable: 'false' },
    linkStroke(kind, g.d),
    g.d2 ? linkStroke(kind, g.d2) : null,
    g.arrow ? el('path', { d: g.arrow, fill: st.color }) : null);
}

function haloText(attrs, text) {
  return el('text', {
    'text-anchor': 'middle', fill: INK, stroke: '#ffffff', 'stroke-width': 4, 'stroke-linejoin': 'round', 'paint-order': 'stroke', ...attrs,
  }, text);
}

// The text on a link: its level of cooperation and its label.
export function linkCaption(props, t) {
  const parts = [];
  if (NIVEAUX.includes(props.niveau)) parts.push(t(`niveau.${props.niveau}.label`));
  if (props.label) parts.push(ellipsize(props.label, 40));
  return parts.join(' · ');
}

// The drawing, as scene nodes, in map units.
//   data       mapData(...)
//   t          the translation function
//   title      the project's name (meta.title), drawn at the centre
//   live       true for the page: focusable actors and links, aria labels,
//              classes; false for the export (presentation attributes only)
//   selected   id of the selected actor or link
//   linkFrom   id of the actor a link is being drawn from
//   editing    Map actor id → names of the other people on it
//   font       font-family
//   textScale  how much larger than normal to write (small screens)
export function sceneNodes(data, { t, title = '', live = false, selected = null, linkFrom = null, editing = null, font = live ? FONT_LIVE : FONT_EXPORT, textScale = 1 } = {}) {
  const k = textScale;
  const fs = (size) => r2(size * k);
  const rings = el('g', { key: 'rings', class: live ? 'map-rings' : undefined },
    ['territoire', 'proche', 'coeur'].map((r) => el('circle', {
      key: `ring-${r}`, cx: 0, cy: 0, r: RING_R[r], fill: RING_FILL[r], stroke: '#9fbfae', 'stroke-width': 1.5,
    })),
    ['territoire', 'proche', 'coeur'].map((r) => haloText({
      key: `ringlabel-${r}`, x: 0, y: r2(-RING_R[r] + 6 + 13 * k), fill: INK_SOFT, stroke: RING_FILL[r],
      'font-size': fs(13), 'font-weight': 700, 'letter-spacing': 0.5,
    }, t(`map.ring.${r}`))));
  const kp = Math.min(k, 1.15); // the project's name stays inside its disc
  const projLines = wrapText(title && title.trim() ? title : t('map.project'), 12, 3);
  const center = el('g', { key: 'project', class: live ? 'map-project' : undefined },
    el('circle', { cx: 0, cy: 0, r: PROJECT_R, fill: '#1f5f4a', stroke: '#154535', 'stroke-width': 2 }),
    el('text', { 'text-anchor': 'middle', fill: '#ffffff', 'font-size': r2(12.5 * kp), 'font-weight': 700 },
      projLines.map((line, i) => el('tspan', { key: `l${i}`, x: 0, y: r2(((i - (projLines.length - 1) / 2) * 15 + 4.5) * kp) }, line))));

  const nameOf = (id) => {
    const a = data.byId.get(id);
    return a ? a.props.name : '';
  };
  const links = el('g', { key: 'links' }, data.links.map((l) => {
    const g = linkGeometry(l.a, l.b, { offset: l.offset, kind: l.props.kind });
    if (!g) return el('g', { key: l.id, 'data-link': live ? l.id : undefined });
    const st = linkStyle(l.props.kind);
    const lk = LINK_KINDS.includes(l.props.kind) ? l.props.kind : 'autre';
    const caption = linkCaption(l.props, t);
    // Written along the link only as far as the link is long.
    const room = Math.floor((g.len - 8) / (6.6 * k));
    const shownCaption = caption && room >= 5 ? ellipsize(caption, room) : '';
    const isSel = selected === l.id;
    const attrs = { key: l.id };
    if (live) {
      Object.assign(attrs, {
        'data-link': l.id, class: ['map-link', isSel && 'is-selected'].filter(Boolean).join(' '),
        tabindex: 0, role: 'button', focusable: 'true',
        'aria-label': t('map.linkAria', { kind: t(`map.linkKind.${lk}`), from: nameOf(l.props.from), to: nameOf(l.props.to), caption: caption ? ` — ${caption}` : '' }),
      });
    }
    const full = t('map.linkTitle', { kind: t(`map.linkKind.${lk}`), from: nameOf(l.props.from), to: nameOf(l.props.to), caption: caption ? ` — ${caption}` : '' });
    return el('g', attrs,
      el('title', { key: 'tip' }, full),
      live ? el('path', { key: 'hit', d: g.d, class: 'map-link-hit', fill: 'none', stroke: 'transparent', 'stroke-width': 16 }) : null,
      isSel ? el('path', { key: 'sel', d: g.d, fill: 'none', stroke: '#1d4ed8', 'stroke-width': st.width + 7, 'stroke-opacity': 0.3, 'stroke-linecap': 'round' }) : null,
      linkStroke(l.props.kind, g.d, { key: 'line' }),
      g.d2 ? linkStroke(l.props.kind, g.d2, { key: 'line2' }) : null,
      g.arrow ? el('path', { key: 'arrow', d: g.arrow, fill: st.color }) : null,
      shownCaption ? haloText({ key: 'cap', x: r2(g.mid.x), y: r2(g.mid.y - 6), 'font-size': fs(12), 'font-style': 'italic' }, shownCaption) : null);
  }));

  const actors = el('g', { key: 'actors' }, data.actors.map((a) => {
    const kind = ACTOR_KINDS.includes(a.props.kind) ? a.props.kind : 'autre';
    const ring = RINGS.includes(a.props.ring) ? a.props.ring : 'proche';
    const isSel = selected === a.id || linkFrom === a.id;
    const others = editing && editing.get(a.id);
    const attrs = { key: a.id, transform: `translate(${r2(a.x)} ${r2(a.y)})` };
    if (live) {
      Object.assign(attrs, {
        'data-actor': a.id,
        class: ['map-actor', isSel && 'is-selected', linkFrom === a.id && 'is-link-source', others && 'is-busy'].filter(Boolean).join(' '),
        tabindex: 0, role: 'button', focusable: 'true',
        'aria-label': t('map.actorAria', { name: a.props.name, kind: t(`map.kind.${kind}`), ring: t(`map.ring.${ring}`) })
          + (others ? ` — ${t('map.busyAria', { names: others.join(', ') })}` : ''),
      });
    }
    return el('g', attrs,
      el('title', { key: 'tip' }, a.props.note ? `${a.props.name}\n${a.props.note}` : a.props.name),
      isSel ? el('circle', { key: 'sel', r: NODE_R + 9, fill: 'none', stroke: '#1d4ed8', 'stroke-width': 3, 'stroke-dasharray': linkFrom === a.id ? '5 4' : undefined }) : null,
      others ? el('circle', { key: 'busy', r: NODE_R + 13, fill: 'none', stroke: '#8a5a00', 'stroke-width': 2.5, 'stroke-dasharray': '3 3' }) : null,
      live ? el('circle', { key: 'hit', r: NODE_R + 6, fill: 'transparent', class: 'map-hit' }) : null,
      actorShape(kind, NODE_R, { key: 'shape' }),
      haloText({ key: 'name', x: 0, y: r2(NODE_R + 5 + 12 * k), 'font-size': fs(13), 'font-weight': 600 },
        wrapText(a.props.name, 20, 2).map((line, i) => el('tspan', { key: `n${i}`, x: 0, dy: i ? fs(15) : 0 }, line))),
      others ? haloText({ key: 'who', x: 0, y: r2(-NODE_R - 16 - 4 * (k - 1)), 'font-size': fs(12), 'font-weight': 700, fill: '#6b4500' }, `✎ ${ellipsize(others.join(', '), 24)}`) : null);
  }));

  return el('g', { key: 'scene', 'font-family': font }, rings, center, links, actors);
}

// ---- The legend -------------------------------------------------------------------

// The legend as scene nodes, `width` wide, from y=0 down; returns
// { node, height }.
export function legendNodes(t, { width = 260 } = {}) {
  const rows = [];
  let y = 0;
  const head = (text) => {
    y += 24;
    rows.push(el('text', { x: 0, y, 'font-size': 15, 'font-weight': 700, fill: INK }, text));
    y += 8;
  };
  head(t('map.actorsTitle'));
  for (const k of ACTOR_KINDS) {
    y += 24;
    rows.push(el('g', { transform: `translate(12 ${y - 5})` }, actorShape(k, 9)));
    rows.push(el('text', { x: 32, y, 'font-size': 13, fill: INK }, t(`map.kind.${k}`)));
  }
  y += 8;
  head(t('map.linksTitle'));
  for (const k of LINK_KINDS) {
    y += 24;
    const g = linkGeometry({ x: 0, y: y - 5 }, { x: 44, y: y - 5 }, { trim: 1, kind: k });
    const st = linkStyle(k);
    rows.push(linkStroke(k, g.d));
    if (g.d2) rows.push(linkStroke(k, g.d2));
    if (g.arrow) rows.push(el('path', { d: g.arrow, fill: st.color }));
    rows.push(el('text', { x: 54, y, 'font-size': 13, fill: INK }, t(`map.linkKind.${k}`)));
  }
  y += 8;
  head(t('map.legend.rings'));
  for (const r of RINGS) {
    y += 24;
    rows.push(el('circle', { cx: 12, cy: y - 5, r: 9, fill: RING_FILL[r], stroke: '#9fbfae', 'stroke-width': 1.5 }));
    rows.push(el('text', { x: 32, y, 'font-size': 13, fill: INK }, t(`map.ring.${r}`)));
  }
  y += 8;
  head(t('map.legend.niveau'));
  for (const n of NIVEAUX) {
    y += 22;
    rows.push(el('text', { x: 0, y, 'font-size': 13, fill: INK, 'font-weight': 600 }, t(`niveau.${n}.label`)));
    y += 17;
    rows.push(el('text', { x: 12, y, 'font-size': 12.5, fill: INK_SOFT }, t(`niveau.${n}.kind`)));
  }
  y += 10;
  return { node: el('g', { key: 'legend' }, el('rect', { x: -12, y: -4, width, height: y + 8, rx: 10, fill: '#ffffff', stroke: '#d6d2c6' }), rows), height: y + 8 };
}

// ---- Export: a standalone SVG file ------------------------------------------------------

export function escapeXML(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]));
}

// Scene nodes → SVG markup. `key` is the scene's own bookkeeping, not an
// attribute; undefined/null/false attributes are left out.
export function toMarkup(node) {
  const attrs = Object.entries(node.attrs || {})
    .filter(([k, v]) => k !== 'key' && v !== undefined && v !== null && v !== false)
    .map(([k, v]) => ` ${k}="${escapeXML(v)}"`).join('');
  if (node.text !== undefined) return `<${node.tag}${attrs}>${escapeXML(node.text)}</${node.tag}>`;
  if (!node.children || !node.children.length) return `<${node.tag}${attrs}/>`;
  return `<${node.tag}${attrs}>${node.children.map(toMarkup).join('')}</${node.tag}>`;
}

// The whole map as a standalone SVG document (a string): a heading, the map
// fitted to its content, the legend on the right. Inline presentation
// attributes only, generic font: it opens the same in a browser, Inkscape or
// a slide.
export function exportSVG(elements, { t, title = '', group = '', workshop = '' } = {}) {
  const data = mapData(elements);
  const b = contentBounds(data.actors);
  const pad = 24;
  const headH = 70;
  const legendW = 280;
  const legend = legendNodes(t, { width: legendW - 24 });
  const mapW = b.w + 2 * pad;
  const mapH = Math.max(b.h + 2 * pad, legend.height + 2 * pad);
  const W = Math.ceil(mapW + legendW);
  const H = Math.ceil(headH + mapH);
  const heading = [group, title && title.trim()].filter(Boolean).join(' — ') || t('map.title');
  const sub = [t('map.title'), workshop].filter(Boolean).join(' · ');
  const doc = el('svg', {
    xmlns: 'http://www.w3.org/2000/svg', version: '1.1', width: W, height: H, viewBox: `0 0 ${W} ${H}`,
    'font-family': FONT_EXPORT,
  },
  el('title', {}, `${heading} — ${t('map.title')}`),
  el('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }),
  el('text', { x: pad, y: 34, 'font-size': 22, 'font-weight': 700, fill: INK }, ellipsize(heading, 90)),
  el('text', { x: pad, y: 56, 'font-size': 14, fill: INK_SOFT }, sub),
  el('g', { transform: `translate(${r2(pad - b.x)} ${r2(headH + pad - b.y)})` },
    sceneNodes(data, { t, title, live: false, font: FONT_EXPORT })),
  el('g', { transform: `translate(${r2(mapW + 12)} ${headH + pad})` }, legend.node));
  return `<?xml version="1.0" encoding="UTF-8"?>\n${toMarkup(doc)}\n`;
}

// A file name from the group's name: "carte-acteurs-groupe-a.svg".
export function exportFileName(base, group, ext) {
  const slug = String(group || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return `${base}${slug ? `-${slug}` : ''}.${ext}`;
}

// ---- Undo of the user's own changes --------------------------------------------------------

const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const same = (a, b) => a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));

// What is needed to undo `changes` later, taken from the elements as they
// were before the changes: an entry for UndoStack.push.
//   autoPos: id → {x, y} where an actor without coordinates was drawn, to
//   put it back there (a prop cannot be unset).
export function undoEntry(changes, elementsBefore, { autoPos = null } = {}) {
  const before = {};
  const cascade = {};
  for (const c of changes) {
    if (!c.id || c.id in before) continue;
    const b = elementsBefore[c.id];
    before[c.id] = b ? clone(b) : null;
    if (b) {
      const p = before[c.id].props;
      if (b.elem === 'actor' && !(finite(p.x) && finite(p.y))) {
        const ap = (autoPos && autoPos[c.id]) || actorPos(c.id, p);
        before[c.id].autoPos = { x: ap.x, y: ap.y };
      }
    }
    if (c.kind === 'delete' && b && b.elem === 'actor') {
      cascade[c.id] = Object.entries(elementsBefore)
        .filter(([, e]) => e && e.elem === 'link' && (e.props.from === c.id || e.props.to === c.id))
        .map(([id, e]) => ({ id, props: clone(e.props) }));
    }
  }
  return { changes: clone(changes), before, cascade };
}

// The user's own changes, newest last. `undo` computes, against the current
// elements, the changes that take the newest entry back:
//   - a create is undone by a delete;
//   - a set puts back the previous values of the props it changed, but only
//     those still holding the value this user gave them (if someone else
//     changed a prop since, their change stays);
//   - a delete is undone by creating the element again with a NEW id (ids that
//     existed cannot be created again), and for an actor its links too, with
//     new ids; older entries that name the old ids then act on the new ones;
//   - an entry with nothing left to undo (its element deleted by someone
//     else, its props changed by others since) is skipped for the next one.
export class UndoStack {
  constructor(limit = 100) {
    this.limit = limit;
    this.entries = [];
    this.alias = new Map(); // old id → new id (re-created by an undo)
  }

  get size() { return this.entries.length; }
  get canUndo() { return this.entries.length > 0; }
  clear() { this.entries = []; this.alias.clear(); }

  push(entry) {
    if (!entry || !entry.changes || !entry.changes.length) return;
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.shift();
  }

  resolve(id) {
    let cur = id;
    for (let i = 0; i < 1000 && this.alias.has(cur); i++) cur = this.alias.get(cur);
    return cur;
  }

  // Returns the changes to submit (and applies nothing), or null when there
  // is nothing left to undo. `newId()` makes ids for re-created elements.
  undo(elements, newId) {
    while (this.entries.length) {
      const entry = this.entries.pop();
      const out = this._inverse(entry, elements, newId);
      if (out.length) return out;
    }
    return null;
  }

  _inverse(entry, elements, newId) {
    const work = { sections: {}, meta: {}, elements: clone(elements) || {}, deleted: [] };
    const out = [];
    const emit = (c) => { out.push(c); applyChanges(work, [c]); };
    const alias = new Map();
    const res = (id) => {
      let cur = this.resolve(id);
      if (alias.has(cur)) cur = alias.get(cur);
      return cur;
    };
    for (let i = entry.changes.length - 1; i >= 0; i--) {
      const c = entry.changes[i];
      const before = entry.before[c.id];
      const id = res(c.id);
      if (c.kind === 'create') {
        if (work.elements[id]) emit({ kind: 'delete', id });
      } else if (c.kind === 'set') {
        const cur = work.elements[id];
        if (!cur || !before) continue;
        const props = {};
        for (const [k, mine] of Object.entries(c.props || {})) {
          if (!same(cur.props[k], mine)) continue; // someone else's since
          let prev = before.props[k];
          if (prev === undefined) {
            if (k === 'note' || k === 'label') prev = '';
            else if ((k === 'x' || k === 'y') && before.autoPos) prev = before.autoPos[k];
            else continue;
          }
          if (!same(prev, cur.props[k])) props[k] = clone(prev);
        }
        if (Object.keys(props).length) emit({ kind: 'set', id, props });
      } else if (c.kind === 'delete') {
        if (!before || work.elements[id]) continue;
        if (before.elem === 'actor') {
          const nid = newId();
          emit({ kind: 'create', id: nid, elem: 'actor', props: clone(before.props) });
          alias.set(id, nid);
          this.alias.set(id, nid);
          for (const l of entry.cascade[c.id] || []) {
            const from = res(l.props.from);
            const to = res(l.props.to);
            if (!work.elements[from] || !work.elements[to] || from === to) continue;
            if (work.elements[res(l.id)]) continue;
            const lid = newId();
            emit({ kind: 'create', id: lid, elem: 'link', props: { ...clone(l.props), from, to } });
            this.alias.set(l.id, lid);
          }
        } else if (before.elem === 'link') {
          const from = res(before.props.from);
          const to = res(before.props.to);
          if (!work.elements[from] || !work.elements[to] || from === to) continue;
          const lid = newId();
          emit({ kind: 'create', id: lid, elem: 'link', props: { ...clone(before.props), from, to } });
          this.alias.set(id, lid);
        }
      }
    }
    return out;
  }
}

// ---- The move stream of a drag ----------------------------------------------------------

// Sends the moving actor's props at most once per `ms` (the last ones win),
// and on `end` always sends the final ones, unless they are exactly what was
// sent last. `cancel` drops what was not sent yet.
export function moveStream(send, ms = 90, timing = {}) {
  let last = null;
  const out = (props) => { last = JSON.stringify(props); send(props); };
  const th = throttle(out, ms, timing);
  return {
    push(props) { th(props); },
    end(props) {
      th.cancel();
      if (props && JSON.stringify(props) !== last) out(props);
    },
    cancel() { th.cancel(); },
  };
}
