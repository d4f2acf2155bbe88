// The app token: taken from a `#token=...` sign-in link or the form, kept in localStorage.

const STORAGE_KEY = "homerelay.token";

/** The stored token, or "" when signed out. */
export function token() {
  try {
    return localStorage.getItem(STORAGE_KEY) || "";
  } catch (error) {
    return ""; // storage disabled (private mode): the user signs in for this page only
  }
}

/** Keep a token for the next visits. */
export function store(value) {
  try {
    localStorage.setItem(STORAGE_KEY, value);
  } catch (error) {
    /* storage disabled: nothing to keep it in */
  }
}

/** Forget the token (sign out, or the server refused it). */
export function forget() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch (error) {
    /* nothing stored */
  }
}

/**
 * Take a token out of the address bar (`/#token=...`, as `homerelay demo` prints), so that it
 * does not linger in history or get shared with a screenshot; return it, or "" if there is none.
 */
export function takeTokenFromUrl() {
  const hash = window.location.hash.replace(/^#/, "");
  const params = new URLSearchParams(hash);
  const value = (params.get("token") || "").trim();
  if (!value) return "";
  history.replaceState(null, "", window.location.pathname + window.location.search);
  return value;
}
