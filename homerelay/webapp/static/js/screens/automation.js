// Automation screen: the cooling rule (on/off, threshold, hysteresis, device, pause length), what
// it is doing, the temperature and its device now (from the same stores as the other screens),
// and a pause after a hand switch that can be taken back (Resume now).

import * as api from "../api.js";
import { byId, clockTime, deviceLabel, displayName, h, knownTime, parseTime, roomLabel, say } from "../dom.js";
import { COOLING_LIMITS } from "../limits.js";
import * as readings from "../readings.js";
import * as devicesScreen from "./devices.js";

const PATH = "/automations/cooling";

let rule = null; // the rule as the server last described it
let dirty = false; // the user is editing: live updates must not overwrite the form
const watchers = new Set();

/** The rule as the server last described it (null: not loaded). */
export function current() {
  return rule;
}

/** Be told whenever the rule changes (the Dashboard draws its threshold). */
export function watch(callback) {
  watchers.add(callback);
}

function numberOrEmpty(value) {
  return typeof value === "number" && Number.isFinite(value) ? String(value) : "";
}

/** The rooms and devices to choose from: what the agent reports, plus the rule's own choice. */
function choices() {
  const byRoom = new Map();
  const add = (room, device) => {
    if (!room || !device) return;
    if (!byRoom.has(room)) byRoom.set(room, new Set());
    byRoom.get(room).add(device);
  };
  for (const device of devicesScreen.current()) {
    if (devicesScreen.coolable(device.room, device.device)) add(device.room, device.device);
  }
  if (rule) add(rule.room, rule.device);
  return byRoom;
}

function fillSelect(select, values, selected, label) {
  const keep = values.includes(selected) ? selected : values[0] || "";
  select.replaceChildren(...values.map((value) => h("option", { value, text: label(value) })));
  select.value = keep;
}

function fillRooms(selectedRoom, selectedDevice) {
  const byRoom = choices();
  fillSelect(byId("cooling-room"), [...byRoom.keys()], selectedRoom, roomLabel);
  fillDevices(selectedDevice);
}

function fillDevices(selectedDevice) {
  const room = byId("cooling-room").value;
  const names = [...(choices().get(room) || [])];
  fillSelect(byId("cooling-device"), names, selectedDevice, roomLabel);
}

function paintForm() {
  if (!rule) return;
  byId("cooling-enabled").checked = Boolean(rule.enabled);
  byId("cooling-threshold").value = numberOrEmpty(rule.threshold);
  byId("cooling-hysteresis").value = numberOrEmpty(rule.hysteresis);
  byId("cooling-pause-minutes").value = numberOrEmpty(rule.pause_minutes);
  fillRooms(rule.room, rule.device);
}

function ruleName() {
  return rule && rule.room && rule.device ? deviceLabel(rule.room, rule.device) : "device";
}

function pausedUntil() {
  const until = rule ? parseTime(rule.paused_until) : null;
  return until && until > new Date() ? until : null;
}

function paintStatus() {
  const status = byId("cooling-status");
  status.classList.remove("is-active");
  if (!rule) {
    status.textContent = "";
    return;
  }
  const name = ruleName();
  // The device's state comes from the same store as the Devices screen, so the two agree.
  const device = devicesScreen.find(rule.room, rule.device);
  const state = device ? device.state : null;
  const parts = [];
  if (!rule.enabled) parts.push("Cooling is off.");
  else if (pausedUntil()) parts.push(`Cooling is paused; it leaves the ${name} as it is.`);
  else if (state === "on" && rule.active !== false) {
    parts.push(`Cooling is holding the ${name} on.`);
    status.classList.add("is-active");
  } else if (state === "on") parts.push(`Cooling is on; the ${name} is on.`);
  else if (state === "off") parts.push(`Cooling is on; the ${name} is off for now.`);
  else parts.push(`Cooling is on; it drives the ${name}.`);
  if (rule.enabled && typeof rule.threshold === "number") {
    const hysteresis = typeof rule.hysteresis === "number" ? rule.hysteresis : 0;
    // No-break spaces keep each number with its unit on a narrow screen.
    parts.push(`On at ${rule.threshold}\u00a0°C or above, off below ${+(rule.threshold - hysteresis).toFixed(2)}\u00a0°C.`);
  }
  status.textContent = parts.join(" ");
}

/** "because you switched the living room fan by hand", from the server's words when it has them. */
function because() {
  const text = rule && typeof rule.paused_because === "string" ? rule.paused_because.trim().replace(/\.$/, "") : "";
  if (!text) return `because the ${ruleName()} was switched by hand`;
  if (/^because\b/i.test(text)) return text.charAt(0).toLowerCase() + text.slice(1);
  return `because ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

function paintPause() {
  const until = pausedUntil();
  const box = byId("cooling-pause");
  box.hidden = !until || !rule.enabled;
  if (box.hidden) return;
  const text = `Paused until ${knownTime(until)} ${because()}.`;
  const line = byId("cooling-pause-text");
  if (line.textContent !== text) line.textContent = text;
}

/** The temperature now and the rule's device now, read from the stores every screen shares. */
function paintNow() {
  const reading = readings.current();
  const note = [];
  byId("cooling-temperature").textContent =
    reading && typeof reading.temperature === "number" ? `${reading.temperature.toFixed(1)}\u00a0°C` : "–";
  if (readings.isLoaded() && !reading) note.push("No readings yet: cooling starts when the Pi sends its first temperature.");
  else if (reading && reading.stale) note.push(`The last reading is from ${clockTime(reading.at)}; cooling waits for a fresh one.`);
  const name = byId("cooling-device-name");
  const state = byId("cooling-device-state");
  if (rule && rule.room && rule.device) {
    const device = devicesScreen.find(rule.room, rule.device);
    name.textContent = displayName(ruleName());
    state.textContent = devicesScreen.stateLabel(device);
    state.dataset.state = device && device.state ? device.state : "unknown";
    if (!device || (device.state !== "on" && device.state !== "off")) note.push(`The ${ruleName()} is not reported by the Pi yet.`);
  } else {
    name.textContent = "Device";
    state.textContent = "–";
    state.dataset.state = "unknown";
  }
  say(byId("cooling-now-note"), note.join(" "), "hint");
}

function paint() {
  paintStatus();
  paintPause();
  paintNow();
}

/**
 * The server sends the rule again only when the rule changes; when its device switches (the
 * rule turned the fan on, say), work out `active` as the server does: on, and not paused.
 */
function followDevice(devices) {
  if (!rule || !("active" in rule)) return; // a server that does not say: do not guess
  const device = devices.find((d) => d.room === rule.room && d.device === rule.device);
  if (!device || (device.state !== "on" && device.state !== "off")) return;
  rule = { ...rule, active: Boolean(rule.enabled) && !pausedUntil() && device.state === "on" };
  paintStatus();
}

/** Take the rule (GET answer, PUT answer, resume answer or `automation` event). */
export function update(data) {
  if (!data || typeof data !== "object") return;
  rule = data;
  if (!dirty) paintForm();
  // The agent may have reported the device after the server wrote this answer (a PUT's reply
  // can arrive after the `devices` event of the command it queued): apply the latest state.
  paint();
  followDevice(devicesScreen.current());
  for (const callback of watchers) callback(rule);
}

/** Fetch the rule again (start, reconnect). */
export async function refresh() {
  try {
    update(await api.get(PATH));
  } catch (error) {
    if (error.status !== 404) throw error; // no rule yet: the form starts empty
  }
}

/** The rule as last described, for the last-known store (null: none yet). */
export function snapshot() {
  return rule;
}

/** Show a snapshot again (start, before the server answers). */
export function restore(data) {
  if (data && typeof data === "object") update(data);
}

/** Forget everything (sign out). */
export function reset() {
  rule = null;
  dirty = false;
  paint();
  for (const callback of watchers) callback(rule);
}

/** A number from a field within its limits, or an error with a sentence that says what fits. */
function numberField(id, limits, sentence, { whole = false } = {}) {
  const value = byId(id).valueAsNumber;
  if (!Number.isFinite(value) || value < limits.min || value > limits.max || (whole && !Number.isInteger(value))) {
    throw new Error(sentence);
  }
  return value;
}

function readForm() {
  const { threshold: t, hysteresis: hy, pause_minutes: p } = COOLING_LIMITS;
  const threshold = numberField("cooling-threshold", t, `Give a threshold from ${t.min} to ${t.max} °C, for example 28.`);
  const hysteresis = numberField("cooling-hysteresis", hy, `Give a hysteresis from ${hy.min} to ${hy.max} °C, for example 1.`);
  const body = { enabled: byId("cooling-enabled").checked, threshold, hysteresis };
  // A server from before pause_minutes does not send it: leave it out rather than refuse.
  if (byId("cooling-pause-minutes").value !== "" || (rule && "pause_minutes" in rule)) {
    body.pause_minutes = numberField(
      "cooling-pause-minutes",
      p,
      `Give a pause of ${p.min} to ${p.max} whole minutes (0: never pause).`,
      { whole: true },
    );
  }
  const room = byId("cooling-room").value;
  const device = byId("cooling-device").value;
  if (!room || !device) throw new Error("Choose the room and device that cooling switches.");
  return { ...body, room, device };
}

async function save(event) {
  event.preventDefault();
  const message = byId("cooling-message");
  let body;
  try {
    body = readForm();
  } catch (error) {
    say(message, error.message, "error");
    return;
  }
  const button = byId("cooling-save");
  button.disabled = true;
  say(message, "Saving…");
  try {
    const saved = await api.put(PATH, body);
    dirty = false;
    update(saved && typeof saved === "object" ? saved : { ...rule, ...body });
    say(message, "Saved.", "ok");
  } catch (error) {
    // The server's detail is a sentence made to be shown: show it as it is.
    const bad = error instanceof api.ApiError && error.status === 400;
    say(message, bad ? api.describe(error) : `Not saved: ${api.describe(error)}`, "error");
  } finally {
    button.disabled = false;
  }
}

async function resume() {
  const button = byId("cooling-resume");
  const message = byId("cooling-resume-message");
  button.disabled = true;
  say(message, "");
  try {
    update(await api.post(`${PATH}/resume`));
  } catch (error) {
    say(message, api.describe(error), "error");
  } finally {
    button.disabled = false;
  }
}

/** Wire the screen once. */
export function setUp() {
  const form = byId("cooling-form");
  for (const [name, limits] of Object.entries(COOLING_LIMITS)) {
    const input = byId(`cooling-${name.replace("_", "-")}`);
    input.min = String(limits.min);
    input.max = String(limits.max);
  }
  form.addEventListener("submit", save);
  form.addEventListener("input", () => {
    dirty = true;
    say(byId("cooling-message"), "");
  });
  byId("cooling-room").addEventListener("change", () => fillDevices(""));
  byId("cooling-resume").addEventListener("click", resume);
  // New devices reported by the agent become choices (unless the user is mid-edit).
  devicesScreen.watch((devices) => {
    if (!dirty) fillRooms(rule ? rule.room : "", rule ? rule.device : "");
    followDevice(devices);
    paintStatus();
    paintNow();
  });
  readings.watch(paintNow);
  paint();
  // "Paused until" passes by itself.
  setInterval(paint, 15000);
}
