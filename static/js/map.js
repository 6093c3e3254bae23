// The ecosystem map ("Carte des acteurs") on a page, live from a BoardSync.
//
//   createMap(board, { mode })
//     mode 'edit'   the participant's map: add, drag, link, edit, delete,
//                   undo, zoom, export (read-only while the board is locked)
//     mode 'view'   read-only with zoom, pan and export (the wall's large view)
//     mode 'thumb'  a small picture that fits its content (a wall card)
//   openMapDialog(board, …) shows the 'view' map full screen.
//
// Placement: the rings are the data. An actor is dropped anywhere (x, y are
// free) and its ring follows from its distance to the centre; from the form
// (phones), the ring is chosen and the actor is put on a free spot of it.
// Every move sends x, y and ring together, throttled to one `set` every 90 ms
// while dragging, and the final position always on release.
//
// Undo (button, Ctrl+Z) takes back this user's own changes only, newest
// first (mapmodel.js UndoStack): a drag, an edit, a creation, a deletion.
// A deleted actor comes back with a new id (the protocol never re-creates an
// id), with its links.
//
// Drawing: mapmodel.js builds the scene, svgdom.js patches it into the SVG;
// user text only through textContent.

import { h, uid } from './dom.js';
import { t, tn, onLangChange } from './i18n.js';
import { notify } from './ui.js';
import { uuid } from './util.js';
import {
  ACTOR_KINDS, LINK_KINDS, MAX_ELEMENTS, MAX_LABEL, MAX_NAME, MAX_NOTE, NIVEAUX, RINGS, RING_FILL,
  UndoStack, actorPos, clampCoord, contentBounds, exportFileName, exportSVG, fitView, kindIcon, linkIcon,
  mapData, moveStream, placeOnRing, reshapeView, ringAt, sceneNodes, undoEntry, zoomView,
} from './mapmodel.js';
import { SVG_NS, patchChildren, svgIcon } from './svgdom.js';

const DRAG_MS = 90;

// Button icons: strokes in currentColor (no emoji font needed).
const ICONS = {
  plus: 'M12 5v14M5 12h14',
  link: 'M6.5 17.5l11-11M12 6.5h5.5V12',
  edit: 'M4 20h4L19 9l-4-4L4 16zM13 7l4 4',
  trash: 'M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13',
  undo: 'M9 14L4 9l5-5M4 9h10a6 6 0 0 1 0 12h-3',
  minus: 'M5 12h14',
  fit: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5',
  expand: 'M14 4h6v6M10 20H4v-6M20 4l-7 7M4 20l7-7',
  collapse: 'M4 14h6v6M20 10h-6V4M14 10l7-7M10 14l-7 7',
  download: 'M12 4v11M7 10l5 5 5-5M5 20h14',
};
function icon(name, size = 18) {
  return svgIcon({
    tag: 'svg',
    attrs: {
      xmlns: SVG_NS, viewBox: '0 0 24 24', width: size, height: size, fill: 'none', stroke: 'currentColor',
      'stroke-width': 2.2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', focusable: 'false', class: 'map-icon',
    },
    children: [{ tag: 'path', attrs: { d: ICONS[name] } }],
  });
}
const ANIM_MS = 200;
const KEY_STEP = 10;
const KEY_STEP_BIG = 50;
const ELEM_KINDS = new Set(['create', 'set', 'delete']);

const reducedMotion = () => !!(globalThis.matchMedia && globalThis.matchMedia('(prefers-reduced-motion: reduce)').matches);
const coarsePointer = () => !!(globalThis.matchMedia && globalThis.matchMedia('(pointer: coarse)').matches);
const isTextField = (el) => !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);

// mapField is a labelled field of the map's forms.
function mapField(id, labelKey, control) {
  return h('div', { class: 'field' }, h('label', { for: id, class: 'map-field-label', i18n: labelKey }), control);
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'offscreen' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30000);
}

// Renders SVG markup into a PNG blob (a canvas in the browser).
export async function svgToPNG(markup, { maxSide = 8000, scale = 2 } = {}) {
  const url = URL.createObjectURL(new Blob([markup], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise((resolve, reject) => {
      img.onload = resolve;
      img.onerror = () => reject(new Error('image'));
      img.src = url;
    });
    const w = img.naturalWidth || 1200;
    const hgt = img.naturalHeight || 900;
    const s = Math.max(0.25, Math.min(scale, maxSide / Math.max(w, hgt)));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(w * s);
    canvas.height = Math.round(hgt * s);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('png'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

export function createMap(board, { mode = 'edit', group = '', workshop = '', onOpen = null } = {}) {
  const thumb = mode === 'thumb';
  const editMode = mode === 'edit';
  const offs = [];
  let destroyed = false;

  // ---- state ------------------------------------------------------------------
  let view = null; // the viewBox {x, y, w, h}
  let userView = false; // zoomed or panned by hand: no more automatic fit
  let selected = null;
  let linkMode = null; // { from: actor id | null }
  let press = null; // the pointer that went down on the map
  let drag = null; // { id, origin, startMap, before, stream, last }
  let pinch = null;
  let keyMove = null; // arrow keys: { id, before, origin, stream, last }
  let panel = null; // { type, id, el, returnFocus }
  let expanded = mode === 'view';
  let scheduled = false;
  let listSig = '';
  let hintTimer = null;
  const pointers = new Map();
  const override = new Map(); // id → {x, y} drawn instead of the stored position
  const anims = new Map(); // id → {from, to, t0}
  let shown = new Map(); // id → {x, y} as last drawn
  const undo = new UndoStack();
  let enterHeld = false; // an Enter key is down (see openPanel)
  const onDocKey = (e) => {
    if (e.key !== 'Enter') return;
    enterHeld = e.type === 'keydown';
    if (!enterHeld && panel) panel.fresh = false;
  };

  // Read-only while the facilitator has locked or closed the board.
  const canEdit = () => editMode && board.hasState && board.canWrite
    && !((board.meta.locked || board.meta.closed) && board.role !== 'facilitator');
  const elements = () => board.elements;
  const isActor = (id) => { const e = elements()[id]; return !!(e && e.elem === 'actor'); };
  const isLink = (id) => { const e = elements()[id]; return !!(e && e.elem === 'link'); };
  const nameOf = (id) => { const e = elements()[id]; return e && e.elem === 'actor' ? e.props.name : ''; };
  const gesturesOK = (pointerType) => pointerType !== 'touch' || expanded;

  // ---- the SVG ------------------------------------------------------------------
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'map-svg');
  const sceneLayer = document.createElementNS(SVG_NS, 'g');
  const preview = document.createElementNS(SVG_NS, 'line');
  preview.setAttribute('class', 'map-preview');
  preview.setAttribute('stroke', '#1d4ed8');
  preview.setAttribute('stroke-width', '2.5');
  preview.setAttribute('stroke-dasharray', '6 5');
  preview.setAttribute('visibility', 'hidden');
  preview.setAttribute('pointer-events', 'none');
  svg.append(sceneLayer, preview);
  const helpId = uid('maphelp');
  if (thumb) {
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
  } else {
    svg.setAttribute('tabindex', '0');
    svg.setAttribute('role', 'group');
    svg.setAttribute('aria-describedby', helpId);
  }

  const stage = h('div', { class: 'map-stage' }, svg);
  const hint = h('p', { class: 'map-hint', role: 'status', 'aria-live': 'polite', hidden: true });
  const keysHelp = h('p', { id: helpId, class: 'visually-hidden', i18n: editMode ? 'map.keysHelp' : 'map.keysHelpView' });
  const frame = h('div', { class: ['map-frame', `map-${mode}`] });

  // ---- toolbar ------------------------------------------------------------------
  const btn = (key, onClick, { cls = 'btn-secondary', icon: ic = null, labelKey = null, titleKey = null } = {}) => {
    const b = h('button', { type: 'button', class: ['btn btn-small map-btn', cls, !key && 'map-btn-square'], i18nTitle: titleKey || undefined, i18nAriaLabel: labelKey || undefined },
      ic ? icon(ic) : null,
      key ? h('span', { class: 'map-btn-text', i18n: key }) : null);
    b.addEventListener('click', onClick);
    return b;
  };
  const addActorBtn = btn('map.addActor', () => openActorForm(null), { cls: 'btn-primary', icon: 'plus' });
  const addLinkBtn = btn('map.addLink', () => startLink(), { icon: 'link' });
  const editBtn = btn('map.edit', () => { if (selected) openEditor(selected); }, { icon: 'edit', cls: 'btn-secondary map-btn-sel' });
  const deleteBtn = btn('map.delete', () => { if (selected) askDelete(selected); }, { icon: 'trash', cls: 'btn-secondary map-btn-sel' });
  const undoBtn = btn('map.undo', () => doUndo(), { icon: 'undo', titleKey: 'map.undoTitle' });
  const zoomOutBtn = btn(null, () => zoomBy(1 / 1.3), { icon: 'minus', labelKey: 'map.zoomOut', titleKey: 'map.zoomOut' });
  const zoomInBtn = btn(null, () => zoomBy(1.3), { icon: 'plus', labelKey: 'map.zoomIn', titleKey: 'map.zoomIn' });
  const fitBtn = btn('map.fit', () => fitAll(), { icon: 'fit' });
  const expandBtn = btn('map.expand', () => setExpanded(!expanded), { icon: 'expand' });
  const svgBtn = btn('map.svg', () => doExportSVG(), { icon: 'download', labelKey: 'map.exportSVG', titleKey: 'map.exportSVG' });
  const pngBtn = btn('map.png', () => doExportPNG(), { icon: 'download', labelKey: 'map.exportPNG', titleKey: 'map.exportPNG' });
  expandBtn.setAttribute('aria-pressed', 'false');

  const toolbar = h('div', { class: 'map-toolbar', role: 'toolbar', i18nAriaLabel: 'map.toolbar' },
    editMode ? h('div', { class: 'map-tools map-tools-edit' }, addActorBtn, addLinkBtn, editBtn, deleteBtn, undoBtn) : null,
    h('div', { class: 'map-tools map-tools-view' }, zoomOutBtn, zoomInBtn, fitBtn, editMode ? expandBtn : null),
    h('div', { class: 'map-tools map-tools-export' }, h('span', { class: 'map-tools-label', i18n: 'map.exportLabel' }), svgBtn, pngBtn));

  const panelHost = h('div', { class: 'map-panel', hidden: true });
  const legend = h('details', { class: 'map-legend', open: !coarsePointer() || mode === 'view' });
  const side = h('div', { class: 'map-side' }, panelHost, legend);
  const listsBody = h('div', { class: 'map-lists-body' });
  const listsSummary = h('summary', { class: 'map-lists-summary' });
  const lists = h('details', { class: 'map-lists', open: editMode }, listsSummary, listsBody);

  if (thumb) {
    frame.append(stage);
    if (onOpen) {
      frame.classList.add('is-clickable');
      frame.addEventListener('click', () => onOpen());
    }
  } else {
    frame.append(toolbar, h('div', { class: 'map-body' }, h('div', { class: 'map-main' }, stage, hint), side), lists, keysHelp);
  }

  // ---- messages ------------------------------------------------------------------
  function say(key, params, { sticky = false, action = null } = {}) {
    if (thumb) return;
    clearTimeout(hintTimer);
    hint.hidden = false;
    hint.replaceChildren(h('span', { text: t(key, params) }), ...(action ? [action] : []));
    if (!sticky) hintTimer = setTimeout(() => { hint.hidden = true; hint.replaceChildren(); }, 6000);
  }
  function clearHint() { clearTimeout(hintTimer); hint.hidden = true; hint.replaceChildren(); }

  // ---- view: zoom, pan, fit ---------------------------------------------------------
  function stageSize() {
    const r = svg.getBoundingClientRect();
    return { w: r.width || 300, h: r.height || 200 };
  }
  function setView(v, byUser = true) {
    view = v;
    if (byUser) userView = true;
    svg.setAttribute('viewBox', `${v.x.toFixed(2)} ${v.y.toFixed(2)} ${v.w.toFixed(2)} ${v.h.toFixed(2)}`);
    schedule();
  }
  function fitAll() {
    const { w, h: ht } = stageSize();
    const data = mapData(elements());
    setView(fitView(bounds(data.actors), w, ht, thumb ? 4 : 12), false);
    userView = false;
  }
  function zoomBy(f) {
    if (!view) fitAll();
    setView(zoomView(view, f));
  }
  function toMap(cx, cy) {
    const m = svg.getScreenCTM();
    if (!m) return { x: 0, y: 0 };
    const p = new DOMPoint(cx, cy).matrixTransform(m.inverse());
    return { x: p.x, y: p.y };
  }
  const unitsPerPx = () => (view ? view.w / stageSize().w : 1);
  // A wall card shows the actors as large as it can (the rings around them
  // may be cut); the other views show every ring.
  const bounds = (actors) => (thumb ? contentBounds(actors, { rings: false, min: 200 }) : contentBounds(actors));

  function setExpanded(on) {
    if (mode !== 'edit') return;
    expanded = on;
    frame.classList.toggle('is-expanded', on);
    document.body.classList.toggle('map-is-expanded', on);
    expandBtn.setAttribute('aria-pressed', String(on));
    const label = expandBtn.querySelector('.map-btn-text');
    label.dataset.i18n = on ? 'map.collapse' : 'map.expand';
    label.textContent = t(label.dataset.i18n);
    expandBtn.querySelector('.map-icon').replaceWith(icon(on ? 'collapse' : 'expand'));
    requestAnimationFrame(() => { if (!userView) fitAll(); else if (view) { const s = stageSize(); setView(reshapeView(view, s.w, s.h)); } schedule(); });
  }

  // ---- rendering ---------------------------------------------------------------------
  function schedule() {
    if (scheduled || destroyed) return;
    scheduled = true;
    requestAnimationFrame(render);
  }

  function editingMap() {
    const m = new Map();
    for (const p of board.people()) {
      if (p.focus && isActor(p.focus)) {
        if (!m.has(p.focus)) m.set(p.focus, []);
        m.get(p.focus).push(p.name || t('board.anonymous'));
      }
    }
    return m;
  }

  function render() {
    scheduled = false;
    if (destroyed) return;
    const els = elements();
    // What vanished under us (someone else deleted it): let go quietly.
    if (drag && !isActor(drag.id)) { drag.stream.cancel(); override.delete(drag.id); drag = null; frame.classList.remove('is-dragging'); }
    if (keyMove && !isActor(keyMove.id)) { keyMove.stream.cancel(); override.delete(keyMove.id); keyMove = null; }
    if (selected && !els[selected]) select(null);
    if (linkMode && linkMode.from && !isActor(linkMode.from)) { linkMode.from = null; linkHint(); }
    if (panel && panel.id && !els[panel.id]) { closePanel(); say('map.goneWhileEditing'); }
    if (panel && panel.type === 'link' && !panel.id) refreshLinkSelects();

    // Positions: a drag or arrow keys win; other changes glide.
    const now = performance.now();
    const base = mapData(els);
    const positions = new Map();
    let animating = false;
    const glide = !thumb && !reducedMotion();
    for (const a of base.actors) {
      let p = { x: a.x, y: a.y };
      if (override.has(a.id)) {
        p = override.get(a.id);
        anims.delete(a.id);
      } else {
        let an = anims.get(a.id);
        const prev = shown.get(a.id);
        if (an && (an.to.x !== p.x || an.to.y !== p.y)) an = prev ? { from: prev, to: p, t0: now } : null;
        else if (!an && glide && prev && Math.hypot(prev.x - p.x, prev.y - p.y) > 0.5) an = { from: prev, to: p, t0: now };
        if (an) {
          const k = Math.min(1, (now - an.t0) / ANIM_MS);
          const e = 1 - (1 - k) ** 3;
          p = { x: an.from.x + (an.to.x - an.from.x) * e, y: an.from.y + (an.to.y - an.from.y) * e };
          if (k >= 1) anims.delete(a.id);
          else { anims.set(a.id, an); animating = true; }
        }
      }
      positions.set(a.id, p);
    }
    for (const id of anims.keys()) if (!positions.has(id)) anims.delete(id);
    shown = positions;
    const data = mapData(els, positions);

    // Fit automatically until the user zooms or pans (never during a drag).
    if (!drag && !keyMove && (!view || !userView)) {
      const { w, h: ht } = stageSize();
      const b = bounds(mapData(els).actors);
      const fitted = fitView(b, w, ht, thumb ? 4 : 12);
      const inside = view && b.x >= view.x && b.y >= view.y && b.x + b.w <= view.x + view.w && b.y + b.h <= view.y + view.h
        && Math.abs(view.w / view.h - w / ht) < 0.01 && view.w <= fitted.w * 1.6;
      if (!inside) { setView(fitted, false); userView = false; }
    }

    const active = document.activeElement;
    const editing = thumb && !board.people().length ? null : editingMap();
    // Names stay readable when the whole map is shown on a small screen:
    // text is at least 11.5 px on screen (up to 2.2 times its size).
    const pxPerUnit = view ? stageSize().w / view.w : 1;
    // On the wall's large view (a projector, read from afar) a bit larger.
    const textScale = thumb ? 1 : Math.max(1, Math.min(2.2, (mode === 'view' ? 16 : 11.5) / (13 * pxPerUnit)));
    patchChildren(sceneLayer, [sceneNodes(data, {
      t, title: typeof board.meta.title === 'string' ? board.meta.title : '', live: !thumb,
      selected, linkFrom: linkMode && linkMode.from, editing, textScale,
    })]);
    if (active && active !== document.activeElement && active.isConnected && svg.contains(active)) active.focus({ preventScroll: true });
    if (!thumb) {
      svg.setAttribute('aria-label', t('map.svgAria', { actors: tn('map.nActors', data.actors.length), links: tn('map.nLinks', data.links.length) }));
      updateToolbar();
      renderLists(data, editing);
    }
    if (animating) schedule();
  }

  function updateToolbar() {
    const can = canEdit();
    const hasSel = !!(selected && elements()[selected]);
    addActorBtn.disabled = !can;
    addLinkBtn.disabled = !can;
    editBtn.disabled = !can || !hasSel;
    deleteBtn.disabled = !can || !hasSel;
    undoBtn.disabled = !can || !undo.canUndo;
    addLinkBtn.setAttribute('aria-pressed', String(!!linkMode));
    frame.classList.toggle('is-readonly', editMode && !can);
    frame.classList.toggle('is-linking', !!linkMode);
  }

  // ---- lists (the phone's and the screen reader's view of the map) ----------------
  function renderLists(data, editing) {
    const can = canEdit();
    const sig = JSON.stringify([
      data.actors.map((a) => [a.id, a.props.name, a.props.kind, a.props.ring, a.props.note || '']),
      data.links.map((l) => [l.id, l.props.from, l.props.to, l.props.kind, l.props.niveau || '', l.props.label || '']),
      [...editing.entries()], selected, can, t('map.kind.autre'),
    ]);
    if (sig === listSig) return;
    listSig = sig;
    const active = document.activeElement;
    const refocus = active && listsBody.contains(active) ? { id: active.dataset.id, action: active.dataset.action } : null;
    const actors = [...data.actors].sort((a, b) => String(a.props.name).localeCompare(String(b.props.name)));
    const itemBtns = (id, name, isActorItem) => (can ? h('span', { class: 'map-item-actions' },
      h('button', {
        type: 'button', class: 'btn btn-small btn-secondary', dataset: { action: 'edit', id },
        text: t('map.edit'), 'aria-label': t(isActorItem ? 'map.editActorNamed' : 'map.editLinkNamed', { name }),
        on: { click: () => openEditor(id) },
      }),
      h('button', {
        type: 'button', class: 'btn btn-small btn-secondary btn-danger', dataset: { action: 'delete', id },
        text: t('map.delete'), 'aria-label': t(isActorItem ? 'map.deleteActorNamed' : 'map.deleteLinkNamed', { name }),
        on: { click: () => askDelete(id) },
      })) : null);
    const actorItems = actors.map((a) => {
      const kind = ACTOR_KINDS.includes(a.props.kind) ? a.props.kind : 'autre';
      const ring = RINGS.includes(a.props.ring) ? a.props.ring : 'proche';
      const who = editing.get(a.id);
      return h('li', { class: ['map-item', selected === a.id && 'is-selected'], dataset: { id: a.id } },
        svgIcon(kindIcon(kind, 26)),
        h('div', { class: 'map-item-text' },
          h('p', { class: 'map-item-name', text: a.props.name }),
          h('p', { class: 'map-item-meta', text: `${t(`map.kind.${kind}`)} · ${t(`map.ring.${ring}`)}` }),
          a.props.note ? h('p', { class: 'map-item-note', text: a.props.note }) : null,
          who ? h('p', { class: 'map-item-busy', text: t('map.busy', { names: who.join(', ') }) }) : null),
        itemBtns(a.id, a.props.name, true));
    });
    const linkItems = [...data.links]
      .sort((x, y) => String(x.a.props.name).localeCompare(String(y.a.props.name)) || String(x.b.props.name).localeCompare(String(y.b.props.name)))
      .map((l) => {
        const lk = LINK_KINDS.includes(l.props.kind) ? l.props.kind : 'autre';
        const ends = `${l.a.props.name} → ${l.b.props.name}`;
        const meta = [t(`map.linkKind.${lk}`)];
        if (NIVEAUX.includes(l.props.niveau)) meta.push(t(`niveau.${l.props.niveau}.label`));
        return h('li', { class: ['map-item', selected === l.id && 'is-selected'], dataset: { id: l.id } },
          svgIcon(linkIcon(lk, 40, 16)),
          h('div', { class: 'map-item-text' },
            h('p', { class: 'map-item-name', text: ends }),
            h('p', { class: 'map-item-meta', text: meta.join(' · ') }),
            l.props.label ? h('p', { class: 'map-item-note', text: l.props.label }) : null),
          itemBtns(l.id, ends, false));
      });
    listsSummary.textContent = t('map.listsTitle', { actors: tn('map.nActors', actors.length), links: tn('map.nLinks', linkItems.length) });
    listsBody.replaceChildren(
      h('section', { class: 'map-list-block' },
        h('h3', { class: 'map-list-title', text: t('map.actorsTitle') }),
        actorItems.length ? h('ul', { class: 'map-list' }, actorItems) : h('p', { class: 'hint', i18n: editMode ? 'map.noActors' : 'map.noActorsView' })),
      h('section', { class: 'map-list-block' },
        h('h3', { class: 'map-list-title', text: t('map.linksTitle') }),
        linkItems.length ? h('ul', { class: 'map-list' }, linkItems) : h('p', { class: 'hint', i18n: 'map.noLinks' })));
    if (refocus) {
      const again = listsBody.querySelector(`button[data-action="${refocus.action}"][data-id="${CSS.escape(refocus.id || '')}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  function renderLegend() {
    const row = (icon, text) => h('li', { class: 'map-legend-row' }, svgIcon(icon), h('span', { text }));
    const ringSwatch = (r) => ({ tag: 'svg', attrs: { xmlns: SVG_NS, viewBox: '0 0 22 22', width: 22, height: 22, 'aria-hidden': 'true', focusable: 'false' },
      children: [{ tag: 'circle', attrs: { cx: 11, cy: 11, r: 9, fill: RING_FILL[r], stroke: '#9fbfae', 'stroke-width': 1.5 } }] });
    legend.replaceChildren(
      h('summary', { class: 'map-legend-summary', i18n: 'map.legend.title' }),
      h('div', { class: 'map-legend-body' },
        h('h4', { i18n: 'map.actorsTitle' }),
        h('ul', { class: 'map-legend-list' }, ACTOR_KINDS.map((k) => row(kindIcon(k, 22), t(`map.kind.${k}`)))),
        h('h4', { i18n: 'map.linksTitle' }),
        h('ul', { class: 'map-legend-list' }, LINK_KINDS.map((k) => row(linkIcon(k, 44, 16), t(`map.linkKind.${k}`)))),
        h('h4', { i18n: 'map.legend.rings' }),
        h('ul', { class: 'map-legend-list' }, RINGS.map((r) => row(ringSwatch(r), t(`map.ring.${r}`)))),
        h('h4', { i18n: 'map.legend.niveau' }),
        h('ul', { class: 'map-legend-list map-legend-niveaux' }, NIVEAUX.map((n) => h('li', { text: `${t(`niveau.${n}.label`)} — ${t(`niveau.${n}.kind`)}` }))),
        editMode ? h('p', { class: 'hint map-legend-how', i18n: 'map.howTo' }) : null));
  }

  // ---- selection and presence ---------------------------------------------------------
  function select(id) {
    if (selected === id) return;
    selected = id;
    schedule();
  }
  // Others see who is dragging or editing which actor (presence focus = the
  // actor's id, x/y = where it is being moved); nothing while just looking.
  function setBusy(id, pos = null) {
    if (!editMode || !board.canWrite) return;
    if (id && isActor(id)) board.setPresence({ focus: id, x: pos ? clampCoord(pos.x) : null, y: pos ? clampCoord(pos.y) : null });
    else board.setPresence({ focus: null });
  }
  const busyAfter = () => setBusy(panel && panel.id && isActor(panel.id) ? panel.id : null);
  function focusElement(id) {
    const node = sceneLayer.querySelector(`[data-actor="${CSS.escape(id)}"], [data-link="${CSS.escape(id)}"]`);
    if (node) node.focus({ preventScroll: true });
  }

  // ---- pointer: drag actors, pan, pinch, click -------------------------------------------
  function onPointerDown(e) {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2 && gesturesOK(e.pointerType)) {
      if (drag) finishDrag();
      press = null;
      const [a, b] = [...pointers.values()];
      if (!view) fitAll();
      pinch = { d0: Math.hypot(a.x - b.x, a.y - b.y) || 1, view0: { ...view }, mid0: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, map0: toMap((a.x + b.x) / 2, (a.y + b.y) / 2) };
      return;
    }
    if (pointers.size > 1) return;
    const actorNode = e.target.closest && e.target.closest('[data-actor]');
    const linkNode = !actorNode && e.target.closest && e.target.closest('[data-link]');
    const actor = actorNode ? actorNode.getAttribute('data-actor') : null;
    const link = linkNode ? linkNode.getAttribute('data-link') : null;
    press = { pointerId: e.pointerId, sx: e.clientX, sy: e.clientY, actor, link, moved: false, touch: e.pointerType === 'touch' };
    if (actor && !linkMode && canEdit() && gesturesOK(e.pointerType)) {
      const p = shown.get(actor) || { x: 0, y: 0 };
      press.drag = { origin: { x: p.x, y: p.y }, before: JSON.parse(JSON.stringify(elements()[actor])) };
    } else if (!actor && !link && gesturesOK(e.pointerType)) {
      press.pan = true;
    }
    if (press.drag || press.pan) {
      try { svg.setPointerCapture(e.pointerId); } catch { /* gone */ }
    }
  }

  function onPointerMove(e) {
    if (pointers.has(e.pointerId)) pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch) {
      if (pointers.size < 2) return;
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a.x - b.x, a.y - b.y) || 1;
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const v = zoomView(pinch.view0, d / pinch.d0, pinch.map0.x, pinch.map0.y);
      const k = v.w / stageSize().w;
      setView({ ...v, x: v.x - (mid.x - pinch.mid0.x) * k, y: v.y - (mid.y - pinch.mid0.y) * k });
      return;
    }
    if (linkMode && linkMode.from) {
      const from = shown.get(linkMode.from);
      const m = toMap(e.clientX, e.clientY);
      if (from) {
        preview.setAttribute('x1', from.x.toFixed(1));
        preview.setAttribute('y1', from.y.toFixed(1));
        preview.setAttribute('x2', m.x.toFixed(1));
        preview.setAttribute('y2', m.y.toFixed(1));
        preview.setAttribute('visibility', 'visible');
      }
    }
    if (!press || e.pointerId !== press.pointerId) return;
    const dx = e.clientX - press.sx;
    const dy = e.clientY - press.sy;
    if (!press.moved && Math.hypot(dx, dy) < (press.touch ? 8 : 4)) return;
    press.moved = true;
    if (press.drag) {
      if (!drag) beginDrag(press);
      if (drag) moveDrag(e.clientX, e.clientY);
    } else if (press.pan) {
      if (!press.view0) press.view0 = view ? { ...view } : null;
      if (press.view0) {
        const k = unitsPerPx();
        setView({ ...press.view0, x: press.view0.x - dx * k, y: press.view0.y - dy * k });
      }
    }
  }

  function onPointerUp(e) {
    pointers.delete(e.pointerId);
    if (pinch) {
      if (pointers.size < 2) pinch = null;
      press = null;
      return;
    }
    if (!press || press.pointerId !== e.pointerId) return;
    const p = press;
    press = null;
    if (p.moved) {
      if (drag) finishDrag();
      return;
    }
    if (e.type === 'pointercancel') return;
    if (p.actor) clickActor(p.actor, p.touch);
    else if (p.link) clickLink(p.link, p.touch);
    else clickBackground();
  }

  function beginDrag(p) {
    if (!isActor(p.actor)) return;
    const id = p.actor;
    drag = {
      id,
      origin: p.drag.origin,
      before: p.drag.before,
      startMap: toMap(p.sx, p.sy),
      last: null,
      stream: moveStream((props) => board.changeElements([{ kind: 'set', id, props }]), DRAG_MS),
    };
    frame.classList.add('is-dragging');
    select(id);
  }

  function moveDrag(cx, cy) {
    const m = toMap(cx, cy);
    const x = clampCoord(drag.origin.x + m.x - drag.startMap.x);
    const y = clampCoord(drag.origin.y + m.y - drag.startMap.y);
    const props = { x, y, ring: ringAt(x, y) };
    drag.last = props;
    override.set(drag.id, { x, y });
    drag.stream.push(props);
    setBusy(drag.id, { x, y });
    schedule();
  }

  function finishDrag() {
    const d = drag;
    drag = null;
    frame.classList.remove('is-dragging');
    if (!d) return;
    endMove(d);
    schedule();
  }

  // endMove ends a drag or a keyboard move: the final position is sent and
  // becomes one undo step. False when there is nothing to send (no move, or
  // the actor was deleted meanwhile).
  function endMove(m) {
    override.delete(m.id);
    if (!m.last || !isActor(m.id)) { m.stream.cancel(); return false; }
    // Recorded before the final set is applied: `before` is the element at
    // the start of the move.
    const entry = undoEntry([{ kind: 'set', id: m.id, props: m.last }], { [m.id]: m.before }, { autoPos: { [m.id]: m.origin } });
    m.stream.end(m.last);
    undo.push(entry);
    shown.set(m.id, { x: m.last.x, y: m.last.y });
    busyAfter();
    return true;
  }

  function clickActor(id, touch) {
    if (linkMode) { pickForLink(id); return; }
    select(id);
    focusElement(id);
    if (touch && canEdit()) openActorForm(id);
  }
  function clickLink(id, touch) {
    if (linkMode) return;
    select(id);
    focusElement(id);
    if (touch && canEdit()) openLinkForm({ id });
  }
  function clickBackground() {
    if (linkMode) return;
    select(null);
  }

  function onDblClick(e) {
    if (!canEdit() || linkMode) return;
    const actorNode = e.target.closest && e.target.closest('[data-actor]');
    const linkNode = e.target.closest && e.target.closest('[data-link]');
    if (actorNode) openActorForm(actorNode.getAttribute('data-actor'));
    else if (linkNode) openLinkForm({ id: linkNode.getAttribute('data-link') });
    else openActorForm(null, { at: toMap(e.clientX, e.clientY) });
  }

  function onWheel(e) {
    if (!(e.ctrlKey || e.metaKey || expanded)) {
      if (!hint.dataset.wheel) {
        hint.dataset.wheel = '1';
        say('map.wheelHint');
        setTimeout(() => { delete hint.dataset.wheel; }, 6000);
      }
      return;
    }
    e.preventDefault();
    if (!view) fitAll();
    const m = toMap(e.clientX, e.clientY);
    const unit = e.deltaMode === 1 ? 0.05 : e.deltaMode === 2 ? 1 : 0.002;
    setView(zoomView(view, Math.exp(-e.deltaY * unit), m.x, m.y));
  }

  // ---- keyboard ----------------------------------------------------------------
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  function onKeyDown(e) {
    const actorNode = e.target.closest && e.target.closest('[data-actor]');
    const linkNode = e.target.closest && e.target.closest('[data-link]');
    const id = actorNode ? actorNode.getAttribute('data-actor') : linkNode ? linkNode.getAttribute('data-link') : null;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (ARROWS[e.key]) {
      e.preventDefault();
      const [ux, uy] = ARROWS[e.key];
      if (actorNode && canEdit()) {
        keyStep(id, ux, uy, e.shiftKey ? KEY_STEP_BIG : KEY_STEP);
      } else {
        if (!view) fitAll();
        const k = (e.shiftKey ? 200 : 40) * unitsPerPx();
        setView({ ...view, x: view.x + ux * k, y: view.y + uy * k });
      }
      return;
    }
    switch (e.key) {
      case 'Enter':
      case ' ':
      case 'F2':
        if (!id) return;
        e.preventDefault();
        if (linkMode && actorNode) pickForLink(id);
        else if (canEdit()) openEditor(id);
        else select(id);
        break;
      case 'Delete':
      case 'Backspace':
        if (!id || !canEdit()) return;
        e.preventDefault();
        askDelete(id);
        break;
      case '+':
      case '=':
        e.preventDefault();
        zoomBy(1.3);
        break;
      case '-':
      case '_':
        e.preventDefault();
        zoomBy(1 / 1.3);
        break;
      case '0':
        e.preventDefault();
        fitAll();
        break;
      default:
    }
  }

  function keyStep(id, ux, uy, step) {
    if (!isActor(id)) return;
    if (!keyMove || keyMove.id !== id) {
      if (keyMove) endKeyMove();
      // From where the actor is, not where a glide shows it right now.
      const p = actorPos(id, elements()[id].props);
      keyMove = {
        id,
        origin: { x: p.x, y: p.y },
        pos: { x: p.x, y: p.y },
        before: JSON.parse(JSON.stringify(elements()[id])),
        last: null,
        stream: moveStream((props) => board.changeElements([{ kind: 'set', id, props }]), DRAG_MS),
      };
    }
    const x = clampCoord(keyMove.pos.x + ux * step);
    const y = clampCoord(keyMove.pos.y + uy * step);
    keyMove.pos = { x, y };
    keyMove.last = { x, y, ring: ringAt(x, y) };
    override.set(id, { x, y });
    keyMove.stream.push(keyMove.last);
    select(id);
    setBusy(id, { x, y });
    schedule();
  }

  function endKeyMove() {
    const k = keyMove;
    keyMove = null;
    if (!k) return;
    if (endMove(k)) say('map.movedTo', { name: nameOf(k.id), ring: t(`map.ring.${k.last.ring}`) });
    schedule();
  }

  function onKeyUp(e) {
    if (ARROWS[e.key] && keyMove) endKeyMove();
  }

  function onFrameKeyDown(e) {
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && (e.key === 'z' || e.key === 'Z')) {
      if (isTextField(e.target) || !editMode) return;
      e.preventDefault();
      doUndo();
      return;
    }
    if (e.key === 'Escape') {
      if (panel) { e.preventDefault(); closePanel(); return; }
      if (linkMode) { e.preventDefault(); stopLink(); return; }
      if (expanded && mode === 'edit') { e.preventDefault(); setExpanded(false); return; }
      if (selected) { select(null); }
    }
  }

  // ---- links: pick two actors on the map -----------------------------------------------
  function startLink() {
    if (!canEdit()) return;
    const n = mapData(elements()).actors.length;
    if (n < 2) { say('map.needTwoActors'); return; }
    if (linkMode) { stopLink(); return; }
    closePanel();
    if (coarsePointer() && !expanded) { openLinkForm({ from: selected && isActor(selected) ? selected : null }); return; }
    linkMode = { from: selected && isActor(selected) ? selected : null };
    linkHint();
    updateToolbar();
    schedule();
  }
  function linkHint() {
    if (!linkMode) return;
    const formBtn = h('button', { type: 'button', class: 'btn btn-link btn-small', i18n: 'map.useForm' });
    formBtn.addEventListener('click', () => { const from = linkMode && linkMode.from; stopLink(); openLinkForm({ from }); });
    if (linkMode.from) say('map.linkPickTarget', { name: nameOf(linkMode.from) }, { sticky: true, action: formBtn });
    else say('map.linkPickSource', null, { sticky: true, action: formBtn });
  }
  function pickForLink(id) {
    if (!linkMode || !isActor(id)) return;
    if (!linkMode.from) {
      linkMode.from = id;
      select(id);
      linkHint();
      schedule();
      return;
    }
    if (linkMode.from === id) { say('map.linkSame', null, { sticky: true }); return; }
    const from = linkMode.from;
    stopLink();
    openLinkForm({ from, to: id });
  }
  function stopLink() {
    linkMode = null;
    preview.setAttribute('visibility', 'hidden');
    clearHint();
    updateToolbar();
    schedule();
  }

  // ---- forms (side panel) ----------------------------------------------------------------
  function openPanel(type, id, content, focusEl) {
    const returnFocus = panel ? panel.returnFocus : document.activeElement;
    closePanel({ restore: false });
    // Opened by an Enter still held down (on an actor, a list button): that
    // same key must not also submit the form once its field has the focus.
    panel = { type, id, el: content, returnFocus, fresh: enterHeld };
    if (enterHeld) setTimeout(() => { if (panel && panel.el === content) panel.fresh = false; }, 1000);
    panelHost.replaceChildren(content);
    panelHost.hidden = false;
    frame.classList.add('has-panel');
    busyAfter();
    requestAnimationFrame(() => {
      if (!panel || panel.el !== content) return;
      if (focusEl) focusEl.focus({ preventScroll: true });
      // At once (a smooth scroll would move the fields under the finger).
      const r = panelHost.getBoundingClientRect();
      if (r.top < 60 || r.top > innerHeight - 120) panelHost.scrollIntoView({ block: 'start' });
    });
  }
  function closePanel({ restore = true } = {}) {
    if (!panel) return;
    const p = panel;
    panel = null;
    panelHost.hidden = true;
    panelHost.replaceChildren();
    frame.classList.remove('has-panel');
    busyAfter();
    if (restore) {
      const back = p.returnFocus && p.returnFocus.isConnected && p.returnFocus !== document.body ? p.returnFocus : (editMode ? addActorBtn : svg);
      if (back && !back.disabled) back.focus({ preventScroll: true });
    }
  }

  function chips(name, legendKey, options, value, { disabled = () => false } = {}) {
    const legendId = uid('legend');
    return h('fieldset', { class: 'map-chips' },
      h('legend', { id: legendId, class: 'map-field-label', i18n: legendKey }),
      h('div', { class: 'map-chip-list' }, options.map((o) => {
        const id = uid(name);
        return h('div', { class: 'map-chip' },
          h('input', { type: 'radio', name, id, value: o.value, checked: o.value === value, disabled: disabled(o.value) }),
          h('label', { for: id }, o.icon ? svgIcon(o.icon) : null, h('span', { text: o.label })));
      })));
  }
  const radioValue = (form, name) => {
    const r = form.querySelector(`input[name="${name}"]:checked`);
    return r ? r.value : null;
  };

  function openEditor(id) {
    if (!canEdit()) return;
    if (isActor(id)) openActorForm(id);
    else if (isLink(id)) openLinkForm({ id });
  }

  function openActorForm(id, { at = null } = {}) {
    if (!canEdit()) return;
    if (linkMode) stopLink();
    const current = id ? elements()[id] : null;
    if (id && !current) return;
    if (!id && Object.keys(elements()).length >= MAX_ELEMENTS) { notify(t('map.errFull'), { kind: 'error' }); return; }
    const initial = current ? { ...current.props } : { name: '', kind: 'autre', ring: at ? ringAt(at.x, at.y) : 'proche', note: '' };
    const nameId = uid('aname');
    const noteId = uid('anote');
    const titleId = uid('atitle');
    const nameInput = h('input', { id: nameId, type: 'text', name: 'name', required: true, maxlength: MAX_NAME, autocomplete: 'off', value: initial.name || '', i18nPlaceholder: 'map.namePlaceholder' });
    const note = h('textarea', { id: noteId, name: 'note', rows: 2, maxlength: MAX_NOTE, value: initial.note || '', i18nPlaceholder: 'map.notePlaceholder' });
    note.value = initial.note || '';
    const error = h('p', { class: 'form-error', role: 'alert' });
    const suffix = uid('k');
    const kindSet = chips(`kind-${suffix}`, 'map.kindLabel', ACTOR_KINDS.map((k) => ({ value: k, label: t(`map.kind.${k}`), icon: kindIcon(k, 20) })), initial.kind || 'autre');
    const ringSet = chips(`ring-${suffix}`, 'map.ringLabel', RINGS.map((r) => ({ value: r, label: t(`map.ring.${r}`) })), initial.ring || 'proche');
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', i18n: current ? 'map.save' : 'map.addActorSubmit' });
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', i18n: 'map.cancel', on: { click: () => closePanel() } });
    const del = current ? h('button', { type: 'button', class: 'btn btn-secondary btn-danger map-form-delete', i18n: 'map.delete', on: { click: () => askDelete(id) } }) : null;
    const form = h('form', { class: 'map-form', novalidate: true, 'aria-labelledby': titleId },
      h('h3', { id: titleId, class: 'map-panel-title', i18n: current ? 'map.editActorTitle' : 'map.addActorTitle' }),
      mapField(nameId, 'map.nameLabel', nameInput),
      kindSet,
      ringSet,
      h('p', { class: 'hint map-ring-hint', i18n: 'map.ringHint' }),
      mapField(noteId, 'map.noteLabel', note),
      error,
      h('div', { class: 'map-form-actions' }, submit, cancel, del));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (panel && panel.fresh) return; // the Enter that opened it
      if (!canEdit()) { closePanel(); return; }
      const name = nameInput.value.trim();
      if (!name) { error.textContent = t('map.errName'); nameInput.focus(); return; }
      const kind = radioValue(form, `kind-${suffix}`) || 'autre';
      const ring = radioValue(form, `ring-${suffix}`) || 'proche';
      const noteText = note.value;
      if (!current) {
        if (Object.keys(elements()).length >= MAX_ELEMENTS) { error.textContent = t('map.errFull'); return; }
        const others = mapData(elements()).actors;
        const pos = at && ringAt(at.x, at.y) === ring ? { x: clampCoord(at.x), y: clampCoord(at.y) } : placeOnRing(ring, others);
        const nid = uuid();
        const props = { name, kind, ring, x: pos.x, y: pos.y };
        if (noteText.trim()) props.note = noteText;
        const changes = [{ kind: 'create', id: nid, elem: 'actor', props }];
        const entry = undoEntry(changes, elements());
        if (!board.changeElements(changes)) { error.textContent = t('map.errNotSaved'); return; }
        undo.push(entry);
        closePanel({ restore: false });
        select(nid);
        say('map.added', { name });
        (editMode && !coarsePointer() ? addActorBtn : addActorBtn).focus({ preventScroll: true });
        return;
      }
      if (!isActor(id)) { closePanel(); say('map.goneWhileEditing'); return; }
      // Only what this user changed: a concurrent move or rename by
      // someone else is kept.
      const props = {};
      if (name !== initial.name) props.name = name;
      if (kind !== (initial.kind || 'autre')) props.kind = kind;
      if (noteText !== (initial.note || '') && !(initial.note === undefined && !noteText)) props.note = noteText;
      if (ring !== (initial.ring || 'proche')) {
        props.ring = ring;
        const p = shown.get(id);
        if (!p || ringAt(p.x, p.y) !== ring) {
          const pos = placeOnRing(ring, mapData(elements()).actors.filter((a) => a.id !== id));
          props.x = pos.x;
          props.y = pos.y;
        }
      }
      if (Object.keys(props).length) {
        const changes = [{ kind: 'set', id, props }];
        const entry = undoEntry(changes, elements(), { autoPos: { [id]: shown.get(id) } });
        if (!board.changeElements(changes)) { error.textContent = t('map.errNotSaved'); return; }
        undo.push(entry);
        say('map.saved', { name });
      }
      closePanel();
    });
    openPanel('actor', id, form, nameInput);
  }

  function actorOptions(select, value) {
    const actors = mapData(elements()).actors.sort((a, b) => String(a.props.name).localeCompare(String(b.props.name)));
    const prev = value !== undefined ? value : select.value;
    select.replaceChildren(h('option', { value: '', i18n: 'map.chooseActor' }),
      ...actors.map((a) => h('option', { value: a.id, text: a.props.name, selected: a.id === prev })));
    select.value = actors.some((a) => a.id === prev) ? prev : '';
  }
  let refreshLinkSelects = () => {};

  function openLinkForm({ id = null, from = null, to = null } = {}) {
    if (!canEdit()) return;
    if (linkMode) stopLink();
    const current = id ? elements()[id] : null;
    if (id && !current) return;
    if (!id && Object.keys(elements()).length >= MAX_ELEMENTS) { notify(t('map.errFull'), { kind: 'error' }); return; }
    const initial = current ? { ...current.props } : { from, to, kind: 'partenariat', label: '' };
    const fromId = uid('lfrom');
    const toId = uid('lto');
    const labelId = uid('llabel');
    const titleId = uid('ltitle');
    const fromSel = h('select', { id: fromId, name: 'from', disabled: !!current });
    const toSel = h('select', { id: toId, name: 'to', disabled: !!current });
    actorOptions(fromSel, initial.from || '');
    actorOptions(toSel, initial.to || '');
    if (!current) {
      const actorSig = () => JSON.stringify(mapData(elements()).actors.map((a) => [a.id, a.props.name]));
      let sig = actorSig();
      refreshLinkSelects = () => {
        const now = actorSig();
        if (now === sig) return;
        sig = now;
        actorOptions(fromSel);
        actorOptions(toSel);
      };
    }
    const label = h('input', { id: labelId, type: 'text', name: 'label', maxlength: MAX_LABEL, autocomplete: 'off', value: initial.label || '', i18nPlaceholder: 'map.labelPlaceholder' });
    const error = h('p', { class: 'form-error', role: 'alert' });
    const suffix = uid('l');
    const kindSet = chips(`lkind-${suffix}`, 'map.linkKindLabel', LINK_KINDS.map((k) => ({ value: k, label: t(`map.linkKind.${k}`), icon: linkIcon(k, 36, 14) })), initial.kind || 'autre');
    const hadNiveau = NIVEAUX.includes(initial.niveau);
    const niveauSet = chips(`niveau-${suffix}`, 'section.niveau.title',
      [{ value: '', label: t('map.niveauNone') }, ...NIVEAUX.map((n) => ({ value: n, label: `${t(`niveau.${n}.label`)} (${t(`niveau.${n}.kind`)})` }))],
      initial.niveau || '', { disabled: (v) => v === '' && hadNiveau });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', i18n: current ? 'map.save' : 'map.addLinkSubmit' });
    const cancel = h('button', { type: 'button', class: 'btn btn-secondary', i18n: 'map.cancel', on: { click: () => closePanel() } });
    const del = current ? h('button', { type: 'button', class: 'btn btn-secondary btn-danger map-form-delete', i18n: 'map.delete', on: { click: () => askDelete(id) } }) : null;
    const form = h('form', { class: 'map-form', novalidate: true, 'aria-labelledby': titleId },
      h('h3', { id: titleId, class: 'map-panel-title', i18n: current ? 'map.editLinkTitle' : 'map.addLinkTitle' }),
      h('div', { class: 'map-form-row' },
        mapField(fromId, 'map.fromLabel', fromSel),
        mapField(toId, 'map.toLabel', toSel)),
      current ? h('p', { class: 'hint', i18n: 'map.endsFixed' }) : null,
      kindSet,
      niveauSet,
      mapField(labelId, 'map.labelLabel', label),
      error,
      h('div', { class: 'map-form-actions' }, submit, cancel, del));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (panel && panel.fresh) return; // the Enter that opened it
      if (!canEdit()) { closePanel(); return; }
      const kind = radioValue(form, `lkind-${suffix}`) || 'autre';
      const niveau = radioValue(form, `niveau-${suffix}`) || '';
      const text = label.value;
      if (!current) {
        const f = fromSel.value;
        const tt = toSel.value;
        if (!f || !tt) { error.textContent = t('map.errEnds'); (f ? toSel : fromSel).focus(); return; }
        if (f === tt) { error.textContent = t('map.errSameEnds'); toSel.focus(); return; }
        if (!isActor(f) || !isActor(tt)) { error.textContent = t('map.goneWhileEditing'); return; }
        if (Object.keys(elements()).length >= MAX_ELEMENTS) { error.textContent = t('map.errFull'); return; }
        const props = { from: f, to: tt, kind };
        if (niveau) props.niveau = niveau;
        if (text.trim()) props.label = text;
        const nid = uuid();
        const changes = [{ kind: 'create', id: nid, elem: 'link', props }];
        const entry = undoEntry(changes, elements());
        if (!board.changeElements(changes)) { error.textContent = t('map.errNotSaved'); return; }
        undo.push(entry);
        closePanel({ restore: false });
        select(nid);
        say('map.linkAdded', { from: nameOf(f), to: nameOf(tt) });
        addLinkBtn.focus({ preventScroll: true });
        return;
      }
      if (!isLink(id)) { closePanel(); say('map.goneWhileEditing'); return; }
      const props = {};
      if (kind !== (initial.kind || 'autre')) props.kind = kind;
      if (niveau && niveau !== initial.niveau) props.niveau = niveau;
      if (text !== (initial.label || '') && !(initial.label === undefined && !text)) props.label = text;
      if (Object.keys(props).length) {
        const changes = [{ kind: 'set', id, props }];
        const entry = undoEntry(changes, elements());
        if (!board.changeElements(changes)) { error.textContent = t('map.errNotSaved'); return; }
        undo.push(entry);
        say('map.linkSaved');
      }
      closePanel();
    });
    openPanel('link', id, form, current ? form.querySelector('input[type="radio"]:checked') : (initial.from ? (initial.to ? form.querySelector('input[type="radio"]:checked') : toSel) : fromSel));
  }

  // ---- delete, undo ----------------------------------------------------------------
  function askDelete(id) {
    if (!canEdit()) return;
    if (isLink(id)) { doDelete(id); return; }
    if (!isActor(id)) return;
    const name = nameOf(id);
    const nLinks = Object.values(elements()).filter((e) => e.elem === 'link' && (e.props.from === id || e.props.to === id)).length;
    const titleId = uid('ctitle');
    const textId = uid('ctext');
    const yes = h('button', { type: 'button', class: 'btn btn-primary btn-danger-solid', i18n: 'map.deleteConfirm', on: { click: () => { closePanel({ restore: false }); doDelete(id); svg.focus({ preventScroll: true }); } } });
    const no = h('button', { type: 'button', class: 'btn btn-secondary', i18n: 'map.cancel', on: { click: () => closePanel() } });
    const box = h('div', { class: 'map-confirm', role: 'alertdialog', 'aria-labelledby': titleId, 'aria-describedby': textId },
      h('h3', { id: titleId, class: 'map-panel-title', text: t('map.deleteActorQ', { name }) }),
      h('p', { id: textId, text: nLinks ? tn('map.deleteActorLinks', nLinks) : t('map.deleteActorNoLinks') }),
      h('div', { class: 'map-form-actions' }, yes, no));
    openPanel('confirm', id, box, yes);
  }

  function doDelete(id) {
    const el = elements()[id];
    if (!el || !canEdit()) return;
    const changes = [{ kind: 'delete', id }];
    const entry = undoEntry(changes, elements(), { autoPos: { [id]: shown.get(id) } });
    const name = el.elem === 'actor' ? el.props.name : `${nameOf(el.props.from)} → ${nameOf(el.props.to)}`;
    if (!board.changeElements(changes)) return;
    undo.push(entry);
    if (selected === id) select(null);
    say(el.elem === 'actor' ? 'map.deleted' : 'map.linkDeleted', { name });
  }

  function doUndo() {
    if (!canEdit()) return;
    if (keyMove) endKeyMove();
    const changes = undo.undo(elements(), uuid);
    if (!changes) { say('map.nothingToUndo'); updateToolbar(); return; }
    board.changeElements(changes);
    const created = changes.find((c) => c.kind === 'create' && c.elem === 'actor');
    if (created) select(created.id);
    say('map.undone');
    updateToolbar();
  }

  // ---- export -----------------------------------------------------------------
  function exportMarkup() {
    return exportSVG(elements(), { t, title: typeof board.meta.title === 'string' ? board.meta.title : '', group, workshop });
  }
  function doExportSVG() {
    download(new Blob([exportMarkup()], { type: 'image/svg+xml' }), exportFileName(t('map.fileBase'), group, 'svg'));
  }
  async function doExportPNG() {
    pngBtn.disabled = true;
    try {
      const png = await svgToPNG(exportMarkup());
      download(png, exportFileName(t('map.fileBase'), group, 'png'));
    } catch (err) {
      console.warn('tablee: PNG export', err);
      notify(t('map.errPNG'), { kind: 'error' });
    } finally {
      pngBtn.disabled = false;
    }
  }

  // ---- rejects -----------------------------------------------------------------
  // The server refused a submit that carried map changes: sync.js has
  // already put the board back (and emitted 'elements'); say why, clearly.
  function handleReject(r) {
    if (!r || r.retrying || !Array.isArray(r.changes) || !r.changes.some((c) => ELEM_KINDS.has(c.kind))) return false;
    if (r.code === 'locked' || r.code === 'closed' || r.code === 'forbidden') return false; // the page says it
    const key = r.code === 'too_many' ? 'map.errTooMany'
      : r.code === 'bad_props' ? 'map.errBadProps'
        : r.code === 'too_large' ? 'map.errTooLarge'
          : 'map.errRefused';
    notify(t(key, { message: r.message || r.code }), { kind: 'error' });
    schedule();
    return true;
  }

  // ---- wiring ------------------------------------------------------------------
  if (!thumb) {
    svg.addEventListener('pointerdown', onPointerDown);
    svg.addEventListener('pointermove', onPointerMove);
    svg.addEventListener('pointerup', onPointerUp);
    svg.addEventListener('pointercancel', onPointerUp);
    svg.addEventListener('dblclick', onDblClick);
    svg.addEventListener('wheel', onWheel, { passive: false });
    svg.addEventListener('keydown', onKeyDown);
    svg.addEventListener('keyup', onKeyUp);
    svg.addEventListener('focusin', (e) => {
      const n = e.target.closest && e.target.closest('[data-actor], [data-link]');
      if (n && !linkMode) select(n.getAttribute('data-actor') || n.getAttribute('data-link'));
    });
    svg.addEventListener('focusout', (e) => {
      if (keyMove && !(e.relatedTarget && svg.contains(e.relatedTarget) && e.relatedTarget.getAttribute('data-actor') === keyMove.id)) endKeyMove();
    });
    frame.addEventListener('keydown', onFrameKeyDown);
    document.addEventListener('keydown', onDocKey, true);
    document.addEventListener('keyup', onDocKey, true);
    svg.addEventListener('contextmenu', (e) => { if (drag) e.preventDefault(); });
    renderLegend();
  }
  const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(() => {
    if (!view) { schedule(); return; }
    const s = stageSize();
    if (!userView) fitAll();
    else setView(reshapeView(view, s.w, s.h));
    schedule();
  }) : null;
  if (ro) ro.observe(stage);
  for (const ev of ['elements', 'meta', 'reset', 'welcome', 'presence', 'status']) offs.push(board.on(ev, schedule));
  offs.push(onLangChange(() => { listSig = ''; if (!thumb) renderLegend(); if (linkMode) linkHint(); schedule(); }));
  schedule();

  return {
    el: frame,
    handleReject,
    fit: fitAll,
    refresh: schedule,
    exportMarkup,
    get undoSize() { return undo.size; },
    destroy() {
      destroyed = true;
      if (drag) finishDrag();
      if (keyMove) endKeyMove();
      if (ro) ro.disconnect();
      document.removeEventListener('keydown', onDocKey, true);
      document.removeEventListener('keyup', onDocKey, true);
      for (const off of offs) off();
      clearTimeout(hintTimer);
      document.body.classList.remove('map-is-expanded');
    },
  };
}

// The read-only map of a board, full screen (the wall's large view).
export function openMapDialog(board, { group = '', workshop = '' } = {}) {
  const returnFocus = document.activeElement;
  const map = createMap(board, { mode: 'view', group, workshop });
  const titleId = uid('mdtitle');
  const close = h('button', { type: 'button', class: 'btn btn-secondary btn-small map-dialog-close', i18n: 'common.close' });
  const dialog = h('div', { class: 'map-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId },
    h('header', { class: 'map-dialog-head' },
      h('h2', { id: titleId, class: 'map-dialog-title' },
        h('span', { text: group }), ' ', h('span', { class: 'map-dialog-sub', i18n: 'map.title' })),
      close),
    map.el);
  const done = () => {
    map.destroy();
    dialog.remove();
    document.body.classList.remove('map-dialog-open');
    document.removeEventListener('keydown', onKey, true);
    if (returnFocus && returnFocus.isConnected) returnFocus.focus({ preventScroll: true });
  };
  const onKey = (e) => {
    if (e.key === 'Escape') { e.preventDefault(); done(); }
    if (e.key === 'Tab') {
      // Keep the focus inside the dialog.
      const f = [...dialog.querySelectorAll('button:not([disabled]), [tabindex="0"], summary, a[href]')].filter((n) => n.getClientRects().length);
      if (!f.length) return;
      const first = f[0];
      const last = f[f.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    }
  };
  close.addEventListener('click', done);
  document.addEventListener('keydown', onKey, true);
  document.body.append(dialog);
  document.body.classList.add('map-dialog-open');
  close.focus();
  return { close: done, map };
}
