// The HTML trace view's script: draws the embedded trace (see lamport.rs for its
// JSON) as an SVG space-time diagram, only what is in the visible window, and
// handles zoom and pan. Strings from the trace only ever become text nodes.
"use strict";
window.addEventListener("error", (e) => {
  document.documentElement.setAttribute("data-error", String(e.message || e));
});
window.alert = () => document.documentElement.setAttribute("data-alert", "fired");
(function () {
  const D = JSON.parse(document.getElementById("trace-data").textContent);
  const NS = "http://www.w3.org/2000/svg";
  const LEFT = 150, RIGHT = 24, TOP = 36, ROW = 56, LIMIT = 2500, MIN_SPAN = 1000;
  const svg = document.getElementById("diagram");
  const view = document.getElementById("view");
  const status = document.getElementById("status");
  const KINDS = ["start", "crash", "restart", "pause", "resume", "timer",
    "log ERROR", "log WARN", "log INFO", "log DEBUG", "log TRACE", "fault"];
  const STATUS = ["delivered", "DROPPED", "duplicate delivery", "never arrived"];
  const OUTCOME = ["ok", "TIMEOUT", "unfinished"];
  const first = D.t_start === null ? 0 : D.t_start;
  const full = Math.max(D.t_end - first, 1);
  const fit = () => { v0 = first - full * 0.01; v1 = first + full * 1.02; };
  let v0 = 0, v1 = 1;
  fit();

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(i) { return i >= 0 ? D.texts[i] : ""; }
  function node(r) { return r >= 0 ? D.nodes[r] : "-"; }
  function ms(t) { return (t / 1e6).toFixed(6) + " ms"; }
  function tip(e, s) { el("title", {}, e).textContent = s; }
  function lower(arr, t) {
    let lo = 0, hi = arr.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (arr[mid][0] < t) lo = mid + 1; else hi = mid; }
    return lo;
  }
  // The indices of `arr` (sorted by start) whose [start, start + longest] meets [v0, v1].
  function visible(arr, longest, end) {
    const out = [];
    for (let i = lower(arr, v0 - longest); i < arr.length && arr[i][0] <= v1; i++) {
      if (end(arr[i]) >= v0) out.push(i);
    }
    return out;
  }
  function stride(n) { return n > LIMIT ? Math.ceil(n / LIMIT) : 1; }

  function drawAxis(g, x, w, h) {
    const span = v1 - v0;
    const raw = span / 8, p = Math.pow(10, Math.floor(Math.log10(raw))), n = raw / p;
    const step = (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * p;
    const digits = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step / 1e6))));
    for (let t = Math.ceil(v0 / step) * step; t <= v1; t += step) {
      el("line", { x1: x(t), x2: x(t), y1: TOP - 8, y2: h }, g);
      el("text", { x: x(t) + 2, y: TOP - 12 }, g).textContent = (t / 1e6).toFixed(digits) + " ms";
    }
  }

  function render() {
    const started = performance.now();
    const w = Math.max(320, view.clientWidth), h = TOP + D.nodes.length * ROW + 24;
    svg.setAttribute("width", w); svg.setAttribute("height", h);
    const scale = (w - LEFT - RIGHT) / (v1 - v0);
    const x = (t) => LEFT + (t - v0) * scale;
    const y = (r) => (r >= 0 ? TOP + r * ROW + ROW / 2 : TOP - 4);
    const root = document.createDocumentFragment();
    const defs = el("defs", {}, root);
    ["#2f6fdb", "#d33", "#e88a00", "#999"].forEach((c, i) => {
      const m = el("marker", { id: "head" + i, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" }, defs);
      el("path", { d: i === 1 ? "M1,1 L9,9 M9,1 L1,9" : "M0,0 L10,5 L0,10 z", fill: c, stroke: c, "stroke-width": 2 }, m);
    });
    el("rect", { x: LEFT - 6, y: 0, width: w - LEFT - RIGHT + 12, height: h }, el("clipPath", { id: "plot" }, defs));
    const plot = { "clip-path": "url(#plot)" };
    drawAxis(el("g", { class: "axis", "clip-path": "url(#plot)" }, root), x, w, h);
    const bands = el("g", plot, root);
    for (const b of D.bands) {
      if (b[1] < v0 || b[0] > v1) continue;
      const x0 = Math.max(LEFT, x(b[0])), x1 = Math.min(w - RIGHT, x(b[1]));
      const top = b[2] >= 0 ? y(b[2]) - ROW / 2 + 4 : TOP;
      const height = b[2] >= 0 ? ROW - 8 : D.nodes.length * ROW;
      const r = el("rect", { x: x0, y: top, width: Math.max(1, x1 - x0), height: height, class: "band-" + b[3] }, bands);
      tip(r, ["crashed", "paused", "partitioned"][b[3]] + " " + node(b[2]) + " from " + ms(b[0]) + " to " + ms(b[1]) + (b[4] >= 0 ? "\n" + text(b[4]) : ""));
    }
    const lanes = el("g", {}, root);
    D.nodes.forEach((n, r) => {
      el("line", { x1: LEFT, x2: w - RIGHT, y1: y(r), y2: y(r), class: "lifeline" }, lanes);
      const label = el("text", { x: 8, y: y(r) + 4, class: "label" }, lanes);
      label.textContent = n.length > 20 ? n.slice(0, 19) + "\u2026" : n;
      tip(label, n);
    });
    const marks = el("g", plot, root);
    for (const op of D.marks.ops) {
      if (op[1] < v0 || op[0] > v1) continue;
      const x0 = Math.max(LEFT, x(op[0])), x1 = Math.min(w - RIGHT, x(op[1]));
      const top = op[2] >= 0 ? y(op[2]) - 14 : TOP, height = op[2] >= 0 ? 28 : D.nodes.length * ROW;
      tip(el("rect", { x: x0, y: top, width: Math.max(3, x1 - x0), height: height, class: "mark" }, marks), op[3] + "\n" + ms(op[0]) + " to " + ms(op[1]));
    }
    const calls = el("g", plot, root);
    const vc = visible(D.calls, D.max_call, (c) => c[1]);
    for (let k = 0, s = stride(vc.length); k < vc.length; k += s) {
      const c = D.calls[vc[k]];
      const x0 = Math.max(LEFT, x(c[0])), x1 = Math.min(w - RIGHT, x(c[1]));
      const r = el("rect", { x: x0, y: y(c[2]) + 6, width: Math.max(2, x1 - x0 - 1), height: 6, class: "call call-" + c[4] }, calls);
      tip(r, "call " + node(c[2]) + " \u2192 " + node(c[3]) + " " + text(c[5]) + ": " + OUTCOME[c[4]] + ", " + ms(c[1] - c[0]) + " from " + ms(c[0]));
    }
    const msgs = el("g", plot, root);
    const va = visible(D.arrows, D.max_arrow, (a) => a[2]);
    for (let k = 0, s = stride(va.length); k < va.length; k += s) {
      const a = D.arrows[va[k]];
      const x0 = x(a[0]), y0 = y(a[1]);
      let x1 = x(a[2]), y1 = y(a[3]);
      if (a[3] < 0 || a[4] === 3) { x1 = x0 + 14; y1 = y0 - 10; }
      const line = el("line", { x1: x0, y1: y0, x2: x1, y2: y1, class: "msg msg-" + a[4], "marker-end": "url(#head" + a[4] + ")" }, msgs);
      tip(line, text(a[5]) + "\n" + node(a[1]) + " \u2192 " + node(a[3]) + ": " + STATUS[a[4]] + "\nsent " + ms(a[0]) + (a[4] === 3 ? "" : ", " + (a[4] === 1 ? "dropped " : "arrived ") + ms(a[2])));
    }
    const pts = el("g", plot, root);
    const p0 = lower(D.points, v0);
    let p1 = lower(D.points, v1 + 1);
    const s = stride(p1 - p0);
    for (let i = p0; i < p1; i++) {
      const p = D.points[i];
      const always = p[2] <= 4 || p[2] === 11;
      if (!always && (i - p0) % s !== 0) continue;
      if (p[2] === 11 && p[1] < 0) el("line", { x1: x(p[0]), x2: x(p[0]), y1: TOP, y2: h - 16, class: "fault-line" }, pts);
      const c = el("circle", { cx: x(p[0]), cy: y(p[1]), r: always ? 5 : 3.5, class: "pt pt-" + p[2] }, pts);
      tip(c, ms(p[0]) + " " + node(p[1]) + ": " + KINDS[p[2]] + (p[3] >= 0 ? " " + text(p[3]) : ""));
    }
    svg.replaceChildren(root);
    const sampled = Math.max(stride(va.length), stride(p1 - p0), stride(vc.length));
    status.textContent = ms(v0) + " \u2013 " + ms(v1) + ": " + va.length + " messages, " + (p1 - p0) + " events, " + vc.length + " calls" + (sampled > 1 ? " (drawing 1 in " + sampled + "; zoom in for all)" : "");
    document.body.setAttribute("data-rendered", String(va.length + (p1 - p0) + vc.length));
    document.body.setAttribute("data-render-ms", (performance.now() - started).toFixed(1));
  }

  let pending = false;
  function schedule() {
    if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; render(); }); }
  }
  function zoom(factor, anchor) {
    const span = Math.min(Math.max((v1 - v0) * factor, MIN_SPAN), full * 1.5);
    const f = (anchor - v0) / (v1 - v0);
    v0 = anchor - f * span; v1 = v0 + span;
    schedule();
  }
  function timeAt(px) { return v0 + (px - LEFT) / ((view.clientWidth - LEFT - RIGHT) / (v1 - v0)); }
  function show(t0, t1) { const pad = Math.max((t1 - t0) * 0.2, MIN_SPAN); v0 = t0 - pad; v1 = t1 + pad; schedule(); }

  view.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoom(Math.exp(e.deltaY * 0.002), timeAt(e.offsetX));
  }, { passive: false });
  let drag = null;
  view.addEventListener("pointerdown", (e) => { drag = { x: e.clientX, v0: v0, v1: v1 }; view.classList.add("dragging"); });
  window.addEventListener("pointerup", () => { drag = null; view.classList.remove("dragging"); });
  window.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dt = (e.clientX - drag.x) * (drag.v1 - drag.v0) / (view.clientWidth - LEFT - RIGHT);
    v0 = drag.v0 - dt; v1 = drag.v1 - dt; schedule();
  });
  view.addEventListener("dblclick", (e) => zoom(0.5, timeAt(e.offsetX)));
  document.getElementById("fit").addEventListener("click", () => { fit(); schedule(); });
  document.getElementById("zoom-in").addEventListener("click", () => zoom(0.5, (v0 + v1) / 2));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(2, (v0 + v1) / 2));
  window.addEventListener("keydown", (e) => {
    if (e.key === "+" || e.key === "=") zoom(0.5, (v0 + v1) / 2);
    else if (e.key === "-") zoom(2, (v0 + v1) / 2);
    else if (e.key === "0") { fit(); schedule(); }
  });
  window.addEventListener("resize", schedule);

  const m = D.marks;
  if (m.property || m.message || m.ops.length) {
    const box = document.getElementById("marks");
    const head = document.createElement("div");
    const prop = document.createElement("span");
    prop.className = "property";
    prop.textContent = "Violated: " + (m.property || "a property");
    head.appendChild(prop);
    if (m.message) head.appendChild(document.createTextNode(" \u2014 " + m.message));
    box.appendChild(head);
    const list = document.createElement("ul");
    for (const op of m.ops) {
      const li = document.createElement("li");
      li.textContent = op[3] + " (" + ms(op[0]) + " to " + ms(op[1]) + ")";
      li.addEventListener("click", () => show(op[0], op[1]));
      list.appendChild(li);
    }
    box.appendChild(list);
    box.hidden = false;
  }
  render();
  // `#selftest` (used by the browser test): zoom far in and out and pan, drawing each time.
  if (location.hash === "#selftest") {
    zoom(1e-4, first + full / 2); render();
    zoom(1e6, first + full / 2); render();
    v0 += (v1 - v0) / 3; v1 += (v1 - v0) / 3; render();
    if (m.ops.length) { show(m.ops[0][0], m.ops[0][1]); render(); }
    document.body.setAttribute("data-selftest", "ok");
  }
})();
