// Entry point: one page, routed on location.pathname.
//   /            landing (create or join a workshop)
//   /j/CODE      participant
//   /f/CODE#k=K  facilitator's control room (&g=GROUP: write in a group's fiche)
//   /wall/CODE   projector's wall (read-only; #b=BOARD: one board, large)
//   /print/CODE/BOARD  a group's fiche, ready to print (A4, PDF)

import { applyDocumentLang, getLang, onLangChange, setLang, translate } from './i18n.js';
import { fragmentParams, normalizeCode } from './util.js';
import { messagePage } from './ui.js';
import { landing } from './pages/landing.js';
import { participant } from './pages/participant.js';
import { wall } from './pages/wall.js';
import { facilitatorPage } from './pages/control.js';
import { printPage } from './pages/print.js';

function setupLangSwitch() {
  const buttons = document.querySelectorAll('[data-lang]');
  const sync = () => {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.lang === getLang()));
  };
  for (const b of buttons) {
    b.addEventListener('click', () => { setLang(b.dataset.lang); sync(); });
  }
  sync();
  onLangChange(sync);
}

function route(main) {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  if (path === '/' || path === '/index.html') return landing(main);
  const p = path.match(/^\/print\/([^/]+)\/([^/]+)$/);
  if (p) return printPage(main, normalizeCode(decodeURIComponent(p[1])), decodeURIComponent(p[2]));
  const m = path.match(/^\/(j|f|wall)\/([^/]+)$/);
  if (m) {
    const raw = decodeURIComponent(m[2]);
    const code = normalizeCode(raw);
    if (code !== raw) {
      // A hand-typed URL (/j/ab3-k9z): show the canonical one.
      history.replaceState(null, '', `/${m[1]}/${encodeURIComponent(code)}${location.hash}`);
    }
    if (m[1] === 'j') return participant(main, code);
    if (m[1] === 'f') {
      // The key and the group are in the fragment: another one is another
      // page (an anchor within the page is not).
      const first = fragmentParams(location.hash);
      window.addEventListener('hashchange', () => {
        const now = fragmentParams(location.hash);
        if (now.get('k') && (now.get('k') !== first.get('k') || now.get('g') !== first.get('g'))) location.reload();
      });
      return facilitatorPage(main, code);
    }
    return wall(main, code);
  }
  messagePage(main, 'common.notFoundTitle', 'common.notFoundText');
  return null;
}

applyDocumentLang();
translate();
setupLangSwitch();
const main = document.getElementById('main');
route(main);
