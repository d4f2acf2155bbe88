// The confirmation dialog: asks before a command that the server will only run with a yes
// (a garage door, an oven, "turn on everything", terminate). One accessible <dialog>.

import { byId, clear, deviceLabel, h } from "./dom.js";

/** Thrown (and caught by the callers) when the person answers Cancel: nothing was sent. */
export class Declined extends Error {
  constructor() {
    super("Cancelled: nothing was sent.");
    this.name = "Declined";
  }
}

const VERBS = {
  servo: { on: "Open", off: "Close" },
  default: { on: "Turn on", off: "Turn off" },
};

function verb(action, kindOf) {
  const words = VERBS[kindOf(action.room, action.device)] || VERBS.default;
  return words[action.action] || "Switch";
}

/**
 * The question for a 409 `confirmation_required`: `{title, accept, items}`. One action: "Open the
 * garage door?" / "Open". Several: "Turn on 10 devices?" and each of them listed. Terminate:
 * "Stop the Pi agent?". `kindOf(room, device)` gives a device's kind (a servo opens and closes).
 */
export function question(body, text, kindOf = () => "") {
  const actions = Array.isArray(body.actions) ? body.actions.filter((a) => a && a.device) : [];
  if (body.intent === "terminate" || (!actions.length && /\bterminate\b/i.test(text))) {
    return { title: "Stop the Pi agent?", accept: "Stop", items: [] };
  }
  if (!actions.length) return { title: `Send “${text}”?`, accept: "Send", items: [] };
  const line = (a) => `${verb(a, kindOf)} the ${deviceLabel(a.room, a.device)}`;
  if (actions.length === 1) {
    const word = verb(actions[0], kindOf);
    return { title: `${line(actions[0])}?`, accept: word, items: [] };
  }
  // "Turn on 10 devices?" even when one of them is a door that opens: each line says its own verb.
  const kinds = new Set(actions.map((a) => a.action));
  const word = kinds.size === 1 ? VERBS.default[[...kinds][0]] || "Switch" : "Switch";
  // The server's one long sentence reads better as a list: one line per device.
  return { title: `${word} ${actions.length} devices?`, accept: word, items: actions.map(line), body: "This will:" };
}

/** Ask; resolve true when the person accepts, false on Cancel or Escape. */
export function ask({ title, body, items = [], accept }) {
  const dialog = byId("confirm-dialog");
  byId("confirm-title").textContent = title;
  // `homerelay agent …` in the server's sentence is a command to type: shown as code, still as text.
  const paragraph = clear(byId("confirm-body"));
  String(body || "").split("`").forEach((part, index) => paragraph.append(index % 2 ? h("code", { text: part }) : part));
  byId("confirm-body").hidden = !body;
  const list = clear(byId("confirm-items"));
  for (const item of items) list.append(h("li", { text: item }));
  list.hidden = items.length === 0;
  byId("confirm-accept").textContent = accept;
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "accept"), { once: true });
    dialog.showModal();
    byId("confirm-cancel").focus(); // a door or an oven: the safe answer is the default one
  });
}
