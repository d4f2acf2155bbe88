// The Pi's presence: whether the agent is connected, since when, and how many Pis use its token.
// One store for every screen (top bar, commands, switches), fed by GET /agent and `agent` events.

import * as api from "./api.js";
import { knownTime, parseTime } from "./dom.js";

let status = null; // the server's last word: {online, since, last_seen, simulated, version, instances}
const watchers = new Set();

/** The agent as the server last described it (null: not known yet, or a server without /agent). */
export function current() {
  return status;
}

/** True only when the server says the Pi is away (unknown is not offline). */
export function isOffline() {
  return Boolean(status) && status.online === false;
}

/** Be told whenever the presence changes. */
export function watch(callback) {
  watchers.add(callback);
}

/** Take the presence (GET answer or `agent` event). */
export function update(data) {
  status = data && typeof data === "object" && typeof data.online === "boolean" ? data : null;
  for (const callback of watchers) callback(status);
}

/** Fetch it again (start, reconnect). A server from before /agent answers 404: unknown, not away. */
export async function refresh() {
  try {
    update(await api.get("/agent"));
  } catch (error) {
    if (error.status !== 404) throw error;
    update(null);
  }
}

/** Forget it (sign out, another home, the server out of reach). */
export function reset() {
  update(null);
}

/** "Pi offline since 14:02" (or since a date), for the top bar; "" while the Pi is there. */
export function offlineText(now = new Date()) {
  if (!isOffline()) return "";
  if (!status.last_seen) return "Pi not connected yet";
  const since = parseTime(status.since) || parseTime(status.last_seen);
  return since ? `Pi offline since ${knownTime(since, now)}` : "Pi offline";
}

const COUNTS = ["", "One", "Two", "Three", "Four", "Five"];

/** The warning when several Pis share one agent token ("" when there is only one). */
export function instancesText() {
  const count = status && Number.isInteger(status.instances) ? status.instances : 0;
  if (count < 2) return "";
  const many = COUNTS[count] || String(count);
  return `${many} Pis are using one agent token, so each may miss commands. Stop one, or give it its own token (homerelay token create … --role agent).`;
}
