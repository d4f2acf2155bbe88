// Automation screen: the cooling rule (on/off, threshold, hysteresis, device) and what it is doing.

import * as api from "../api.js";
import { byId, clockTime, deviceLabel, h, parseTime, roomLabel, say } from "../dom.js";
import * as devicesScreen from "./devices.js";

const PATH = "/automations/cooling";

let rule = null; // the rule as the server last described it
let dirty = false; // the user is editing: live updates must not overwrite the form

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
  for (const device of devicesScreen.current()) add(device.room, device.device);
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
  fillRooms(rule.room, rule.device);
}

function paintStatus() {
  const status = byId("cooling-status");
  status.classList.remove("is-active");
  if (!rule) {
    status.textContent = "";
    return;
  }
  const name = rule.room && rule.device ? `${deviceLabel(rule.room, rule.device)}` : "device";
  const until = parseTime(rule.paused_until);
  const parts = [];
  if (!rule.enabled) parts.push("Cooling is off.");
  else if (rule.active === true) {
    parts.push(`Cooling is holding the ${name} on.`);
    status.classList.add("is-active");
  } else if (rule.active === false) parts.push(`Cooling is on; the ${name} is off for now.`);
  else parts.push(`Cooling drives the ${name}.`);
  if (rule.enabled && typeof rule.threshold === "number") {
    const hysteresis = typeof rule.hysteresis === "number" ? rule.hysteresis : 0;
    // No-break spaces keep each number with its unit on a narrow screen.
    parts.push(`On at ${rule.threshold}\u00a0°C or above, off below ${+(rule.threshold - hysteresis).toFixed(2)}\u00a0°C.`);
  }
  if (until && until > new Date()) {
    parts.push(`Paused until ${clockTime(until)}, because the ${name} was switched by hand.`);
  }
  status.textContent = parts.join(" ");
}

/**
 * The server sends the rule again only when the rule changes; when its device switches (the
 * rule turned the fan on, say), work out `active` as the server does: on, and not paused.
 */
function followDevice(devices) {
  if (!rule || !("active" in rule)) return; // a server that does not say: do not guess
  const device = devices.find((d) => d.room === rule.room && d.device === rule.device);
  if (!device || (device.state !== "on" && device.state !== "off")) return;
  const until = parseTime(rule.paused_until);
  const paused = Boolean(until && until > new Date());
  rule = { ...rule, active: Boolean(rule.enabled) && !paused && device.state === "on" };
  paintStatus();
}

/** Take the rule (GET answer, PUT answer or `automation` event). */
export function update(data) {
  if (!data || typeof data !== "object") return;
  rule = data;
  if (!dirty) paintForm();
  // The agent may have reported the device after the server wrote this answer (a PUT's reply
  // can arrive after the `devices` event of the command it queued): apply the latest state.
  paintStatus();
  followDevice(devicesScreen.current());
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
  paintStatus();
}

function readForm() {
  const threshold = byId("cooling-threshold").valueAsNumber;
  const hysteresis = byId("cooling-hysteresis").valueAsNumber;
  if (!Number.isFinite(threshold)) throw new Error("Give a threshold in °C, for example 28.");
  if (!Number.isFinite(hysteresis) || hysteresis < 0) throw new Error("Give a hysteresis of 0 °C or more, for example 1.");
  const room = byId("cooling-room").value;
  const device = byId("cooling-device").value;
  if (!room || !device) throw new Error("Choose the room and device that cooling switches.");
  return { enabled: byId("cooling-enabled").checked, threshold, hysteresis, room, device };
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
    say(message, `Not saved: ${api.describe(error)}`, "error");
  } finally {
    button.disabled = false;
  }
}

/** Wire the screen once. */
export function setUp() {
  const form = byId("cooling-form");
  form.addEventListener("submit", save);
  form.addEventListener("input", () => {
    dirty = true;
    say(byId("cooling-message"), "");
  });
  byId("cooling-room").addEventListener("change", () => fillDevices(""));
  // New devices reported by the agent become choices (unless the user is mid-edit).
  devicesScreen.watch((devices) => {
    if (!dirty) fillRooms(rule ? rule.room : "", rule ? rule.device : "");
    followDevice(devices);
  });
  // "Paused until" passes by itself.
  setInterval(paintStatus, 30000);
}
