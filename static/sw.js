// Tuning Lab's service worker: after a first visit the lab works offline.
//
// This is a template: `cargo xtask dist` (xtask/src/publish.rs) writes it to dist/sw.js with
// VERSION, a hash of the built files, SHELL, the app shell's files, kept at install, and
// ON_USE, the training workers' files (one worker per backend: the page starts only the one it
// trains on), kept the first time they are used. A new deployment thus gets a new cache; the
// old one is deleted when the new worker takes over. All URLs are relative to this file, so
// the lab works from a sub-path (https://user.github.io/repo/).

const VERSION = 'unbuilt';
const SHELL = [/* SHELL_FILES */];
const ON_USE = [/* ON_USE_FILES */];
const SHELL_CACHE = `tuning-lab-shell-${VERSION}`;
// The training worker keeps the four data files in this cache itself (src/worker/download.rs),
// and only once they have decoded; this worker only reads it.
const DATA_CACHE = 'tuning-lab-data-v1';

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    // 'no-cache': revalidated with the server, never a stale copy from the HTTP cache.
    await cache.addAll(SHELL.map((file) => new Request(file, { cache: 'no-cache' })));
    // Take over at once: the next load gets the new deployment.
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('tuning-lab-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    }
    // Control the page of the first visit too (and the training worker it starts later).
    await self.clients.claim();
    // A training worker the page started before this took control: its files are in the
    // HTTP cache, from where they are kept now (nothing is downloaded for it).
    const cache = await caches.open(SHELL_CACHE);
    for (const file of ON_USE) {
      try {
        const url = new URL(file, self.location);
        if (await cache.match(url)) continue;
        const cached = await fetch(url, { cache: 'only-if-cached', mode: 'same-origin' });
        if (cached.ok) await cache.put(url, cached);
      } catch (e) {
        // Not in the HTTP cache: it is kept when it is used.
      }
    }
  })());
});

// The lab's folder, e.g. '/repo/'.
const BASE = new URL('./', self.location).pathname;

async function fromCache(cacheName, key, request) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(key, { ignoreVary: true });
  return hit ?? fetch(request);
}

// A training worker's file: from the cache, else from the network and kept for next time.
async function keptOnUse(key, request) {
  const cache = await caches.open(SHELL_CACHE);
  const hit = await cache.match(key, { ignoreVary: true });
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(key, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin
      || !url.pathname.startsWith(BASE)) return;
  const path = url.pathname.slice(BASE.length);
  if (path === '' || path === 'index.html') {
    // The page, whatever its #/step/... route: cache first, like its files, so that the
    // page and the files it loads are always of the same deployment.
    event.respondWith(fromCache(SHELL_CACHE, new URL('./index.html', self.location), request));
  } else if (SHELL.includes(`./${path}`)) {
    event.respondWith(fromCache(SHELL_CACHE, new URL(`./${path}`, self.location), request));
  } else if (ON_USE.includes(`./${path}`)) {
    event.respondWith(keptOnUse(new URL(`./${path}`, self.location), request));
  } else if (path.startsWith('data/')) {
    // Cache first: Fashion-MNIST never changes, and a cached copy is one the worker decoded.
    event.respondWith(fromCache(DATA_CACHE, request, request));
  }
  // Anything else (a data folder of the learner's choice, ...) goes to the network as usual.
});
