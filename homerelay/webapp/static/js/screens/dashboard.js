// Dashboard screen: the current temperature and humidity, how fresh they are, and their history,
// with the cooling threshold and the periods the rule's device was on.

import * as api from "../api.js";
import { HistoryChart } from "../chart.js";
import { byId, clockTime, deviceLabel, parseTime, say, timeAgo } from "../dom.js";
import { onPeriods, switches } from "../periods.js";
import * as readings from "../readings.js";
import * as automation from "./automation.js";
import * as commandScreen from "./command.js";
import * as devicesScreen from "./devices.js";

const HISTORY_LIMIT = 2000;
const SWITCH_HISTORY = 500; // commands fetched to find when the rule's device was switched
const RANGES_HOURS = [3, 24];

let latest = null; // {temperature, humidity, at: Date, stale}
let points = []; // [{at: Date, temperature, humidity}]
let rangeHours = RANGES_HOURS[0];
let chart = null;
let loaded = false; // the latest reading came from the server at least once
let switchCommands = new Map(); // id -> done command (for the shaded periods)

function toPoint(reading) {
  const at = parseTime(reading && reading.at);
  return at ? { at, temperature: reading.temperature, humidity: reading.humidity } : null;
}

function format(value, digits) {
  return typeof value === "number" ? value.toFixed(digits) : "–";
}

/** The threshold line and the shaded periods, from the rule, the commands and the device now. */
function paintMarks() {
  if (!chart) return;
  const rule = automation.current();
  const key = byId("chart-key");
  if (!rule || !rule.room || !rule.device) {
    chart.setMarks(null, []);
    key.hidden = true;
    return;
  }
  const now = Date.now();
  const from = now - rangeHours * 3600 * 1000;
  const device = devicesScreen.find(rule.room, rule.device);
  const events = switches(switchCommands.values(), rule.room, rule.device);
  const reportedAt = devicesScreen.reportedAt();
  const periods = onPeriods(events, from, now, device ? device.state : null, reportedAt ? reportedAt.getTime() : null);
  const threshold = rule.enabled && typeof rule.threshold === "number" ? rule.threshold : null;
  chart.setMarks(threshold, periods);
  byId("chart").dataset.periods = String(periods.length);
  byId("chart-key-threshold").textContent =
    threshold === null ? "Cooling is off: no threshold" : `Dashed line: cooling threshold, ${threshold}\u00a0°C`;
  byId("chart-key-on").textContent = `Shaded: ${deviceLabel(rule.room, rule.device)} on`;
  key.hidden = false;
}

function takeSwitch(command) {
  if (!command || command.id === undefined || command.status !== "done") return;
  switchCommands.set(command.id, command);
  paintMarks();
}

async function loadSwitches() {
  const data = await api.get(`/commands?limit=${SWITCH_HISTORY}`);
  switchCommands = new Map();
  for (const command of data.commands || []) if (command.status === "done") switchCommands.set(command.id, command);
  paintMarks();
}

function paintLatest() {
  const box = byId("reading-now");
  byId("temperature-value").textContent = latest ? format(latest.temperature, 1) : "–";
  byId("humidity-value").textContent = latest ? format(latest.humidity, 0) : "–";
  const age = byId("reading-age");
  if (!latest) {
    age.textContent = loaded ? "No reading yet: is the agent running?" : "Not loaded yet: waiting for the server.";
  } else {
    age.textContent = `Measured ${timeAgo(latest.at)} (${clockTime(latest.at)})`;
  }
  const stale = Boolean(latest && latest.stale);
  byId("reading-stale").hidden = !stale;
  box.classList.toggle("is-stale", stale);
  if (readings.current() !== latest || readings.isLoaded() !== loaded) readings.publish(latest, loaded);
}

/** Take a latest reading (GET answer or `reading` event). */
export function update(reading) {
  const point = toPoint(reading);
  if (!point) return;
  if (!latest || point.at >= latest.at) latest = { ...point, stale: Boolean(reading.stale) };
  paintLatest();
  if (!points.some((p) => p.at.getTime() === point.at.getTime())) {
    points.push(point);
    trimToRange();
    if (chart) chart.setPoints(points);
    paintMarks(); // an open period reaches up to now
  }
  byId("chart-empty").hidden = points.length > 0;
  // A batch (the agent catching up after being offline) is one event with its `count`: only the
  // newest reading came with it, so the chart fetches the rest.
  if (Number(reading.count) > 1) reloadHistory();
}

let historyReload = null;
let historyReloadAgain = false;

/** Fetch the history again after a batch; batches arriving meanwhile cost one more fetch, not one each. */
function reloadHistory() {
  if (!chart) return;
  if (historyReload) {
    historyReloadAgain = true;
    return;
  }
  historyReload = loadHistory()
    .then(paintMarks)
    .catch((error) => say(byId("dashboard-error"), api.describe(error), "error"))
    .finally(() => {
      historyReload = null;
      if (historyReloadAgain) {
        historyReloadAgain = false;
        reloadHistory();
      }
    });
}

function trimToRange() {
  const from = Date.now() - rangeHours * 3600 * 1000;
  points = points.filter((p) => p.at.getTime() >= from);
}

async function loadLatest() {
  try {
    const reading = await api.get("/readings/latest");
    latest = null;
    loaded = true;
    if (reading && reading.at) update(reading);
    else paintLatest();
  } catch (error) {
    if (error.status !== 404) throw error; // 404: nothing measured yet
    latest = null;
    loaded = true;
    paintLatest();
  }
}

async function loadHistory() {
  const since = new Date(Date.now() - rangeHours * 3600 * 1000).toISOString();
  const data = await api.get(`/readings?since=${encodeURIComponent(since)}&limit=${HISTORY_LIMIT}`);
  points = (data.readings || []).map(toPoint).filter(Boolean);
  if (latest && !points.some((p) => p.at.getTime() === latest.at.getTime())) points.push(latest);
  trimToRange();
  chart.setPoints(points);
  byId("chart-empty").hidden = points.length > 0;
}

/** Fetch the latest reading and the history again (start, reconnect). */
export async function refresh() {
  await loadLatest();
  await loadHistory();
  await loadSwitches();
}

/** What the screen shows, as plain JSON for the last-known store (null: nothing loaded yet). */
export function snapshot() {
  if (!loaded) return null;
  const plain = (p) => ({ at: p.at.toISOString(), temperature: p.temperature, humidity: p.humidity });
  return { latest: latest && { ...plain(latest), stale: latest.stale }, points: points.map(plain) };
}

/** Show a snapshot again (start, before the server answers): the history as it was drawn. */
export function restore(data) {
  if (!data || typeof data !== "object") return;
  const point = toPoint(data.latest);
  latest = point ? { ...point, stale: Boolean(data.latest.stale) } : null;
  // Not trimmed to the range: after a long time away the old curve is all there is to show.
  points = (Array.isArray(data.points) ? data.points : []).map(toPoint).filter(Boolean);
  loaded = true;
  paintLatest();
  chart.setPoints(points);
  byId("chart-empty").hidden = points.length > 0;
}

/** Forget everything (sign out). */
export function reset() {
  latest = null;
  loaded = false;
  points = [];
  switchCommands = new Map();
  if (chart) chart.setPoints(points);
  paintLatest();
  paintMarks();
}

function setRange(hours) {
  rangeHours = hours;
  for (const button of document.querySelectorAll("[data-range]")) {
    button.setAttribute("aria-pressed", String(Number(button.dataset.range) === hours));
  }
  loadHistory()
    .then(paintMarks)
    .catch((error) => say(byId("dashboard-error"), api.describe(error), "error"));
}

/** Wire the screen once. */
export function setUp() {
  chart = new HistoryChart(byId("chart"));
  for (const button of document.querySelectorAll("[data-range]")) {
    button.addEventListener("click", () => setRange(Number(button.dataset.range)));
  }
  paintLatest();
  commandScreen.watch(takeSwitch);
  devicesScreen.watch(paintMarks);
  automation.watch(paintMarks);
  // The age goes on ticking between readings; the stale mark comes from the server, so ask
  // it again now and then rather than guess its limit here.
  setInterval(paintLatest, 5000);
  setInterval(() => {
    if (document.visibilityState === "visible" && navigator.onLine) loadLatest().catch(() => {});
  }, 60000);
}
