// Text operations of the ShareJS/ottypes "text" type, the browser twin of
// board/text.go. Both follow the reference implementation (npm ot-text)
// step by step and are checked against board/testdata/text-vectors.json,
// so the server and every client compute the same ops.
//
// An op is an array of components applied left to right over the text:
//   n (positive integer)  keep (retain) n characters
//   "str"                 insert str
//   {d: n}                delete n characters
// Lengths and offsets count UTF-16 code units, which is what JavaScript's
// string .length counts: "é" is 1, "🌱" is 2. What the op does not reach at
// its end is kept.
//
// Every function validates its op arguments and throws an Error with
// .code === 'bad_op' on a malformed one. None modifies its arguments.

export const MAX_OP_COMPS = 10000; // components in one op
export const MAX_COMP_SIZE = 2 ** 30; // a retain or delete length

function badOp(message) {
  const err = new Error(message);
  err.code = 'bad_op';
  return err;
}

const isHigh = (u) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u) => u >= 0xdc00 && u <= 0xdfff;

// wellFormed reports whether s holds no lone surrogate. The server refuses
// those (they cannot be stored as UTF-8), so they must never be sent.
const wellFormed = typeof String.prototype.isWellFormed === 'function'
  ? (s) => s.isWellFormed()
  : (s) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

const isLength = (n) => Number.isInteger(n) && n >= 0 && n <= MAX_COMP_SIZE;

/** check throws a bad_op Error unless op has the wire shape. Zero-length
 *  components, neighbours of one kind and a trailing retain are fine. */
export function check(op) {
  if (!Array.isArray(op)) throw badOp('op must be an array of components');
  if (op.length > MAX_OP_COMPS) throw badOp(`op has more than ${MAX_OP_COMPS} components`);
  for (let i = 0; i < op.length; i++) {
    const c = op[i];
    if (typeof c === 'number') {
      if (!isLength(c)) throw badOp(`component ${i}: retain must be an integer from 0 to ${MAX_COMP_SIZE}`);
    } else if (typeof c === 'string') {
      if (!wellFormed(c)) throw badOp(`component ${i}: insert has a lone surrogate`);
    } else if (c !== null && typeof c === 'object' && !Array.isArray(c)) {
      const keys = Object.keys(c);
      if (keys.length !== 1 || keys[0] !== 'd') throw badOp(`component ${i}: an object must be exactly {"d": n}`);
      if (!isLength(c.d)) throw badOp(`component ${i}: delete must be an integer from 0 to ${MAX_COMP_SIZE}`);
    } else {
      throw badOp(`component ${i}: not a number, string or {"d": n}`);
    }
  }
}

// Component helpers. Kinds: 'r' retain, 'i' insert, 'd' delete.
const kindOf = (c) => (typeof c === 'number' ? 'r' : typeof c === 'string' ? 'i' : 'd');
const lengthOf = (c) => (typeof c === 'number' ? c : typeof c === 'string' ? c.length : c.d);

// makeAppend returns a function that appends a component to op, dropping
// zero-length ones and merging one of the same kind as the last (ottypes'
// makeAppend). The op it builds is normalised once trimmed.
function makeAppend(op) {
  return (c) => {
    if (lengthOf(c) === 0) return;
    const last = op.length - 1;
    if (last >= 0 && kindOf(op[last]) === kindOf(c)) {
      if (typeof c === 'object') op[last] = { d: op[last].d + c.d };
      else op[last] += c;
    } else {
      op.push(typeof c === 'object' ? { d: c.d } : c);
    }
  };
}

// trim drops the trailing retain.
function trim(op) {
  if (op.length > 0 && typeof op[op.length - 1] === 'number') op.pop();
  return op;
}

/** normalize returns the canonical form of op: nothing of length zero,
 *  neighbours of one kind merged, no trailing retain. */
export function normalize(op) {
  check(op);
  const out = [];
  const append = makeAppend(out);
  for (const c of op) append(c);
  return trim(out);
}

/** apply returns doc with op applied. It throws bad_op when a retain or
 *  delete reaches past the end of doc or would cut a surrogate pair. */
export function apply(doc, op) {
  if (typeof doc !== 'string') throw new TypeError('doc must be a string');
  check(op);
  const parts = [];
  let at = 0;
  for (let i = 0; i < op.length; i++) {
    const c = op[i];
    if (typeof c === 'string') {
      parts.push(c);
      continue;
    }
    const del = typeof c === 'object';
    const n = del ? c.d : c;
    if (n === 0) continue;
    const what = del ? 'delete' : 'retain';
    if (at + n > doc.length) {
      throw badOp(`component ${i}: ${what} of ${n} at ${at} goes past the end of the text (length ${doc.length})`);
    }
    if (isHigh(doc.charCodeAt(at + n - 1)) && isLow(doc.charCodeAt(at + n))) {
      throw badOp(`component ${i}: ${what} of ${n} at ${at} ends inside a surrogate pair (an astral character such as an emoji)`);
    }
    if (!del) parts.push(doc.slice(at, at + n));
    at += n;
  }
  parts.push(doc.slice(at));
  return parts.join('');
}

// makeTake walks a normalised op and hands out pieces of its components
// (ottypes' makeTake). take(n, indivisible) returns up to n units of the
// next component, the whole rest of it when n is -1 or when its kind is
// indivisible ('i' or 'd'). Past the end of the op it returns n (the op
// keeps everything after its end), or null when n is -1.
//
// An insert is cut at n units, except that a cut falling inside a surrogate
// pair moves after the pair, as the Go side must (Go strings cannot hold
// half a character). Valid inputs never cut there.
function makeTake(op) {
  let idx = 0;
  let offset = 0;
  const take = (n, indivisible) => {
    if (idx === op.length) return n === -1 ? null : n;
    const c = op[idx];
    let part;
    if (typeof c === 'number') {
      if (n === -1 || c - offset <= n) {
        part = c - offset;
        idx++;
        offset = 0;
        return part;
      }
      offset += n;
      return n;
    }
    if (typeof c === 'string') {
      if (n !== -1 && indivisible !== 'i' && c.length - offset > n) {
        let end = offset + n;
        if (isHigh(c.charCodeAt(end - 1)) && isLow(c.charCodeAt(end))) end++;
        if (end < c.length) {
          part = c.slice(offset, end);
          offset = end;
          return part;
        }
      }
      part = c.slice(offset);
      idx++;
      offset = 0;
      return part;
    }
    if (n === -1 || indivisible === 'd' || c.d - offset <= n) {
      part = { d: c.d - offset };
      idx++;
      offset = 0;
      return part;
    }
    offset += n;
    return { d: n };
  };
  const peek = () => op[idx];
  return [take, peek];
}

/** transform returns op transformed against other (both made on the same
 *  text) so that it applies after other. side is 'left' or 'right': on a
 *  tie (both insert at one place) the left op's insert goes first. */
export function transform(op, other, side) {
  if (side !== 'left' && side !== 'right') throw new Error(`side (${side}) must be 'left' or 'right'`);
  op = normalize(op);
  other = normalize(other);
  const out = [];
  const append = makeAppend(out);
  const [take, peek] = makeTake(op);

  for (const c of other) {
    if (typeof c === 'number') {
      // op's pieces over the retained stretch; its inserts take no room.
      let length = c;
      while (length > 0) {
        const chunk = take(length, 'i');
        append(chunk);
        if (typeof chunk !== 'string') length -= lengthOf(chunk);
      }
    } else if (typeof c === 'string') {
      if (side === 'left' && typeof peek() === 'string') append(take(-1));
      append(c.length);
    } else {
      // Text other deleted: op's retains and deletes of it vanish, its
      // inserts stay.
      let length = c.d;
      while (length > 0) {
        const chunk = take(length, 'i');
        if (typeof chunk === 'string') append(chunk);
        else length -= lengthOf(chunk);
      }
    }
  }
  for (let chunk; (chunk = take(-1)) !== null;) append(chunk);
  return trim(out);
}

/** compose returns one op with the effect of a followed by b. */
export function compose(a, b) {
  a = normalize(a);
  b = normalize(b);
  const out = [];
  const append = makeAppend(out);
  const [take] = makeTake(a);

  for (const c of b) {
    if (typeof c === 'number') {
      // a's deletes take no room in b's text.
      let length = c;
      while (length > 0) {
        const chunk = take(length, 'd');
        append(chunk);
        if (typeof chunk !== 'object') length -= lengthOf(chunk);
      }
    } else if (typeof c === 'string') {
      append(c);
    } else {
      let length = c.d;
      while (length > 0) {
        const chunk = take(length, 'd');
        if (typeof chunk === 'number') {
          append({ d: chunk });
          length -= chunk;
        } else if (typeof chunk === 'string') {
          length -= chunk.length; // a's insert deleted again: both vanish
        } else {
          append(chunk); // a's delete stays
        }
      }
    }
  }
  for (let chunk; (chunk = take(-1)) !== null;) append(chunk);
  return trim(out);
}

/** transformCursor returns where a cursor (UTF-16 offset) lands after op.
 *  For one's own op that is after its last insert or retain; for another's
 *  the cursor keeps its place in the text, an insert right at it going
 *  after it. */
export function transformCursor(cursor, op, isOwn) {
  op = normalize(op);
  let pos = 0;
  if (isOwn) {
    for (const c of op) {
      if (typeof c === 'number') pos += c;
      else if (typeof c === 'string') pos += c.length;
    }
    return pos;
  }
  for (const c of op) {
    if (cursor <= pos) break;
    if (typeof c === 'number') {
      if (cursor <= pos + c) return cursor;
      pos += c;
    } else if (typeof c === 'string') {
      pos += c.length;
      cursor += c.length;
    } else {
      cursor -= Math.min(c.d, cursor - pos);
    }
  }
  return cursor;
}

/** diffOp returns the smallest single-splice op turning oldText into
 *  newText: keep the common prefix, insert what is new, delete what is gone,
 *  keep the common suffix. caretHint, the caret position in newText after
 *  the edit (e.g. textarea.selectionEnd), decides between equally small
 *  splices when characters repeat: typing "a" at 1 in "aa" gives
 *  [1, "a"], not [2, "a"]. Without it the change goes as far right as
 *  possible. Never cuts a surrogate pair. Returns [] when the texts are
 *  equal. */
export function diffOp(oldText, newText, caretHint) {
  if (oldText === newText) return [];
  const m = oldText.length;
  const n = newText.length;
  const most = Math.min(m, n); // prefix + suffix cannot exceed this
  let caret = Number.isInteger(caretHint) ? Math.max(0, Math.min(n, caretHint)) : n;

  // Common suffix, first only up to the caret: what follows the caret is
  // taken as untouched, so the inserted text ends at the caret.
  const suffix = (limit) => {
    let s = 0;
    while (s < limit && oldText.charCodeAt(m - 1 - s) === newText.charCodeAt(n - 1 - s)) s++;
    // A suffix starting on a low surrogate would cut a pair.
    if (s > 0 && isLow(newText.charCodeAt(n - s))) s--;
    return s;
  };
  let s = suffix(Math.min(most, n - caret));
  let p = 0;
  while (p < most - s && oldText.charCodeAt(p) === newText.charCodeAt(p)) p++;
  // A prefix ending on a high surrogate would cut a pair.
  if (p > 0 && isHigh(newText.charCodeAt(p - 1))) p--;
  // Then let the suffix grow past the caret if the prefix left room.
  s = suffix(most - p);

  const op = [];
  if (p > 0) op.push(p);
  if (n - s > p) op.push(newText.slice(p, n - s));
  if (m - s > p) op.push({ d: m - s - p });
  return op;
}
