const TONES = [[230, 159, 0], [86, 180, 233], [0, 158, 115], [240, 228, 66], [0, 114, 178], [204, 121, 167]];
const views = new WeakMap();
let sequence = 0;

function segmenter(granularity) {
  try { return new Intl.Segmenter(undefined, { granularity }); } catch (error) { return null; }
}
const WORDS = segmenter("word");
const SENTENCES = segmenter("sentence");

function wordSpans(text) {
  const spans = [];
  if (WORDS) {
    for (const s of WORDS.segment(text)) if (s.isWordLike) spans.push([s.index, s.index + s.segment.length]);
  } else {
    for (const m of text.matchAll(/[\p{L}\p{N}\p{M}_'’-]+/gu)) spans.push([m.index, m.index + m[0].length]);
  }
  return spans;
}

function sentenceSpans(text) {
  const spans = [];
  const add = (start, piece) => {
    const body = piece.replace(/\s+$/u, "");
    const lead = body.length - body.replace(/^\s+/u, "").length;
    if (body.length > lead) spans.push([start + lead, start + body.length]);
  };
  if (SENTENCES) for (const s of SENTENCES.segment(text)) add(s.index, s.segment);
  else for (const m of text.matchAll(/[^.!?\n]*(?:[.!?]+|\n|$)/gu)) if (m[0]) add(m.index, m[0]);
  return spans;
}

// The first span boundary (its start, or its end) after pos, or the last before it; the text's ends if none.
function after(spans, pos, side, last) {
  for (const span of spans) if (span[side] > pos) return span[side];
  return last;
}

function before(spans, pos, side) {
  let found = 0;
  for (const span of spans) {
    if (span[side] >= pos) break;
    found = span[side];
  }
  return found;
}

// Where a key takes the caret. Moving, the caret goes from word start to word start (sentence start to
// sentence start). Extending forward, the far end goes to the end of the next word (sentence), and back
// again to the end of the one before, never past where the stretch began; extending backward, by starts.
function target(v, key, shift) {
  const spans = key === "ArrowLeft" || key === "ArrowRight" ? v.words : v.sentences;
  const forward = key === "ArrowRight" || key === "ArrowDown";
  const last = v.text.length;
  const { anchor, caret } = v;
  if (!shift) return forward ? after(spans, caret, 0, last) : before(spans, caret, 0);
  if (forward) return caret >= anchor ? after(spans, caret, 1, last) : Math.min(after(spans, caret, 0, last), anchor);
  return caret > anchor ? Math.max(before(spans, caret, 1), anchor) : before(spans, caret, 0);
}

function ordered(a, b) {
  return a <= b ? { start: a, end: b } : { start: b, end: a };
}

function trim(text, range) {
  let { start, end } = range;
  while (start < end && /\s/u.test(text[start])) start += 1;
  while (end > start && /\s/u.test(text[end - 1])) end -= 1;
  return start < end ? { start, end } : null;
}

function snippet(text, range) {
  const piece = text.slice(range.start, range.end).replace(/\s+/gu, " ");
  const chars = Array.from(piece);
  return chars.length > 90 ? chars.slice(0, 60).join("") + " … " + chars.slice(-20).join("") : piece;
}

function tint(tone, alpha) {
  const [r, g, b] = TONES[tone] || TONES[0];
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function cleanHighlights(raw, length) {
  const kept = [];
  for (const h of Array.isArray(raw) ? raw : []) {
    const start = Math.max(0, Math.min(Number(h.start) | 0, length));
    const end = Math.max(0, Math.min(Number(h.end) | 0, length));
    if (start < end) kept.push({ start, end, label: String(h.label ?? ""), tone: Number(h.tone) | 0 });
  }
  return kept;
}

function cleanRange(raw, length) {
  if (!raw || typeof raw !== "object") return null;
  const start = Number(raw.start) | 0;
  const end = Number(raw.end) | 0;
  return 0 <= start && start < end && end <= length ? { start, end } : null;
}

function same(a, b) {
  return (a === null && b === null) || (a !== null && b !== null && a.start === b.start && a.end === b.end);
}

// Where a DOM point (node, offset) falls in the text: 0 before the text, its length after it.
function offsetOf(v, node, offset) {
  const whole = document.createRange();
  whole.selectNodeContents(v.content);
  let where;
  try { where = whole.comparePoint(node, offset); } catch (error) { return null; }
  if (where < 0) return 0;
  if (where > 0) return v.text.length;
  const before = document.createRange();
  before.setStart(v.content, 0);
  before.setEnd(node, offset);
  return before.toString().length;
}

function offsetAtPoint(v, x, y) {
  if (document.caretPositionFromPoint) {
    const p = document.caretPositionFromPoint(x, y);
    if (p) return offsetOf(v, p.offsetNode, p.offset);
  }
  if (document.caretRangeFromPoint) {
    const r = document.caretRangeFromPoint(x, y);
    if (r) return offsetOf(v, r.startContainer, r.startOffset);
  }
  return null;
}

function pending(v) {
  return v.keyboard && v.anchor !== v.caret ? ordered(v.anchor, v.caret) : null;
}

function covering(v, pos) {
  const found = [];
  v.highlights.forEach((h, n) => { if (h.start <= pos && pos < h.end) found.push(n); });
  return found;
}

function render(v) {
  const { text, highlights, chosen } = v;
  const stretch = pending(v);
  const cuts = new Set([0, text.length]);
  for (const r of [...highlights, chosen, stretch]) if (r) { cuts.add(r.start); cuts.add(r.end); }
  if (v.keyboard) cuts.add(v.caret);
  const points = [...cuts].sort((a, b) => a - b);
  const out = document.createDocumentFragment();
  const caret = element("span", "obs-passage-caret");
  caret.setAttribute("aria-hidden", "true");
  v.caretNode = v.keyboard ? caret : null;
  for (let i = 0; i < points.length; i += 1) {
    const a = points[i];
    if (v.keyboard && a === v.caret) out.append(caret);
    if (i + 1 === points.length) break;
    const b = points[i + 1];
    const piece = text.slice(a, b);
    const over = [];
    highlights.forEach((h, n) => { if (h.start <= a && b <= h.end) over.push(n); });
    const inChosen = chosen && chosen.start <= a && b <= chosen.end;
    const inStretch = stretch && stretch.start <= a && b <= stretch.end;
    if (!over.length && !inChosen && !inStretch) {
      out.append(document.createTextNode(piece));
      continue;
    }
    const span = element("span", "", piece);
    const layers = over.map((n) => `linear-gradient(${tint(highlights[n].tone, 0.3)}, ${tint(highlights[n].tone, 0.3)})`);
    if (over.length) {
      span.classList.add("obs-hl");
      if (over.some((n) => highlights[n].start === a)) span.classList.add("obs-hl-open");
      if (over.some((n) => highlights[n].end === b)) span.classList.add("obs-hl-close");
      span.dataset.hl = over.join(" ");
      span.style.boxShadow = over.slice(0, 4).map((n, k) => `0 ${3 + 3 * k}px 0 0 ${tint(highlights[n].tone, 1)}`).join(", ");
    }
    if (inStretch) {
      layers.push("linear-gradient(rgba(128, 128, 128, 0.25), rgba(128, 128, 128, 0.25))");
      span.classList.add("obs-pending");
      if (stretch.start === a) span.classList.add("obs-pending-open");
      if (stretch.end === b) span.classList.add("obs-pending-close");
    }
    if (inChosen) {
      span.classList.add("obs-chosen");
      if (chosen.start === a) span.classList.add("obs-chosen-open");
      if (chosen.end === b) span.classList.add("obs-chosen-close");
    }
    if (layers.length) span.style.backgroundImage = layers.join(", ");
    out.append(span);
  }
  v.content.replaceChildren(out);
  v.content.classList.toggle("obs-kbd", v.keyboard);
  status(v);
}

function status(v) {
  const lines = [];
  const stretch = pending(v);
  const tidy = stretch && trim(v.text, stretch);
  if (tidy) lines.push(`Extending: “${snippet(v.text, tidy)}”. Enter chooses it.`);
  else if (v.chosen) lines.push(`Chosen: “${snippet(v.text, v.chosen)}”`);
  else lines.push("No passage chosen yet.");
  const here = v.keyboard ? covering(v, v.caret) : [];
  if (here.length) lines.push("Coded here: " + here.map((n) => v.highlights[n].label).join(" | "));
  v.status.replaceChildren(...lines.map((line) => element("div", "", line)));
  if (v.keyboard && here.length && v.caretNode && v.content.matches(":focus")) showTip(v, here, v.caretNode);
  else if (v.tipFor === "caret") hideTip(v);
}

// The labels of the highlights `indices`, under the line of `anchor` that the pointer is on (or its
// first), or above it when the window has no room below.
function showTip(v, indices, anchor, pointerY) {
  const lines = [...anchor.getClientRects()];
  const box = lines.find((r) => pointerY !== undefined && r.top <= pointerY && pointerY <= r.bottom)
    || lines[0] || anchor.getBoundingClientRect();
  const rows = indices.map((n) => {
    const row = element("div", "");
    const swatch = element("span", "obs-passage-swatch");
    swatch.style.background = tint(v.highlights[n].tone, 1);
    row.append(swatch, document.createTextNode(v.highlights[n].label));
    return row;
  });
  v.tip.replaceChildren(...rows);
  v.tip.hidden = false;
  v.tipFor = anchor === v.caretNode ? "caret" : "hover";
  const root = v.root.getBoundingClientRect();
  v.tip.style.left = "0px";  // measured at the left, where nothing narrows it
  const { width, height } = v.tip.getBoundingClientRect();
  const left = Math.max(0, Math.min(box.left - root.left, root.width - Math.ceil(width) - 2));  // room to spare
  const roomBelow = box.bottom + 8 + height <= window.innerHeight;
  const roomAbove = box.top - 8 - height >= 0;
  const top = roomBelow || !roomAbove ? box.bottom - root.top + 8 : box.top - root.top - 8 - height;
  v.tip.style.left = `${left}px`;
  v.tip.style.top = `${top}px`;
}

function hideTip(v) {
  v.tip.hidden = true;
  v.tipFor = null;
}

function choose(v, range) {
  const tidy = range && trim(v.text, range);
  if (!tidy) return false;
  v.chosen = tidy;
  sequence += 1;
  v.send("selection", { start: tidy.start, end: tidy.end, digest: v.digest, seq: Date.now() * 1000 + (sequence % 1000) });
  return true;
}

function afterMouse(v) {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0) return;
  const range = selection.getRangeAt(0);
  if (!range.intersectsNode(v.content)) return;
  const start = offsetOf(v, range.startContainer, range.startOffset);
  const end = offsetOf(v, range.endContainer, range.endOffset);
  if (start === null || end === null) return;
  const wasPending = pending(v) !== null;
  v.keyboard = false;
  if (start === end) {
    v.anchor = v.caret = start;
    if (wasPending) render(v);
    return;
  }
  const tidy = trim(v.text, { start, end });
  if (!tidy) return;
  v.anchor = tidy.start;
  v.caret = tidy.end;
  choose(v, tidy);
  selection.removeAllRanges();
  render(v);
}

function keyDown(v, event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const last = v.text.length;
  let to;
  switch (event.key) {
    case "ArrowRight":
    case "ArrowLeft":
    case "ArrowDown":
    case "ArrowUp": to = target(v, event.key, event.shiftKey); break;
    case "Home": to = 0; break;
    case "End": to = last; break;
    case "Enter": {
      event.preventDefault();
      const stretch = pending(v);
      const chose = stretch !== null && choose(v, stretch);
      v.keyboard = true;
      if (chose) v.anchor = v.caret;
      render(v);
      if (!chose) v.status.firstChild.textContent = "Nothing to choose yet: extend a stretch with Shift and the arrows.";
      return;
    }
    case "Escape":
      if (pending(v)) {
        event.preventDefault();
        v.anchor = v.caret;
        render(v);
      }
      return;
    default:
      return;
  }
  event.preventDefault();
  v.keyboard = true;
  v.caret = to;
  if (!event.shiftKey) v.anchor = to;
  render(v);
  if (to === 0) v.scroll.scrollTop = 0;  // the padding above the first line too
  else if (v.caretNode) v.caretNode.scrollIntoView({ block: "nearest", inline: "nearest" });
  status(v);
}

function build(parent, key) {
  const root = element("div", "obs-passage");
  const help = element("p", "obs-passage-help");
  help.id = `${key}-help`;
  const scroll = element("div", "obs-passage-scroll");
  const content = element("div", "obs-passage-text");
  content.tabIndex = 0;
  content.setAttribute("role", "textbox");
  content.setAttribute("aria-readonly", "true");
  content.setAttribute("aria-multiline", "true");
  content.setAttribute("aria-label", "Text to code: choose a passage");
  content.setAttribute("aria-describedby", help.id);
  const statusLine = element("div", "obs-passage-status");
  statusLine.setAttribute("aria-live", "polite");
  const tip = element("div", "obs-passage-tip");
  tip.setAttribute("role", "tooltip");
  tip.hidden = true;
  scroll.append(content);
  root.append(help, scroll, statusLine, tip);
  parent.append(root);
  const v = {
    root, help, scroll, content, status: statusLine, tip, tipFor: null, caretNode: null, send: () => {},
    text: "", digest: null, words: [], sentences: [], highlights: [], highlightsKey: "", chosen: null,
    givenChosen: null, anchor: 0, caret: 0, keyboard: false, helpText: null,
  };
  content.addEventListener("keydown", (event) => keyDown(v, event));
  content.addEventListener("focus", () => {
    if (content.matches(":focus-visible") && !v.keyboard) {
      v.keyboard = true;
      render(v);
    }
  });
  content.addEventListener("blur", () => { if (v.tipFor === "caret") hideTip(v); });
  // A selection may start anywhere in the widget (the help above the text, say): it counts where it
  // overlaps the text. Shift-click in the text stretches the passage from where it began.
  root.addEventListener("mousedown", (event) => {
    if (event.button !== 0) return;
    content.classList.remove("obs-kbd");
    const inText = content.contains(event.target);
    if (inText && event.shiftKey && (v.chosen || v.anchor !== v.caret || v.anchor > 0)) {
      const at = offsetAtPoint(v, event.clientX, event.clientY);
      if (at !== null) {
        event.preventDefault();
        content.focus({ preventScroll: true });
        v.keyboard = false;
        v.caret = at;
        if (choose(v, ordered(v.anchor, at))) render(v);
        return;
      }
    }
    window.addEventListener("mouseup", () => afterMouse(v), { once: true });
  });
  content.addEventListener("mouseover", (event) => {
    const over = event.target.closest ? event.target.closest("[data-hl]") : null;
    if (over && content.contains(over)) showTip(v, over.dataset.hl.split(" ").map(Number), over, event.clientY);
    else if (v.tipFor === "hover") hideTip(v);
  });
  content.addEventListener("mouseleave", () => { if (v.tipFor === "hover") hideTip(v); });
  scroll.addEventListener("scroll", () => hideTip(v));
  return v;
}

function showHelp(v, text) {
  if (v.helpText === text) return;
  v.helpText = text;
  // Each key's name in a <kbd>, built as elements, never as markup.
  const parts = [];
  const keys = ["←", "→", "↑", "↓", "Shift", "Enter", "Esc", "Tab", "Home", "End"];
  for (const piece of text.split(/(←|→|↑|↓|Shift(?!-)|Enter|Esc|Tab|Home|End)/u)) {
    if (keys.includes(piece)) parts.push(element("kbd", "", piece));
    else if (piece) parts.push(document.createTextNode(piece));
  }
  v.help.replaceChildren(...parts);
}

function update(v, data) {
  const text = typeof data.text === "string" ? data.text : "";
  v.scroll.style.maxHeight = `${Math.max(80, Number(data.height) || 420)}px`;  // Python checks it too
  showHelp(v, String(data.help ?? ""));
  const highlights = cleanHighlights(data.highlights, text.length);
  const highlightsKey = JSON.stringify(highlights);
  const given = cleanRange(data.chosen, text.length);
  if (v.digest !== data.digest || v.text !== text) {
    Object.assign(v, {
      text, digest: data.digest, words: wordSpans(text), sentences: sentenceSpans(text),
      highlights, highlightsKey, chosen: given, givenChosen: given, anchor: 0, caret: 0,
    });
    hideTip(v);
    v.scroll.scrollTop = 0;
    render(v);
    return;
  }
  let changed = false;
  if (highlightsKey !== v.highlightsKey) {
    Object.assign(v, { highlights, highlightsKey });
    changed = true;
  }
  if (!same(given, v.givenChosen)) {
    v.givenChosen = given;
    if (!same(given, v.chosen)) {
      v.chosen = given;
      changed = true;
    }
  }
  if (changed) render(v);
}

export default function (component) {
  const { data, parentElement, setStateValue, key } = component;
  let v = views.get(parentElement);
  if (!v) {
    v = build(parentElement, key);
    views.set(parentElement, v);
  }
  v.send = setStateValue;
  update(v, data || {});
  return () => {
    views.delete(parentElement);
    v.root.remove();
  };
}
