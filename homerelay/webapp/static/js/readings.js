// The latest reading, held once for every screen: the Dashboard writes it, the Automation screen
// reads it (so both show the same temperature).

let latest = null; // {temperature, humidity, at: Date, stale} or null (none yet, or not loaded)
let loaded = false; // the server has answered at least once (null then means "no reading yet")
const watchers = new Set();

/** The latest reading, or null. */
export function current() {
  return latest;
}

/** True once the server said what the latest reading is (even "none yet"). */
export function isLoaded() {
  return loaded;
}

/** Be told whenever the latest reading changes. */
export function watch(callback) {
  watchers.add(callback);
}

/** Set the latest reading (null: none); `known` false when nothing has been heard yet. */
export function publish(reading, known = true) {
  latest = reading;
  loaded = known;
  for (const callback of watchers) callback(latest);
}
