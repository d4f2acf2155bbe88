// Devices screen: every device of the house by room, each with a switch showing its live state.
// It holds the app's one store of device states: the Automation screen and the Dashboard read
// them from here, so no screen can say off while another says on.

import * as agent from "../agent.js";
import * as api from "../api.js";
import * as confirm from "../confirm.js";
import { byId, clear, deviceLabel, displayName, h, parseTime, say, timeAgo } from "../dom.js";
import * as commandScreen from "./command.js";

const SERVO = "servo";
const SETTLE_MS = 3000;
const SLOW_MS = 10000; // a switch that waited this long for its device says why
const UNKNOWN_NOTE = "Not reported by the Pi yet.";
const OFFLINE_NOTE = "The Pi is offline; it will switch when the Pi is back.";
const SLOW_NOTE = "The Pi has not answered yet.";

let reported = []; // [{room, device, kind, state}] as the agent last reported
let layout = []; // [{room, device, kind}] from the house layout, in the house's order
let devices = []; // what the screen shows: the layout's order, reported states (null: unknown)
let updatedAt = null;
let loaded = false; // the states came from the server at least once
let readOnly = ""; // why the switches cannot be used now ("": they can)
const rows = new Map(); // "room/device" -> {input, stateText, row}
const pending = new Map(); // "room/device" -> {target, commandId}
const listeners = new Set();

const keyOf = (room, device) => `${room}/${device}`;

/** The devices as last reported (the Automation screen offers them as choices). */
export function current() {
  return devices;
}

/** One device as last reported (state null: unknown), or undefined. */
export function find(room, name) {
  return devices.find((d) => d.room === room && d.device === name);
}

/** When the Pi last reported the devices (null: never). */
export function reportedAt() {
  return updatedAt;
}

/** A device's kind from the layout or the report ("servo", "led", …; "" when unknown). */
export function kindOf(room, name) {
  const device = find(room, name) || layout.find((d) => d.room === room && d.device === name);
  return (device && device.kind) || "";
}

/** Whether the cooling rule may drive a device: a relay that needs no yes (as the server checks). */
export function coolable(room, name) {
  const spec = layout.find((d) => d.room === room && d.device === name);
  if (!spec) return true; // no layout yet: offer it, and let the server say
  return spec.kind === "relay" && !spec.confirm;
}

/** Be told when the list of devices changes. */
export function watch(callback) {
  listeners.add(callback);
}

/** What a switch is called in the history if it is refused: a door opens and closes, the rest turn on/off. */
export function commandFor(device, on) {
  const name = deviceLabel(device.room, device.device);
  if (device.kind === SERVO) return `${on ? "open" : "close"} the ${name}`;
  return `turn ${on ? "on" : "off"} the ${name}`;
}

/** "On", "Off", "Open", "Closed" or "Unknown": a device's state in words, the same on every screen. */
export function stateLabel(device) {
  if (!device || (device.state !== "on" && device.state !== "off")) return "Unknown";
  return stateWord(device, device.state === "on");
}

function stateWord(device, on) {
  if (device.kind === SERVO) return on ? "Open" : "Closed";
  return on ? "On" : "Off";
}

/** Merge the reported states into the house's order; devices not reported show as unknown. */
function merge() {
  const order = new Map(layout.map((d, index) => [keyOf(d.room, d.device), index]));
  const rank = (d) => (order.has(keyOf(d.room, d.device)) ? order.get(keyOf(d.room, d.device)) : order.size);
  const known = new Set(reported.map((d) => keyOf(d.room, d.device)));
  const unknown = layout.filter((d) => !known.has(keyOf(d.room, d.device))).map((d) => ({ ...d, state: null }));
  devices = [...reported, ...unknown].sort((a, b) => rank(a) - rank(b));
}

/** Take a full device list (GET answer or `devices` event). */
export function update(data) {
  const at = parseTime(data && data.updated_at);
  // A GET answer that left before the latest `devices` event arrived must not undo it.
  if (at && updatedAt && at < updatedAt) return;
  reported = Array.isArray(data && data.devices) ? data.devices : [];
  updatedAt = at;
  merge();
  for (const device of devices) {
    const key = keyOf(device.room, device.device);
    const wait = pending.get(key);
    if (wait && (device.state === "on") === wait.target) forget(key);
  }
  render();
  for (const callback of listeners) callback(devices);
}

/** Take the house layout (`GET /house`): it gives the order of rooms and devices. */
export function setLayout(house) {
  const list = Array.isArray(house && house.devices) ? house.devices : [];
  layout = list
    .map((d) => ({ room: d.room, device: d.name ?? d.device, kind: d.kind, confirm: d.confirm === true }))
    .filter((d) => d.room && d.device);
  merge();
  render();
  for (const callback of listeners) callback(devices);
}

/** Fetch the layout and the devices again (start, reconnect). */
export async function refresh() {
  const [house, states] = await Promise.allSettled([api.get("/house"), api.get("/devices")]);
  if (house.status === "fulfilled") setLayout(house.value);
  if (states.status === "rejected") throw states.reason;
  loaded = true;
  update(states.value);
}

/** What the screen shows, as plain JSON for the last-known store (null: nothing loaded yet). */
export function snapshot() {
  if (!loaded) return null;
  return { layout, states: { devices: reported, updated_at: updatedAt ? updatedAt.toISOString() : null } };
}

/** Show a snapshot again (start, before the server answers). */
export function restore(data) {
  if (!data || typeof data !== "object") return;
  layout = (Array.isArray(data.layout) ? data.layout : []).filter((d) => d && d.room && d.device);
  loaded = true;
  update(data.states || {});
}

/**
 * Turn the switches off while a tap cannot reach the home (offline, server down), with `reason`
 * shown instead, so that a tap is not lost in silence; "" turns them back on.
 */
export function setReadOnly(reason) {
  if (reason === readOnly) return; // a status region: the same words must not be announced again
  readOnly = reason;
  say(byId("devices-readonly"), reason, "hint");
  for (const parts of rows.values()) parts.input.disabled = Boolean(readOnly);
}

/** Forget everything (sign out). */
export function reset() {
  for (const key of [...pending.keys()]) forget(key);
  layout = [];
  loaded = false;
  update({ devices: [] });
}

let builtFor = null; // the devices (keys, in order) the switches were built for

function structureChanged() {
  return builtFor !== devices.map((d) => keyOf(d.room, d.device)).join("|");
}

function render() {
  byId("devices-updated").textContent = updatedAt ? `Reported ${timeAgo(updatedAt)}` : "";
  const empty = byId("devices-empty");
  empty.hidden = devices.length > 0;
  empty.textContent = loaded ? "No devices reported yet: is the agent running?" : "Not loaded yet: waiting for the server.";
  if (structureChanged()) build();
  for (const device of devices) paint(device);
}

/** Build the room groups and switches (only when the set of devices changes, to keep focus). */
function build() {
  const container = clear(byId("device-rooms"));
  rows.clear();
  builtFor = devices.map((d) => keyOf(d.room, d.device)).join("|");
  const byRoom = new Map();
  for (const device of devices) {
    if (!byRoom.has(device.room)) byRoom.set(device.room, []);
    byRoom.get(device.room).push(device);
  }
  for (const [room, roomDevices] of byRoom) {
    const headingId = `room-${room}`.replace(/[^\w-]/g, "-");
    const list = h("ul", { className: "device-list" });
    for (const device of roomDevices) {
      const label = deviceLabel(device.room, device.device);
      const input = h("input", {
        type: "checkbox",
        role: "switch",
        className: "switch",
        "aria-label": label,
        disabled: Boolean(readOnly),
        onchange: (event) => toggle(device.room, device.device, event.target),
      });
      const stateText = h("span", { className: "device-state", "aria-hidden": "true" });
      const noteId = `note-${keyOf(device.room, device.device)}`.replace(/[^\w-]/g, "-");
      const note = h("span", { id: noteId, className: "device-note", hidden: true });
      input.setAttribute("aria-describedby", noteId);
      const row = h(
        "li",
        { className: "device" },
        h(
          "label",
          { className: "device-row" },
          h("span", { className: "device-name", text: displayName(device.device) }),
          stateText,
          input,
          note,
        ),
      );
      rows.set(keyOf(device.room, device.device), { input, stateText, note, row });
      list.append(row);
    }
    container.append(
      h("section", { className: "card room", "aria-labelledby": headingId }, h("h3", { id: headingId, text: displayName(room) }), list),
    );
  }
}

function paint(device) {
  const key = keyOf(device.room, device.device);
  const parts = rows.get(key);
  if (!parts) return;
  const wait = pending.get(key);
  const on = wait ? wait.target : device.state === "on";
  parts.input.checked = on;
  parts.row.classList.toggle("is-on", device.state === "on");
  parts.row.classList.toggle("is-pending", Boolean(wait));
  parts.input.setAttribute("aria-busy", wait ? "true" : "false");
  const unknown = device.state !== "on" && device.state !== "off";
  if (wait) parts.stateText.textContent = `${stateWord(device, on)}…`;
  else parts.stateText.textContent = unknown ? "Unknown" : stateWord(device, on);
  // Why a switch waits (after a while), or what "Unknown" means.
  let note = "";
  if (wait && wait.slow) note = agent.isOffline() ? OFFLINE_NOTE : SLOW_NOTE;
  else if (unknown) note = UNKNOWN_NOTE;
  if (parts.note.textContent !== note) parts.note.textContent = note;
  parts.note.hidden = !note;
  parts.row.classList.toggle("is-slow", Boolean(wait && wait.slow));
}

/** Stop waiting for a device (it reached its state, or the command failed or was cancelled). */
function forget(key) {
  const wait = pending.get(key);
  if (!wait) return;
  clearTimeout(wait.slowTimer);
  clearTimeout(wait.settle);
  pending.delete(key);
}

async function toggle(room, name, input) {
  const device = devices.find((d) => d.room === room && d.device === name);
  if (!device) return;
  const key = keyOf(room, name);
  const target = input.checked;
  const message = byId("devices-error");
  say(message, "");
  forget(key);
  const wait = { target, commandId: null, slow: false };
  pending.set(key, wait);
  paint(device);
  try {
    const action = { room, device: name, action: target ? "on" : "off" };
    const command = await commandScreen.sendActions([action], commandFor(device, target));
    if (pending.get(key) !== wait) return; // tapped again meanwhile, or already settled
    wait.commandId = command.id;
    // Counted from the moment it is queued: time spent in the confirmation dialog is not waiting.
    wait.slowTimer = setTimeout(() => {
      if (pending.get(key) !== wait) return;
      wait.slow = true;
      render();
    }, SLOW_MS);
    // The command may have been carried out before its POST answer arrived.
    onCommand(command);
  } catch (error) {
    if (pending.get(key) === wait) forget(key);
    paint(device);
    // Cancel in the confirmation dialog: the switch goes back, and that is all.
    if (!(error instanceof confirm.Declined)) {
      say(message, `Could not switch the ${deviceLabel(room, name)}: ${api.describe(error)}`, "error");
    }
  }
}

/** Follow the commands our switches sent: on failure put the switch back to the real state. */
function onCommand(command) {
  for (const [key, wait] of pending) {
    if (wait.commandId !== command.id) continue;
    if (["failed", "expired", "rejected", "replaced"].includes(command.status)) {
      forget(key);
      const [room, name] = key.split("/");
      const why = command.result ? `: ${command.result}` : "";
      say(byId("devices-error"), `The ${deviceLabel(room, name)} was not switched${why}`, "error");
    } else if (command.status === "done" && !wait.settle) {
      // The agent's `devices` report normally follows at once and settles the switch; if it
      // does not come, stop waiting rather than show a switch that never settles.
      wait.settle = setTimeout(() => {
        if (pending.get(key) === wait) forget(key);
        render();
      }, SETTLE_MS);
    }
  }
  render();
}

/** Wire the screen once. */
export function setUp() {
  commandScreen.watch(onCommand);
  commandScreen.useKinds(kindOf);
  agent.watch(render); // a waiting switch says whether the Pi is away
  render();
  // Keep "Reported … ago" honest without a reload.
  setInterval(() => {
    byId("devices-updated").textContent = updatedAt ? `Reported ${timeAgo(updatedAt)}` : "";
  }, 10000);
}
