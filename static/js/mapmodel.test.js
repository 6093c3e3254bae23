// Tests of the map's pure logic (mapmodel.js). Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACTOR_KINDS, ACTOR_STYLE, LINK_KINDS, LINK_STYLE, NODE_R, RINGS, RING_R, UndoStack, actorPos, clampCoord,
  contentBounds, ellipsize, exportFileName, exportSVG, fitView, linkGeometry, linkOffsets, mapData, moveStream,
  placeOnRing, RING_LABEL_SPOTS, ringAt, ringMid, sceneNodes, toMarkup, undoEntry, wrapText, zoomView, LIMIT_COORD,
} from './mapmodel.js';
import { applyChanges, emptyState } from './batch.js';
import fr from './i18n/fr.js';

const t = (key, params) => {
  let s = fr[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, p) => (params[p] !== undefined ? String(params[p]) : m));
  return s;
};

// ---- rings and placement ---------------------------------------------------------

test('the ring follows from the distance to the centre', () => {
  assert.equal(ringAt(0, 0), 'coeur');
  assert.equal(ringAt(RING_R.coeur - 1, 0), 'coeur');
  assert.equal(ringAt(RING_R.coeur + 1, 0), 'proche');
  assert.equal(ringAt(0, -(RING_R.proche - 1)), 'proche');
  assert.equal(ringAt(RING_R.proche + 1, 0), 'territoire');
  assert.equal(ringAt(5000, 5000), 'territoire', 'beyond the last circle is still the wider territory');
  for (const r of RINGS) assert.equal(ringAt(ringMid(r), 0), r, `the middle of ${r} is in ${r}`);
});

test('placeOnRing puts an actor on its ring, away from the others, deterministically', () => {
  const placed = [];
  for (let i = 0; i < 12; i++) {
    const ring = RINGS[i % 3];
    const p = placeOnRing(ring, placed);
    assert.equal(ringAt(p.x, p.y), ring, `actor ${i} on ${ring}`);
    for (const o of placed) assert.ok(Math.hypot(o.x - p.x, o.y - p.y) > 40, `actor ${i} too close to another`);
    placed.push(p);
  }
  assert.deepEqual(placeOnRing('proche', placed), placeOnRing('proche', placed));
  // The first one goes in the middle of its band, away from the rings' names
  // (written at the top).
  const first = placeOnRing('territoire', []);
  assert.ok(Math.abs(Math.hypot(first.x, first.y) - ringMid('territoire')) < 1);
  for (const spot of RING_LABEL_SPOTS) assert.ok(Math.hypot(first.x - spot.x, first.y - spot.y) > 100);
  // An unknown ring is the protocol's default.
  assert.equal(ringAt(...Object.values(placeOnRing('nope', []))), 'proche');
});

test('an actor without coordinates is drawn on its ring, at a stable spot', () => {
  const a = actorPos('abc', { name: 'x', ring: 'coeur' });
  assert.equal(a.auto, true);
  assert.equal(ringAt(a.x, a.y), 'coeur');
  assert.deepEqual(actorPos('abc', { name: 'x', ring: 'coeur' }), a);
  assert.deepEqual(actorPos('abc', { name: 'x', x: 12.5, y: -3 }), { x: 12.5, y: -3, auto: false });
});

test('coordinates are clamped and rounded', () => {
  assert.equal(clampCoord(12.345), 12.3);
  assert.equal(clampCoord(1e9), LIMIT_COORD);
  assert.equal(clampCoord(-1e9), -LIMIT_COORD);
  assert.equal(clampCoord(NaN), 0);
  assert.equal(clampCoord(Infinity), 0);
});

// ---- the throttled move stream ------------------------------------------------------

function fakeTiming() {
  const c = { now: 0, timers: [] };
  c.opts = {
    now: () => c.now,
    setTimer: (fn, ms) => { const tm = { fn, at: c.now + ms }; c.timers.push(tm); return tm; },
    clearTimer: (tm) => { c.timers = c.timers.filter((x) => x !== tm); },
  };
  c.advance = (ms) => {
    c.now += ms;
    for (;;) {
      const due = c.timers.filter((x) => x.at <= c.now).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      c.timers = c.timers.filter((x) => x !== due);
      due.fn();
    }
  };
  return c;
}

test('a drag sends at most one set per 90 ms, the latest position, and always the final one', () => {
  const clock = fakeTiming();
  const sent = [];
  const s = moveStream((p) => sent.push(p), 90, clock.opts);
  // A pointer moving every 10 ms for 400 ms.
  for (let i = 1; i <= 40; i++) {
    s.push({ x: i, y: 0 });
    clock.advance(10);
  }
  assert.ok(sent.length >= 4 && sent.length <= 6, `${sent.length} sets for 400 ms`);
  assert.deepEqual(sent[0], { x: 1, y: 0 }, 'the first move goes at once');
  for (let i = 1; i < sent.length; i++) assert.ok(sent[i].x > sent[i - 1].x, 'always the latest position');
  s.push({ x: 41, y: 0 });
  s.end({ x: 42, y: 5 });
  assert.deepEqual(sent.at(-1), { x: 42, y: 5 }, 'the final position is sent on release');
  const n = sent.length;
  clock.advance(1000);
  assert.equal(sent.length, n, 'nothing trails after the end');
  // Released exactly where the last set was: nothing more to send.
  const sent2 = [];
  const s2 = moveStream((p) => sent2.push(p), 90, clock.opts);
  s2.push({ x: 1, y: 1 });
  s2.end({ x: 1, y: 1 });
  assert.deepEqual(sent2, [{ x: 1, y: 1 }]);
  // Cancelled (the actor was deleted under the pointer): nothing more.
  const sent3 = [];
  const s3 = moveStream((p) => sent3.push(p), 90, clock.opts);
  s3.push({ x: 1, y: 1 });
  s3.push({ x: 2, y: 2 });
  s3.cancel();
  clock.advance(500);
  assert.deepEqual(sent3, [{ x: 1, y: 1 }]);
});

// ---- link geometry ---------------------------------------------------------------------

test('a link stops at the actors\' outlines and follows them', () => {
  const g = linkGeometry({ x: 0, y: 0 }, { x: 200, y: 0 }, { kind: 'partenariat' });
  assert.ok(Math.abs(g.p0.x - (NODE_R + 5)) < 1e-9 && Math.abs(g.p1.x - (200 - NODE_R - 5)) < 1e-9);
  assert.equal(g.p0.y, 0);
  assert.match(g.d, /^M23 0L177 0$/);
  assert.deepEqual(g.mid, { x: 100, y: 0 });
  const moved = linkGeometry({ x: 0, y: 0 }, { x: 0, y: 300 }, { kind: 'partenariat' });
  assert.match(moved.d, /^M0 23L0 277$/);
  assert.equal(linkGeometry({ x: 0, y: 0 }, { x: 10, y: 0 }), null, 'overlapping actors: nothing to draw');
});

test('each link kind has its own line style', () => {
  const a = { x: 0, y: 0 };
  const b = { x: 300, y: 100 };
  const styles = new Set(LINK_KINDS.map((k) => {
    const s = LINK_STYLE[k];
    return `${s.dash || ''}|${!!s.double}|${!!s.zigzag}|${s.width}`;
  }));
  assert.equal(styles.size, LINK_KINDS.length, 'two kinds look the same in black and white');
  const fin = linkGeometry(a, b, { kind: 'financement' });
  assert.ok(fin.arrow, 'funding has a direction');
  assert.ok(linkGeometry(a, b, { kind: 'prestation' }).arrow);
  assert.equal(linkGeometry(a, b, { kind: 'partenariat' }).arrow, undefined);
  const dbl = linkGeometry(a, b, { kind: 'moyens' });
  assert.ok(dbl.d2 && dbl.d !== dbl.d2, 'sharing of means is a double line');
  const zig = linkGeometry(a, b, { kind: 'tension' });
  assert.ok(zig.d.split('L').length > 10, 'tension is a zigzag');
  assert.equal(LINK_STYLE.tension.color, '#c0392b', 'and red');
});

test('several links between two actors fan out, whatever their direction', () => {
  const links = [
    { id: 'l1', props: { from: 'a', to: 'b' } },
    { id: 'l2', props: { from: 'b', to: 'a' } },
    { id: 'l3', props: { from: 'a', to: 'c' } },
  ];
  const off = linkOffsets(links);
  assert.equal(off.get('l3'), 0, 'a single link is straight');
  assert.notEqual(off.get('l1'), 0);
  const A = { x: 0, y: 0 };
  const B = { x: 300, y: 0 };
  const g1 = linkGeometry(A, B, { offset: off.get('l1') });
  const g2 = linkGeometry(B, A, { offset: off.get('l2') });
  assert.ok(Math.abs(g1.mid.y - g2.mid.y) > 20, `the two curves overlap (${g1.mid.y}, ${g2.mid.y})`);
  assert.match(g1.d, /Q/);
});

test('mapData resolves positions, drops links to missing actors, sorts by name', () => {
  const st = emptyState();
  applyChanges(st, [
    { kind: 'create', id: 'b1', elem: 'actor', props: { name: 'Zèbre', x: 10, y: 10 } },
    { kind: 'create', id: 'a1', elem: 'actor', props: { name: 'asso', ring: 'coeur' } },
    { kind: 'create', id: 'l1', elem: 'link', props: { from: 'a1', to: 'b1', kind: 'financement' } },
  ]);
  st.elements.l2 = { elem: 'link', props: { from: 'a1', to: 'gone' } };
  const d = mapData(st.elements, new Map([['b1', { x: 99, y: 98 }]]));
  assert.deepEqual(d.actors.map((a) => a.props.name), ['asso', 'Zèbre']);
  assert.deepEqual([d.actors[1].x, d.actors[1].y], [99, 98], 'an override wins (drag)');
  assert.equal(ringAt(d.actors[0].x, d.actors[0].y), 'coeur');
  assert.deepEqual(d.links.map((l) => l.id), ['l1']);
  assert.equal(d.links[0].b.id, 'b1');
});

// ---- fit all, zoom -------------------------------------------------------------------

test('fit all shows the rings and every actor with its label', () => {
  const actors = [{ x: 0, y: 0 }, { x: 1200, y: -900 }, { x: -50, y: 700 }];
  const b = contentBounds(actors);
  for (const a of actors) {
    assert.ok(a.x - NODE_R >= b.x && a.x + NODE_R <= b.x + b.w && a.y - NODE_R >= b.y && a.y + NODE_R + 20 <= b.y + b.h);
  }
  assert.ok(b.x <= -RING_R.territoire && b.x + b.w >= RING_R.territoire, 'the rings are in');
  for (const [vw, vh] of [[390, 320], [1280, 640], [300, 900]]) {
    const v = fitView(b, vw, vh, 12);
    assert.ok(v.x <= b.x && v.y <= b.y && v.x + v.w >= b.x + b.w && v.y + v.h >= b.y + b.h, `fits in ${vw}×${vh}`);
    assert.ok(Math.abs(v.w / v.h - vw / vh) < 1e-9, 'keeps the viewport\'s aspect ratio');
    assert.ok(Math.abs(v.w - (b.w * vw) / (vw - 24)) < 1e-6 || Math.abs(v.h - (b.h * vh) / (vh - 24)) < 1e-6, 'and is tight on one side');
  }
  const empty = contentBounds([], { rings: false });
  assert.ok(empty.w > 0 && empty.h > 0);
});

test('zoom keeps the point under the pointer in place, within limits', () => {
  const v = { x: -500, y: -400, w: 1000, h: 800 };
  const z = zoomView(v, 2, 100, 100);
  assert.equal(z.w, 500);
  // (100,100) is at the same fraction of the view before and after.
  assert.ok(Math.abs((100 - v.x) / v.w - (100 - z.x) / z.w) < 1e-9);
  assert.ok(Math.abs((100 - v.y) / v.h - (100 - z.y) / z.h) < 1e-9);
  assert.equal(zoomView(v, 1000).w, 120, 'no closer than the minimum');
  assert.equal(zoomView(v, 1e-6).w, 20000, 'no farther than the maximum');
});

// ---- scene and export ----------------------------------------------------------------------

function sampleBoard() {
  const st = emptyState();
  applyChanges(st, [
    { kind: 'create', id: 'a1', elem: 'actor', props: { name: 'Mairie de Boutaric', kind: 'collectivite', ring: 'proche', x: 200, y: 0 } },
    { kind: 'create', id: 'a2', elem: 'actor', props: { name: '<img src=x onerror=alert(1)>', kind: 'habitants', ring: 'coeur', x: 0, y: 100, note: 'a & b' } },
    { kind: 'create', id: 'a3', elem: 'actor', props: { name: 'Fondation "Coop"', kind: 'financeur', ring: 'territoire', x: -380, y: -100 } },
    { kind: 'create', id: 'l1', elem: 'link', props: { from: 'a3', to: 'a1', kind: 'financement', niveau: 'faire_avec', label: 'Subvention <annuelle>' } },
    { kind: 'create', id: 'l2', elem: 'link', props: { from: 'a1', to: 'a2', kind: 'tension' } },
  ]);
  return st;
}

test('every actor kind has its colour and its own shape', () => {
  const shapes = new Set(ACTOR_KINDS.map((k) => ACTOR_STYLE[k].shape));
  const colours = new Set(ACTOR_KINDS.map((k) => ACTOR_STYLE[k].color));
  assert.equal(shapes.size, ACTOR_KINDS.length);
  assert.equal(colours.size, ACTOR_KINDS.length);
});

test('the live scene makes actors focusable buttons with a spoken label', () => {
  const st = sampleBoard();
  const scene = sceneNodes(mapData(st.elements), { t, live: true, selected: 'a1', editing: new Map([['a2', ['Camille']]]) });
  const all = [];
  const walk = (n) => { all.push(n); (n.children || []).forEach(walk); };
  walk(scene);
  const mairie = all.find((n) => n.attrs['data-actor'] === 'a1');
  assert.equal(mairie.attrs.tabindex, 0);
  assert.equal(mairie.attrs.role, 'button');
  assert.equal(mairie.attrs['aria-label'], 'Mairie de Boutaric\u00a0: Collectivité, Partenaires proches');
  assert.match(mairie.attrs.class, /is-selected/);
  const busy = all.find((n) => n.attrs['data-actor'] === 'a2');
  assert.match(busy.attrs['aria-label'], /Camille/);
  assert.ok(all.some((n) => n.text === '✎ Camille'), 'who is working on it is shown');
  const link = all.find((n) => n.attrs['data-link'] === 'l1');
  assert.match(link.attrs['aria-label'], /Financement.*Fondation "Coop".*Mairie de Boutaric/);
  // User text is text: never an element.
  assert.ok(all.some((n) => n.tag === 'title' && n.text === '<img src=x onerror=alert(1)>\na & b'));
  assert.ok(all.some((n) => n.tag === 'tspan' && n.text === '<img src=x'));
  assert.ok(!all.some((n) => n.tag === 'img'));
});

test('the export is a standalone SVG with the names, escaped, and the legend', () => {
  const st = sampleBoard();
  const svg = exportSVG(st.elements, { t, title: 'Tiers-lieu & co', group: 'Groupe A', workshop: 'Coopération' });
  assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /width="\d+" height="\d+" viewBox="0 0 \d+ \d+"/);
  assert.ok(svg.includes('Mairie de Boutaric'));
  assert.ok(svg.includes('&lt;img src=x onerror=alert(1)&gt;'), 'markup in a name is escaped');
  assert.ok(!svg.includes('<img'), 'no element from user text');
  assert.ok(svg.includes('Fondation &quot;Coop&quot;'));
  assert.ok(svg.includes('Subvention &lt;annuelle&gt;'));
  assert.ok(svg.includes('Groupe A — Tiers-lieu &amp; co'), 'the heading');
  assert.ok(svg.includes('«\u00a0Faire avec\u00a0»'), 'the level of cooperation is written on the link');
  // The legend: every kind, every link style, the rings.
  for (const k of ACTOR_KINDS) assert.ok(svg.includes(`>${t(`map.kind.${k}`).replace('/', '/')}<`), k);
  for (const k of LINK_KINDS) assert.ok(svg.includes(`>${t(`map.linkKind.${k}`)}<`), k);
  for (const r of RINGS) assert.ok(svg.includes(`>${t(`map.ring.${r}`)}<`), r);
  // Standalone: presentation attributes, generic font, no class, no style,
  // no script, nothing fetched.
  assert.ok(svg.includes('font-family="sans-serif"'));
  assert.ok(!/\sclass=|\sstyle=|<style|<script|href=|tabindex|data-/.test(svg), 'not standalone');
  assert.ok(svg.includes('stroke-dasharray="10 6"'), 'the funding link is dashed');
  assert.ok(svg.includes(`fill="${ACTOR_STYLE.habitants.color}"`));
  // Well formed: every tag closed.
  const opens = (svg.match(/<[a-z]+[\s>]/g) || []).length;
  const closes = (svg.match(/<\/[a-z]+>/g) || []).length + (svg.match(/\/>/g) || []).length;
  assert.equal(opens, closes);
});

test('the export of an empty map still has the rings and the legend', () => {
  const svg = exportSVG({}, { t });
  assert.ok(svg.includes(t('map.ring.coeur')) && svg.includes(t('map.project')) && svg.includes(t('map.legend.title').slice(0, 0)));
  assert.ok(svg.includes(t('map.kind.habitants')));
});

test('toMarkup escapes attributes and text and leaves out the bookkeeping', () => {
  assert.equal(toMarkup({ tag: 'text', attrs: { key: 'k', x: 1, title: 'a"b<', hidden: false, y: undefined }, text: '1 < 2 & 3' }),
    '<text x="1" title="a&quot;b&lt;">1 &lt; 2 &amp; 3</text>');
  assert.equal(toMarkup({ tag: 'g', attrs: {}, children: [] }), '<g/>');
});

test('file names and texts', () => {
  assert.equal(exportFileName('carte-acteurs', 'Groupe Été / Nord', 'svg'), 'carte-acteurs-groupe-ete-nord.svg');
  assert.equal(exportFileName('carte-acteurs', '', 'png'), 'carte-acteurs.png');
  assert.equal(ellipsize('abcdef', 4), 'abc…');
  assert.equal(ellipsize('🌱🌱🌱', 3), '🌱🌱🌱');
  assert.deepEqual(wrapText('Tiers-lieu partagé du quartier nord', 13, 3), ['Tiers-lieu', 'partagé du', 'quartier nord']);
  const long = wrapText('un deux trois quatre cinq six sept huit neuf dix', 10, 2);
  assert.equal(long.length, 2);
  assert.ok(long[1].endsWith('…'));
});

// ---- undo --------------------------------------------------------------------------------

function board() {
  const st = emptyState();
  const apply = (changes) => applyChanges(st, changes);
  return { st, apply };
}

let idn = 0;
const newId = () => `new${++idn}`;

test('undo of a create is a delete; of a set, the previous values', () => {
  const { st, apply } = board();
  const u = new UndoStack();
  const create = [{ kind: 'create', id: 'a1', elem: 'actor', props: { name: 'Mairie', x: 10, y: 20, ring: 'coeur' } }];
  u.push(undoEntry(create, st.elements));
  apply(create);
  const move = [{ kind: 'set', id: 'a1', props: { x: 300, y: 0, ring: 'proche' } }];
  u.push(undoEntry(move, st.elements));
  apply(move);
  const rename = [{ kind: 'set', id: 'a1', props: { name: 'Mairie de Boutaric', note: 'élu·e référent·e' } }];
  u.push(undoEntry(rename, st.elements));
  apply(rename);
  let inv = u.undo(st.elements, newId);
  assert.deepEqual(inv, [{ kind: 'set', id: 'a1', props: { name: 'Mairie', note: '' } }], 'a note that was not there goes back to empty');
  apply(inv);
  inv = u.undo(st.elements, newId);
  assert.deepEqual(inv, [{ kind: 'set', id: 'a1', props: { x: 10, y: 20, ring: 'coeur' } }]);
  apply(inv);
  inv = u.undo(st.elements, newId);
  assert.deepEqual(inv, [{ kind: 'delete', id: 'a1' }]);
  apply(inv);
  assert.equal(u.undo(st.elements, newId), null, 'nothing left');
});

test('undo leaves other people\'s later changes alone', () => {
  const { st, apply } = board();
  apply([{ kind: 'create', id: 'a1', elem: 'actor', props: { name: 'Mairie', x: 10, y: 20 } }]);
  const u = new UndoStack();
  const mine = [{ kind: 'set', id: 'a1', props: { x: 50, y: 60, name: 'Ville' } }];
  u.push(undoEntry(mine, st.elements));
  apply(mine);
  // Someone else moves it afterwards: my rename is undone, their move stays.
  apply([{ kind: 'set', id: 'a1', props: { x: 400, y: 400 } }]);
  assert.deepEqual(u.undo(st.elements, newId), [{ kind: 'set', id: 'a1', props: { name: 'Mairie' } }]);
  // An entry whose element someone else deleted is skipped for the one before.
  const { st: st2, apply: apply2 } = board();
  apply2([{ kind: 'create', id: 'b1', elem: 'actor', props: { name: 'B' } }, { kind: 'create', id: 'c1', elem: 'actor', props: { name: 'C' } }]);
  const u2 = new UndoStack();
  const e1 = [{ kind: 'set', id: 'c1', props: { name: 'C2' } }];
  u2.push(undoEntry(e1, st2.elements));
  apply2(e1);
  const e2 = [{ kind: 'set', id: 'b1', props: { name: 'B2' } }];
  u2.push(undoEntry(e2, st2.elements));
  apply2(e2);
  apply2([{ kind: 'delete', id: 'b1' }]); // someone else
  assert.deepEqual(u2.undo(st2.elements, newId), [{ kind: 'set', id: 'c1', props: { name: 'C' } }]);
});

test('undo of a move of an actor that had no coordinates puts it back where it was drawn', () => {
  const { st, apply } = board();
  apply([{ kind: 'create', id: 'a1', elem: 'actor', props: { name: 'Asso', ring: 'coeur' } }]);
  const drawn = actorPos('a1', st.elements.a1.props);
  const u = new UndoStack();
  const move = [{ kind: 'set', id: 'a1', props: { x: 300, y: 0, ring: 'proche' } }];
  u.push(undoEntry(move, st.elements, { autoPos: { a1: drawn } }));
  apply(move);
  assert.deepEqual(u.undo(st.elements, newId), [{ kind: 'set', id: 'a1', props: { x: drawn.x, y: drawn.y, ring: 'coeur' } }]);
});

test('undo of an actor\'s deletion re-creates it and its links with new ids', () => {
  const { st, apply } = board();
  apply([
    { kind: 'create', id: 'a1', elem: 'actor', props: { name: 'Mairie', kind: 'collectivite', x: 1, y: 2 } },
    { kind: 'create', id: 'a2', elem: 'actor', props: { name: 'Asso' } },
    { kind: 'create', id: 'a3', elem: 'actor', props: { name: 'Banque' } },
    { kind: 'create', id: 'l1', elem: 'link', props: { from: 'a1', to: 'a2', kind: 'partenariat', label: 'convention' } },
    { kind: 'create', id: 'l2', elem: 'link', props: { from: 'a3', to: 'a1', kind: 'financement' } },
    { kind: 'create', id: 'l3', elem: 'link', props: { from: 'a2', to: 'a3' } },
  ]);
  const u = new UndoStack();
  // I move the Mairie, then delete it (its two links go with it).
  const move = [{ kind: 'set', id: 'a1', props: { x: 100, y: 100 } }];
  u.push(undoEntry(move, st.elements));
  apply(move);
  const del = [{ kind: 'delete', id: 'a1' }];
  u.push(undoEntry(del, st.elements));
  apply(del);
  assert.equal(st.elements.l1, undefined);
  idn = 0;
  const inv = u.undo(st.elements, newId);
  assert.deepEqual(inv, [
    { kind: 'create', id: 'new1', elem: 'actor', props: { name: 'Mairie', kind: 'collectivite', ring: 'proche', x: 100, y: 100 } },
    { kind: 'create', id: 'new2', elem: 'link', props: { from: 'new1', to: 'a2', kind: 'partenariat', label: 'convention' } },
    { kind: 'create', id: 'new3', elem: 'link', props: { from: 'a3', to: 'new1', kind: 'financement' } },
  ]);
  apply(inv);
  assert.ok(!inv.some((c) => c.id === 'a1' || c.id === 'l1' || c.id === 'l2'), 'an id that existed is never created again');
  // The older entry (the move) now acts on the new id.
  assert.deepEqual(u.undo(st.elements, newId), [{ kind: 'set', id: 'new1', props: { x: 1, y: 2 } }]);
});

test('undo of a link deletion re-creates the link; undo of a create of something already gone is skipped', () => {
  const { st, apply } = board();
  apply([
    { kind: 'create', id: 'a1', elem: 'actor', props: { name: 'A' } },
    { kind: 'create', id: 'a2', elem: 'actor', props: { name: 'B' } },
  ]);
  const u = new UndoStack();
  const mk = [{ kind: 'create', id: 'l1', elem: 'link', props: { from: 'a1', to: 'a2', kind: 'moyens', niveau: 'faire_corps' } }];
  u.push(undoEntry(mk, st.elements));
  apply(mk);
  const del = [{ kind: 'delete', id: 'l1' }];
  u.push(undoEntry(del, st.elements));
  apply(del);
  idn = 10;
  const inv = u.undo(st.elements, newId);
  assert.deepEqual(inv, [{ kind: 'create', id: 'new11', elem: 'link', props: { from: 'a1', to: 'a2', kind: 'moyens', niveau: 'faire_corps' } }]);
  apply(inv);
  // Undoing the creation deletes the re-created link (the alias).
  assert.deepEqual(u.undo(st.elements, newId), [{ kind: 'delete', id: 'new11' }]);
  // A link whose actor is gone cannot come back: skipped.
  const u2 = new UndoStack();
  apply([{ kind: 'create', id: 'l9', elem: 'link', props: { from: 'a1', to: 'a2' } }]);
  const d9 = [{ kind: 'delete', id: 'l9' }];
  u2.push(undoEntry(d9, st.elements));
  apply(d9);
  apply([{ kind: 'delete', id: 'a2' }]);
  assert.equal(u2.undo(st.elements, newId), null);
});

test('the undo stack keeps the last 100 entries', () => {
  const u = new UndoStack(100);
  for (let i = 0; i < 150; i++) u.push({ changes: [{ kind: 'delete', id: `x${i}` }], before: {}, cascade: {} });
  assert.equal(u.size, 100);
  u.push({ changes: [], before: {}, cascade: {} });
  assert.equal(u.size, 100, 'an empty entry is not kept');
});
