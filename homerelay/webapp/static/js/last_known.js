// The last known state, kept in localStorage so that the screens are not blank when the server
// cannot be reached. One record for one home: another token never reads it, sign-out removes it.

const STORAGE_KEY = "homerelay.lastKnown";
const VERSION = 1; // a record written by another version of the app is dropped, not guessed at

/**
 * A short fingerprint of a token (two FNV-1a lanes, 64 bits): it tells homes apart without
 * keeping a second copy of the token. Not for secrecy: the token itself sits beside it.
 */
export function homeOf(token) {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < token.length; i += 1) {
    const code = token.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193);
    b = Math.imul(b ^ code, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

function read() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) || "null");
  } catch (error) {
    return null; // storage disabled, or a damaged record: as if nothing were kept
  }
}

/** What was kept for this token's home: `{at: Date, parts: {name: JSON}}`, or null. */
export function load(token) {
  const record = read();
  if (!record || record.version !== VERSION || record.home !== homeOf(token)) return null;
  const at = new Date(record.at);
  if (Number.isNaN(at.getTime()) || !record.parts || typeof record.parts !== "object") return null;
  return { at, parts: record.parts };
}

/** Keep the screens' state for this token's home, as known at `at`; replaces any other home's. */
export function save(token, at, parts) {
  const record = { version: VERSION, home: homeOf(token), at: at.toISOString(), parts };
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(record));
  } catch (error) {
    // Full or disabled storage only costs the offline view, never the live one.
    console.warn("homerelay: last known state not kept", error);
  }
}

/** Remove what was kept (sign-out, or another home signs in). */
export function forget() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch (error) {
    /* nothing stored */
  }
}
