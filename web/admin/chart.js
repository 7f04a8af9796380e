// A small SVG chart for the admin console: bars and lines over one category axis (days), one or two
// value axes. No library, no inline styles (the Content-Security-Policy forbids them): every colour
// and stroke comes from app.css through class names (.series-1 ... .series-4).
//
//   import { renderChart } from "./chart.js";
//   renderChart(container, {
//     title: "Messages and active users per day",
//     description: "…",                       // read by screen readers with the title
//     labels: ["2026-11-01", …],             // one per category (x axis)
//     series: [
//       { name: "Messages", type: "bar", values: [3, null, 5], className: "series-1" },
//       { name: "Active users", type: "line", values: [1, 2, null], className: "series-2" },
//       { name: "p95 latency (ms)", type: "line", axis: "right", values: […], className: "series-3",
//         format: (v) => `${v} ms` },
//     ],
//   });
//
// A null value is a gap (a day not rolled up): no bar, and the line breaks there. The chart's data is
// also meant to be offered as a table next to it (app.js does), since an SVG is no substitute for one.

const SVG_NS = "http://www.w3.org/2000/svg";

// The drawing is as wide as its container (in CSS pixels), so text keeps its size on every screen;
// app.js draws again when the container's width changes.
const HEIGHT = 240;

let chartCount = 0;

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

// Round, human tick values from 0 to at least `max` (about `count` steps of 1, 2, 2.5 or 5 × 10^n).
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  const ticks = [];
  for (let v = 0; v < max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const plain = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

function shortDay(label) {
  // "2026-11-05" -> "11-05"; anything else as is.
  return /^\d{4}-\d{2}-\d{2}$/.test(label) ? label.slice(5) : label;
}

// Draws the chart into `container` (its previous content is replaced) and returns the <svg>.
export function renderChart(container, { title, description = "", labels, series }) {
  const id = `chart-${++chartCount}`;
  const WIDTH = Math.max(300, Math.round(container.clientWidth || 640));
  const hasRight = series.some((s) => s.axis === "right");
  const MARGIN = { top: 14, right: hasRight ? 44 : 14, bottom: 30, left: 44 };
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const n = Math.max(labels.length, 1);
  const band = plotWidth / n;

  const axes = { left: [], right: [] };
  for (const s of series) axes[s.axis === "right" ? "right" : "left"].push(s);
  const scale = {};
  for (const side of ["left", "right"]) {
    if (!axes[side].length) continue;
    let max = 0;
    for (const s of axes[side]) for (const v of s.values) if (v != null && v > max) max = v;
    const ticks = niceTicks(max);
    const top = ticks[ticks.length - 1] || 1;
    scale[side] = { ticks, y: (v) => MARGIN.top + plotHeight - (v / top) * plotHeight, format: axes[side][0].format };
  }
  const xCenter = (i) => MARGIN.left + band * i + band / 2;

  const svg = el("svg", {
    class: "chart",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-labelledby": `${id}-title ${id}-desc`,
    focusable: "false",
  });
  svg.append(el("title", { id: `${id}-title` }, title));
  svg.append(el("desc", { id: `${id}-desc` }, description));

  // Grid lines and value axes.
  const grid = el("g", { class: "chart-grid", "aria-hidden": "true" });
  const primary = scale.left ?? scale.right;
  for (const tick of primary.ticks) {
    const y = primary.y(tick);
    grid.append(el("line", { x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y }));
  }
  svg.append(grid);
  for (const side of ["left", "right"]) {
    const s = scale[side];
    if (!s) continue;
    const axis = el("g", { class: `chart-axis chart-axis-${side}`, "aria-hidden": "true" });
    for (const tick of s.ticks) {
      const x = side === "left" ? MARGIN.left - 8 : WIDTH - MARGIN.right + 8;
      axis.append(
        el(
          "text",
          { x, y: s.y(tick), "text-anchor": side === "left" ? "end" : "start", "dominant-baseline": "middle" },
          compact.format(tick),
        ),
      );
    }
    svg.append(axis);
  }

  // Category axis: a label every ~60 px at most, evenly spaced, the last one shown when there is room.
  const xAxis = el("g", { class: "chart-axis chart-axis-x", "aria-hidden": "true" });
  xAxis.append(
    el("line", {
      x1: MARGIN.left,
      x2: WIDTH - MARGIN.right,
      y1: MARGIN.top + plotHeight,
      y2: MARGIN.top + plotHeight,
    }),
  );
  const every = Math.max(1, Math.ceil(labels.length / Math.max(2, Math.floor(plotWidth / 60))));
  labels.forEach((label, i) => {
    const last = i === labels.length - 1;
    if (i % every !== 0 && !(last && i % every >= every / 2)) return;
    xAxis.append(el("text", { x: xCenter(i), y: HEIGHT - MARGIN.bottom + 18, "text-anchor": "middle" }, shortDay(label)));
  });
  svg.append(xAxis);

  // Bars: the bar series of a category share its band side by side.
  const bars = series.filter((s) => s.type === "bar");
  const barGap = Math.min(4, band * 0.2);
  const barWidth = Math.max(1, (band - barGap * 2) / Math.max(bars.length, 1));
  bars.forEach((s, b) => {
    const sc = scale[s.axis === "right" ? "right" : "left"];
    const g = el("g", { class: `chart-bars ${s.className ?? ""}`, "data-series": s.name });
    s.values.forEach((v, i) => {
      if (v == null) return;
      const y = sc.y(v);
      const rect = el("rect", {
        x: MARGIN.left + band * i + barGap + barWidth * b,
        y,
        width: barWidth,
        height: Math.max(0, MARGIN.top + plotHeight - y),
      });
      rect.append(el("title", {}, `${labels[i]}: ${s.name} ${(s.format ?? plain.format)(v)}`));
      g.append(rect);
    });
    svg.append(g);
  });

  // Lines, broken at gaps, with a dot per value (its <title> is the tooltip).
  for (const s of series.filter((x) => x.type !== "bar")) {
    const sc = scale[s.axis === "right" ? "right" : "left"];
    const g = el("g", { class: `chart-line ${s.className ?? ""}`, "data-series": s.name });
    let d = "";
    let pen = false;
    s.values.forEach((v, i) => {
      if (v == null) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${xCenter(i).toFixed(1)},${sc.y(v).toFixed(1)}`;
      pen = true;
    });
    if (d) g.append(el("path", { d, fill: "none" }));
    s.values.forEach((v, i) => {
      if (v == null) return;
      const dot = el("circle", { cx: xCenter(i), cy: sc.y(v), r: n > 60 ? 2 : 3.5 });
      dot.append(el("title", {}, `${labels[i]}: ${s.name} ${(s.format ?? plain.format)(v)}`));
      g.append(dot);
    });
    svg.append(g);
  }

  if (!series.some((s) => s.values.some((v) => v != null))) {
    svg.append(
      el(
        "text",
        { class: "chart-empty", x: MARGIN.left + plotWidth / 2, y: MARGIN.top + plotHeight / 2, "text-anchor": "middle" },
        "No rolled-up data in this range",
      ),
    );
  }

  // The legend is HTML (wraps on small screens, readable by everyone).
  const legend = document.createElement("ul");
  legend.className = "chart-legend";
  for (const s of series) {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch swatch-${s.type === "bar" ? "bar" : "line"} ${s.className ?? ""}`;
    swatch.setAttribute("aria-hidden", "true");
    item.append(swatch, ` ${s.name}${s.axis === "right" ? " (right axis)" : ""}`);
    legend.append(item);
  }

  container.replaceChildren(svg, legend);
  return svg;
}
