// When a device was on, for the Dashboard's chart: worked out from the done commands that
// switched it (the person's and the cooling rule's alike) and the state the Pi reports now.

import { parseTime } from "./dom.js";

/** Each moment a done command switched `room`/`device`: [{at: ms, on: bool}], oldest first. */
export function switches(commands, room, device) {
  const events = [];
  for (const command of commands) {
    if (!command || command.status !== "done") continue;
    const at = parseTime(command.done_at || command.created_at);
    if (!at) continue;
    for (const action of command.actions || []) {
      if (action.room !== room || action.device !== device) continue;
      if (action.action === "on" || action.action === "off") events.push({ at: at.getTime(), on: action.action === "on" });
    }
  }
  return events.sort((a, b) => a.at - b.at);
}

/**
 * The periods [[start, end], …] (ms) between `from` and `to` when the device was on. Before the
 * first switch in the range it was the opposite of that switch; with none, as it is now. A period
 * still open ends at `to`, or at `offSince` when the Pi now reports the device off.
 */
export function onPeriods(events, from, to, stateNow, offSince = null) {
  const before = events.filter((e) => e.at <= from);
  const inside = events.filter((e) => e.at > from && e.at <= to);
  let on;
  if (before.length) on = before[before.length - 1].on;
  else if (inside.length) on = !inside[0].on;
  else on = stateNow === "on";
  const periods = [];
  let start = on ? from : null;
  for (const event of inside) {
    if (event.on && start === null) start = event.at;
    else if (!event.on && start !== null) {
      periods.push([start, event.at]);
      start = null;
    }
  }
  if (start !== null) {
    const end = stateNow === "off" && offSince ? Math.min(to, Math.max(start, offSince)) : to;
    if (end > start) periods.push([start, end]);
  }
  return periods;
}
