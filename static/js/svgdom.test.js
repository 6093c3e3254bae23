// Tests of svgdom.js on a tiny fake DOM. Run: node --test static/js/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SVG_NS, patchChildren, renderNode } from './svgdom.js';
import { el } from './mapmodel.js';

// Just what svgdom.js uses of the DOM.
class FakeNode {
  constructor(doc, nodeType, localName = null) {
    this.ownerDocument = doc;
    this.nodeType = nodeType;
    this.localName = localName;
    this.parentNode = null;
    this.childNodes = [];
    this.attributes = new Map();
    this.data = '';
    this.moves = 0; // how many times it was (re)inserted
  }
  get children() { return this.childNodes.filter((c) => c.nodeType === 1); }
  get childElementCount() { return this.children.length; }
  get textContent() { return this.nodeType === 3 ? this.data : this.childNodes.map((c) => c.textContent).join(''); }
  set textContent(v) {
    for (const c of this.childNodes) c.parentNode = null;
    this.childNodes = [];
    const tn = new FakeNode(this.ownerDocument, 3);
    tn.data = String(v);
    tn.parentNode = this;
    this.childNodes.push(tn);
  }
  setAttribute(k, v) { this.attributes.set(k, String(v)); }
  getAttribute(k) { return this.attributes.has(k) ? this.attributes.get(k) : null; }
  removeAttribute(k) { this.attributes.delete(k); }
  remove() {
    if (!this.parentNode) return;
    const p = this.parentNode;
    p.childNodes.splice(p.childNodes.indexOf(this), 1);
    this.parentNode = null;
  }
  insertBefore(node, ref) {
    if (node.parentNode) node.remove();
    const i = ref ? this.childNodes.indexOf(ref) : this.childNodes.length;
    this.childNodes.splice(i, 0, node);
    node.parentNode = this;
    node.moves += 1;
    return node;
  }
}

function fakeDocument() {
  const doc = {
    createElementNS(ns, tag) {
      assert.equal(ns, SVG_NS);
      return new FakeNode(doc, 1, tag);
    },
  };
  return doc;
}

const actorNode = (id, x, name) => el('g', { key: id, transform: `translate(${x} 0)`, 'data-actor': id }, el('text', { key: 'name' }, name));

test('patching keeps each keyed element, updates it in place, drops what went away', () => {
  const doc = fakeDocument();
  const root = new FakeNode(doc, 1, 'g');
  patchChildren(root, [actorNode('a', 0, 'Mairie'), actorNode('b', 10, 'Asso'), actorNode('c', 20, 'Banque')]);
  const [a, b, c] = root.children;
  assert.deepEqual(root.children.map((n) => n.getAttribute('data-actor')), ['a', 'b', 'c']);
  assert.equal(b.textContent, 'Asso');

  // b moves and is renamed, a goes away, d arrives.
  patchChildren(root, [actorNode('b', 99, '<b>Asso</b>'), actorNode('c', 20, 'Banque'), actorNode('d', 30, 'Réseau')]);
  assert.deepEqual(root.children.map((n) => n.getAttribute('data-actor')), ['b', 'c', 'd']);
  assert.equal(root.children[0], b, 'the same element: focus and listeners stay');
  assert.equal(root.children[1], c);
  assert.equal(b.moves, 1, 'the element that stays is not moved around (a move would blur it)');
  assert.equal(c.moves, 1);
  assert.equal(b.getAttribute('transform'), 'translate(99 0)');
  assert.equal(b.textContent, '<b>Asso</b>', 'text, never markup');
  assert.equal(a.parentNode, null);
});

test('attributes that go away are removed; a changed tag gets a new element', () => {
  const doc = fakeDocument();
  const root = new FakeNode(doc, 1, 'g');
  patchChildren(root, [el('circle', { key: 'sel', r: 5, stroke: 'blue', 'stroke-dasharray': '5 4' })]);
  const circle = root.children[0];
  patchChildren(root, [el('circle', { key: 'sel', r: 6, stroke: 'blue', 'stroke-dasharray': undefined })]);
  assert.equal(root.children[0], circle);
  assert.equal(circle.getAttribute('r'), '6');
  assert.equal(circle.getAttribute('stroke-dasharray'), null);
  patchChildren(root, [el('path', { key: 'sel', d: 'M0 0' })]);
  assert.notEqual(root.children[0], circle);
  assert.equal(root.children[0].localName, 'path');
  assert.equal(root.childNodes.length, 1);
  // The bookkeeping key is not an attribute.
  assert.equal(root.children[0].getAttribute('key'), null);
});

test('renderNode builds a whole tree', () => {
  const doc = fakeDocument();
  const svg = renderNode(el('svg', { viewBox: '0 0 10 10' }, el('g', {}, el('title', {}, 'a & b'), el('path', { d: 'M1 1' }))), doc);
  assert.equal(svg.localName, 'svg');
  assert.equal(svg.children[0].children[0].textContent, 'a & b');
  assert.equal(svg.children[0].children[1].getAttribute('d'), 'M1 1');
});
