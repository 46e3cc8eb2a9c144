// SVG charts drawn here (no library): a value per minute of the show, with a y axis, gridlines
// and clock-time labels on the x axis, and a text summary for screen readers.
import { locale } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const W = 360, H = 180, L = 34, R = 8, T = 10, B = 24;

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

/** A "nice" upper bound and step for an axis: 1, 2 or 5 times a power of ten. */
function niceScale(max) {
  if (max <= 4) return { top: Math.max(1, Math.ceil(max)), step: 1 };
  const raw = max / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
  return { top: Math.ceil(max / step) * step, step };
}

export const timeLabel = (ms) => new Date(ms).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });

/**
 * @param {{title: string, points: {minute: number}[], key: string, startMs: number, kind?: "line"|"bars", testid: string, unit?: string}} spec
 */
export function chart({ title, points, key, startMs, kind = "line", testid, unit = "" }) {
  const values = points.map((p) => p[key] ?? 0);
  const { top, step } = niceScale(Math.max(0, ...values));
  const n = Math.max(1, points.length);
  const x = (i) => L + (kind === "bars" ? ((i + 0.5) / n) : n === 1 ? 0.5 : i / (n - 1)) * (W - L - R);
  const y = (v) => T + (1 - v / top) * (H - T - B);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "data-testid": testid,
    "aria-label": `${title}: ${values.length ? `max ${Math.max(...values)}${unit}, ${timeLabel(startMs)}–${timeLabel(startMs + (n - 1) * 60000)}` : "–"}` });
  for (let v = 0; v <= top; v += step) {
    root.append(svg("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }), svg("text", { x: L - 6, y: y(v) + 3, "text-anchor": "end", "data-axis": "y" }, String(v)));
  }
  root.append(svg("line", { class: "axis", x1: L, x2: L, y1: T, y2: H - B }), svg("line", { class: "axis", x1: L, x2: W - R, y1: H - B, y2: H - B }));
  const every = Math.max(1, Math.ceil(n / 6));
  points.forEach((p, i) => {
    if (i % every === 0 || i === n - 1) root.append(svg("text", { x: x(i), y: H - 8, "text-anchor": "middle", "data-axis": "x" }, timeLabel(startMs + p.minute * 60000)));
  });
  if (kind === "bars") {
    const w = Math.max(2, ((W - L - R) / n) * 0.7);
    points.forEach((p, i) => root.append(svg("rect", { class: "bar", x: x(i) - w / 2, y: y(values[i]), width: w, height: Math.max(0, H - B - y(values[i])) })));
  } else if (values.length) { // no minute yet: axes only
    const line = values.length === 1 ? `${L},${y(values[0])} ${W - R},${y(values[0])}` : values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const first = line.split(" ")[0].split(",")[0], last = line.split(" ").at(-1).split(",")[0];
    root.append(svg("polygon", { class: "area", points: `${first},${H - B} ${line} ${last},${H - B}` }), svg("polyline", { class: "line", points: line }));
  }
  const figure = document.createElement("figure");
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  figure.append(caption, root);
  return figure;
}
