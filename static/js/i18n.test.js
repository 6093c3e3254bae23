// Catalogue checks: both languages have the same keys and placeholders, and
// every key the code or the markup uses exists. Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fr from './i18n/fr.js';
import en from './i18n/en.js';
import { pickLang, t } from './i18n.js';
import { SECTIONS, NIVEAUX } from './batch.js';
import { ACTOR_KINDS, LINK_KINDS, RINGS } from './mapmodel.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function sources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) { if (entry.name !== 'i18n' && entry.name !== 'testing') out.push(...sources(p)); }
    // i18n.js and dom.js are the machinery: their quoted words are not keys.
    else if (entry.name.endsWith('.js') && !entry.name.endsWith('.test.js') && !['i18n.js', 'dom.js'].includes(entry.name)) out.push(p);
  }
  return out;
}

test('fr and en have the same keys', () => {
  assert.deepEqual(Object.keys(en).sort(), Object.keys(fr).sort());
});

test('fr and en use the same {placeholders}, and no string is empty', () => {
  const params = (s) => (s.match(/\{\w+\}/g) || []).sort().join(',');
  for (const key of Object.keys(fr)) {
    assert.ok(fr[key].trim() && en[key].trim(), key);
    assert.equal(params(en[key]), params(fr[key]), key);
  }
});

// Every catalogue key the code and the markup name.
function usedKeys() {
  const used = new Set();
  // Keys built from a value: the prefix says which list the value is from.
  const LISTS = { 'map.kind.': ACTOR_KINDS, 'map.linkKind.': LINK_KINDS, 'map.ring.': RINGS, 'niveau.': NIVEAUX, 'section.': SECTIONS };
  const expand = (k) => {
    if (k.includes('${key}') || k.includes('${s}')) return SECTIONS.map((s) => k.replace(/\$\{(key|s)\}/, s));
    if (k.includes('${n}') || k.includes('${niveau}')) return NIVEAUX.map((n) => k.replace(/\$\{(n|niveau)\}/, n));
    const m = k.match(/^([a-zA-Z.]+\.)\$\{[^}]+\}(.*)$/);
    if (m && LISTS[m[1]]) return LISTS[m[1]].map((v) => `${m[1]}${v}${m[2]}`);
    return [k];
  };
  for (const file of sources(here)) {
    const src = fs.readFileSync(file, 'utf8');
    for (const m of src.matchAll(/\b(?:t|i18n|i18nPlaceholder|i18nAriaLabel|i18nTitle|i18nAlt)(?:\(|: )(['`])([a-zA-Z0-9_.${}]+)\1/g)) {
      for (const k of expand(m[2])) used.add(k);
    }
    for (const m of src.matchAll(/\btn\((['`])([a-zA-Z0-9_.]+)\1/g)) {
      used.add(`${m[2]}.one`);
      used.add(`${m[2]}.other`);
    }
    for (const m of src.matchAll(/'((?:status|common|landing|board|wall|join|map)\.[a-zA-Z.]+)'/g)) used.add(m[1]);
  }
  const html = fs.readFileSync(path.join(here, '..', 'index.html'), 'utf8');
  for (const m of html.matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g)) used.add(m[1]);
  return used;
}

test('every key used in the code and the markup exists', () => {
  const used = usedKeys();
  assert.ok(used.size > 80, `found only ${used.size} keys: the scan is broken`);
  assert.ok(used.has('map.kind.habitants') && used.has('map.linkKind.tension') && used.has('map.ring.coeur') && used.has('map.undo'), 'the map\'s keys are scanned');
  const missing = [...used].filter((k) => !(k in fr) && !(`${k}.one` in fr));
  assert.deepEqual(missing, []);
});

test('the sections and levels carry the course wording', () => {
  assert.equal(fr['section.etat_des_lieux.title'], 'État des lieux du territoire');
  assert.equal(fr['section.enjeux.title'], 'Enjeux et motivations');
  assert.equal(fr['section.niveau.title'], 'Niveau de coopération');
  assert.equal(fr['section.ecosysteme.title'], 'Éco-système');
  assert.equal(fr['section.animation.title'], 'Animation');
  assert.equal(fr['section.financement.title'], 'Pistes de financement');
  assert.equal(fr['section.calendrier.title'], 'Calendrier prévisionnel');
  for (const w of ['nécessité', 'sécurité', 'facilité', 'plaisir']) assert.ok(fr['section.enjeux.help'].includes(w), w);
  assert.ok(fr['section.ecosysteme.help'].includes('Identifiez le territoire et les acteurs clés'));
  assert.match(fr['niveau.faire_ensemble.label'], /Faire ensemble/);
  assert.match(fr['niveau.faire_avec.label'], /Faire avec/);
  assert.match(fr['niveau.faire_corps.label'], /Faire corps/);
  assert.equal(fr['niveau.faire_ensemble.kind'], 'coopération économique');
  assert.equal(fr['niveau.faire_avec.kind'], 'coopération de moyens');
  assert.equal(fr['niveau.faire_corps.kind'], 'coopération stratégique');
});

test('language choice: stored first, English only for English browsers, French otherwise', () => {
  assert.equal(pickLang(null, ['en-GB', 'fr']), 'en');
  assert.equal(pickLang(null, ['en']), 'en');
  assert.equal(pickLang(null, ['fr-FR']), 'fr');
  assert.equal(pickLang(null, ['de-DE', 'en']), 'fr');
  assert.equal(pickLang(null, []), 'fr');
  assert.equal(pickLang('en', ['fr']), 'en');
  assert.equal(pickLang('xx', ['en-US']), 'en');
});

test('t() fills parameters and shows unknown keys as they are', () => {
  assert.equal(t('landing.groupDefault', { n: 3 }), 'Groupe 3');
  assert.equal(t('no.such.key'), 'no.such.key');
});

test('each key is written once in each catalogue, and the map\'s keys are all used', () => {
  for (const file of ['fr.js', 'en.js']) {
    const src = fs.readFileSync(path.join(here, 'i18n', file), 'utf8');
    const keys = [...src.matchAll(/^\s*'([^']+)':/gm)].map((m) => m[1]);
    const seen = new Set();
    const dup = keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
    assert.deepEqual(dup, [], `${file}: keys written twice`);
  }
  // Within the map, no French string is said twice under two keys.
  const used = usedKeys();
  const unused = Object.keys(fr).filter((k) => k.startsWith('map.') && !used.has(k) && !used.has(k.replace(/\.(one|other)$/, '.one')));
  assert.deepEqual(unused, [], 'map keys nobody uses');
  const mapValues = Object.entries(fr).filter(([k]) => k.startsWith('map.')).map(([, v]) => v);
  assert.equal(new Set(mapValues).size, mapValues.length, 'a map string appears twice');
});

test('the map speaks the course\'s words', () => {
  assert.equal(fr['map.title'], 'Carte des acteurs');
  assert.equal(fr['map.ring.coeur'], 'Cœur du projet');
  assert.equal(fr['map.ring.proche'], 'Partenaires proches');
  assert.equal(fr['map.ring.territoire'], 'Territoire élargi');
  assert.equal(fr['map.kind.habitants'], 'Habitants / bénéficiaires');
  assert.equal(fr['map.linkKind.moyens'], 'Échange de moyens');
  assert.equal(fr['map.linkKind.tension'], 'Tension / concurrence');
  for (const k of ACTOR_KINDS) assert.ok(fr[`map.kind.${k}`] && en[`map.kind.${k}`], k);
  for (const k of LINK_KINDS) assert.ok(fr[`map.linkKind.${k}`] && en[`map.linkKind.${k}`], k);
});
