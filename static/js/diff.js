// A multi-splice text diff (Myers, O(ND)) that returns a ShareJS text op.
//
// diffOp in ot.js gives the single smallest splice, right for a keystroke.
// When the client has to rebuild "what changed remotely" from two full texts
// (a snapshot after a long absence), several separate edits would collapse
// into one big replace and our own pending edits would lose their place;
// this finds every splice instead. Works on code points so that it never
// cuts a surrogate pair; lengths in the op are UTF-16 units. Falls back to
// the single splice when the texts differ too much (maxEdits).

import { diffOp } from './ot.js';

export function diffText(oldText, newText, { maxEdits = 2000 } = {}) {
  if (oldText === newText) return [];
  const a = Array.from(oldText);
  const b = Array.from(newText);
  // Trim the common ends first: most of the text usually is.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const A = a.slice(pre, a.length - suf);
  const B = b.slice(pre, b.length - suf);
  const script = myers(A, B, maxEdits);
  if (!script) return diffOp(oldText, newText);

  const op = [];
  const push = (c) => {
    const last = op[op.length - 1];
    if (typeof c === 'number') {
      if (c === 0) return;
      if (typeof last === 'number') op[op.length - 1] = last + c; else op.push(c);
    } else if (typeof c === 'string') {
      if (!c) return;
      if (typeof last === 'string') op[op.length - 1] = last + c; else op.push(c);
    } else {
      if (!c.d) return;
      if (last && typeof last === 'object') last.d += c.d; else op.push({ d: c.d });
    }
  };
  const units = (arr) => arr.reduce((n, ch) => n + ch.length, 0);
  push(units(a.slice(0, pre)));
  for (const [kind, tokens] of script) {
    if (kind === '=') push(units(tokens));
    else if (kind === '+') push(tokens.join(''));
    else push({ d: units(tokens) });
  }
  // The common suffix is kept implicitly (no trailing retain).
  return op;
}

// Returns [['=', tokens] | ['-', tokens] | ['+', tokens], …] turning A into
// B, or null past maxEdits.
function myers(A, B, maxEdits) {
  const n = A.length;
  const m = B.length;
  if (n === 0) return m ? [['+', B]] : [];
  if (m === 0) return [['-', A]];
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  let v = new Int32Array(2 * max + 3);
  const trace = [];
  let found = -1;
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x;
      if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) x = v[offset + k + 1];
      else x = v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && A[x] === B[y]) { x++; y++; }
      v[offset + k] = x;
      if (x >= n && y >= m) { found = d; break; }
    }
    if (found >= 0) break;
  }
  if (found < 0) return null;
  // Walk back through the trace.
  const edits = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d];
    const k = x - y;
    let prevK;
    if (k === -d || (k !== d && vd[offset + k - 1] < vd[offset + k + 1])) prevK = k + 1;
    else prevK = k - 1;
    const prevX = vd[offset + prevK];
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) { edits.push(['=', A[x - 1]]); x--; y--; }
    if (x === prevX) edits.push(['+', B[y - 1]]);
    else edits.push(['-', A[x - 1]]);
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) { edits.push(['=', A[x - 1]]); x--; y--; }
  edits.reverse();
  // Group runs of one kind.
  const out = [];
  for (const [kind, tok] of edits) {
    const last = out[out.length - 1];
    if (last && last[0] === kind) last[1].push(tok);
    else out.push([kind, [tok]]);
  }
  return out;
}
