// The temperature/humidity history chart (uPlot, vendored), sized to its box and themed by CSS,
// with the cooling threshold as a dashed line and the periods its device was on shaded.

import uPlot from "../vendor/uPlot.esm.js";

const HEIGHT = 220;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function fixed(unit, digits) {
  return (u, value) => (value === null || value === undefined ? "–" : `${value.toFixed(digits)} ${unit}`);
}

/** A two-series chart: temperature (left axis) and humidity (right axis) over time. */
export class HistoryChart {
  constructor(container) {
    this.container = container;
    this.plot = null;
    this.data = [[], [], []];
    this.threshold = null; // °C, or null: no line
    this.periods = []; // [[start, end], …] in seconds: shaded
    new ResizeObserver(() => this.fit()).observe(container);
    // Rebuild with the other palette when the system theme flips.
    window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => this.rebuild());
  }

  /** Replace the points: `points` is [{at: Date, temperature, humidity}], any order. */
  setPoints(points) {
    const sorted = [...points].sort((a, b) => a.at - b.at);
    this.data = [
      sorted.map((p) => p.at.getTime() / 1000),
      sorted.map((p) => (typeof p.temperature === "number" ? p.temperature : null)),
      sorted.map((p) => (typeof p.humidity === "number" ? p.humidity : null)),
    ];
    if (this.plot) this.plot.setData(this.data);
    else this.fit();
  }

  /** The threshold line (°C or null) and the shaded periods ([[startMs, endMs], …]). */
  setMarks(threshold, periods) {
    this.threshold = typeof threshold === "number" && Number.isFinite(threshold) ? threshold : null;
    this.periods = (periods || []).map(([start, end]) => [start / 1000, end / 1000]);
    // A new threshold may widen the temperature axis: setData works the ranges out again.
    if (this.plot) this.plot.setData(this.data);
  }

  /** Number of points shown. */
  get size() {
    return this.data[0].length;
  }

  fit() {
    const width = Math.floor(this.container.clientWidth);
    if (width <= 0) return; // hidden screen: build when it is shown
    if (!this.plot) this.build(width);
    else if (this.plot.width !== width) this.plot.setSize({ width, height: HEIGHT });
  }

  rebuild() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
    this.fit();
  }

  /** Shade the periods (drawn first, under the grid and the curves). */
  shade(u) {
    if (!this.periods.length) return;
    const { left, top, width, height } = u.bbox;
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = cssVar("--cooling-on");
    for (const [start, end] of this.periods) {
      const x0 = Math.max(left, u.valToPos(start, "x", true));
      const x1 = Math.min(left + width, u.valToPos(end, "x", true));
      if (x1 > x0) ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
    }
    ctx.restore();
  }

  /** The threshold as a dashed horizontal line across the plot. */
  line(u) {
    if (this.threshold === null) return;
    const { left, top, width, height } = u.bbox;
    const y = Math.round(u.valToPos(this.threshold, "t", true)) + 0.5;
    if (y < top || y > top + height) return;
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = cssVar("--threshold");
    ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
    ctx.setLineDash([8, 6].map((v) => v * (window.devicePixelRatio || 1)));
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.restore();
  }

  /** The temperature axis: a few degrees tall at least, and the threshold always in view. */
  temperatureRange(min, max) {
    if (min === null) {
      if (this.threshold === null) return [15, 30];
      return [Math.floor(this.threshold - 5), Math.ceil(this.threshold + 2)];
    }
    const low = this.threshold === null ? min : Math.min(min, this.threshold);
    const high = this.threshold === null ? max : Math.max(max, this.threshold);
    return [Math.floor(low - 1), Math.ceil(high + 1)];
  }

  build(width) {
    const text = cssVar("--muted");
    const grid = cssVar("--grid");
    const temperature = cssVar("--temperature");
    const humidity = cssVar("--humidity");
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    this.plot = new uPlot(
      {
        width,
        height: HEIGHT,
        scales: {
          // uPlot stretches a lone point over years of axis: show the half hour around it instead.
          x: { time: true, range: (u, min, max) => (u.data[0].length === 1 ? [min - 900, min + 900] : [min, max]) },
          // At least a few degrees tall, so that a steady room does not look like a storm.
          t: { range: (u, min, max) => this.temperatureRange(min, max) },
          h: { range: [0, 100] },
        },
        series: [
          {},
          { label: "Temperature", scale: "t", stroke: temperature, width: 2, value: fixed("°C", 1), spanGaps: true },
          { label: "Humidity", scale: "h", stroke: humidity, width: 2, value: fixed("%", 0), spanGaps: true },
        ],
        axes: [
          { ...axis },
          { ...axis, scale: "t", size: 48, values: (u, values) => values.map((v) => `${+v.toFixed(1)}°`) },
          { ...axis, scale: "h", side: 1, size: 50, grid: { show: false }, values: (u, values) => values.map((v) => `${v}%`) },
        ],
        legend: { live: false },
        hooks: { drawClear: [(u) => this.shade(u)], draw: [(u) => this.line(u)] },
      },
      this.data,
      this.container,
    );
  }
}
