// Small DOM helpers: every piece of server text goes in through textContent, never innerHTML.

/** Create an element; string children become text nodes, so markup in them stays literal. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "className") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/** Append children (nodes, strings, numbers or nested arrays) to a node. */
export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Remove every child of a node. */
export function clear(node) {
  node.replaceChildren();
  return node;
}

/** Look an element up by id; fail loudly when the page and the code disagree. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`missing element #${id}`);
  return node;
}

/** "living_room" -> "living room": how people say room names. */
export function roomLabel(room) {
  return String(room ?? "").replaceAll("_", " ").trim();
}

/** A name for a heading or row: "living_room" -> "Living room", "tv" -> "TV". */
export function displayName(name) {
  const words = roomLabel(name);
  if (words.length <= 2) return words.toUpperCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** "living_room", "tv" -> "living room tv". */
export function deviceLabel(room, device) {
  return `${roomLabel(room)} ${roomLabel(device)}`.trim();
}

/** Parse a server timestamp; a time without a zone is UTC (the server stores UTC). */
export function parseTime(value) {
  if (!value) return null;
  let text = String(value);
  if (/^\d{4}-\d\d-\d\dT[\d:.]+$/.test(text)) text += "Z";
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 days ago". */
export function timeAgo(date, now = new Date()) {
  if (!date) return "never";
  const seconds = Math.max(0, Math.round((now - date) / 1000));
  if (seconds < 5) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} days ago`;
}

/** Local clock time, e.g. "14:05". */
export function clockTime(date) {
  return date ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}

/** "14:05" today, "27 Nov, 14:05" on another day: when something was last known. */
export function knownTime(date, now = new Date()) {
  if (!date) return "";
  if (date.toDateString() === now.toDateString()) return clockTime(date);
  return `${date.toLocaleDateString([], { day: "numeric", month: "short" })}, ${clockTime(date)}`;
}

/** Show a message in a status/alert element (empty text hides it). */
export function say(node, text, kind = "") {
  node.textContent = text || "";
  node.hidden = !text;
  node.dataset.kind = kind;
}
