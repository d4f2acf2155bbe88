// The temperature/humidity history chart (uPlot, vendored), sized to its box and themed by CSS.

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
          t: { range: (u, min, max) => (min === null ? [15, 30] : [Math.floor(min - 1), Math.ceil(max + 1)]) },
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
      },
      this.data,
      this.container,
    );
  }
}
