// Service worker: keeps the app shell for offline use. The API is never cached: its requests
// are not even looked at, so live state always comes from the server or not at all (the page
// keeps its own last known state, marked as such: js/last_known.js).

const CACHE = "homerelay-shell-v5";
const SHELL = [
  "/",
  "/manifest.webmanifest",
  "/assets/css/app.css",
  "/assets/js/agent.js",
  "/assets/js/app.js",
  "/assets/js/api.js",
  "/assets/js/auth.js",
  "/assets/js/chart.js",
  "/assets/js/confirm.js",
  "/assets/js/dom.js",
  "/assets/js/last_known.js",
  "/assets/js/limits.js",
  "/assets/js/live.js",
  "/assets/js/private_voice.js",
  "/assets/js/recorder_worklet.js",
  "/assets/js/periods.js",
  "/assets/js/readings.js",
  "/assets/js/screens/automation.js",
  "/assets/js/screens/command.js",
  "/assets/js/screens/dashboard.js",
  "/assets/js/screens/devices.js",
  "/assets/vendor/uPlot.esm.js",
  "/assets/vendor/uPlot.min.css",
  "/assets/icons/icon.svg",
  "/assets/icons/icon-192.png",
  "/assets/icons/icon-512.png",
  "/assets/icons/icon-maskable-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

/** The shell's own files: the page itself and /assets/ (never /api/, /healthz or legacy routes). */
function isShell(url, request) {
  if (url.origin !== self.location.origin || request.method !== "GET") return false;
  if (request.mode === "navigate") return url.pathname === "/" || url.pathname === "/index.html";
  return url.pathname === "/manifest.webmanifest" || url.pathname.startsWith("/assets/");
}

// Network first, so a new release shows at once; the cached copy only when the network fails.
async function networkFirst(request, cacheKey) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(cacheKey, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(cacheKey, { ignoreSearch: true });
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (!isShell(url, event.request)) return; // the browser fetches it as if we were not here
  const cacheKey = event.request.mode === "navigate" ? "/" : url.pathname;
  event.respondWith(networkFirst(event.request, cacheKey));
});
