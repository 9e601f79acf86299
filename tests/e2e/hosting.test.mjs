// End-to-end tests of the lab as it is hosted (xtask/src/publish.rs, xtask/src/serve.rs): its
// Content-Security-Policy is in force and training works under it, the service worker serves
// the lab with the server gone, and the server answers with precompressed bytes and the
// caching policy. LAB_URL must be served by `cargo xtask serve-dist` (as `cargo xtask test`
// does); the response checks are of that server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launch, Lab, BASE } from './lab.mjs';

const RUN = '#/step/5?subset=2000&epochs=1&backend=cpu';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

// Every CSP violation the page reports, kept in the page (set before any of its scripts run).
function recordViolations() {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__violations.push(`${e.violatedDirective}: ${e.blockedURI || 'inline'}`);
  });
}

async function openLab(baseUrl, hash) {
  const context = await browser.newContext({ viewport: { width: 1300, height: 1000 } });
  await context.addInitScript(recordViolations);
  const lab = new Lab(await context.newPage());
  await lab.page.goto(baseUrl + hash);
  return lab;
}

const violations = (lab) => lab.page.evaluate(() => window.__violations);

async function trainOnce(lab) {
  await lab.dataReady();
  await lab.train();
  await lab.results(240_000);
  const acc = await lab.testAccuracy();
  assert.ok(acc > 0.4 && acc <= 1, `test accuracy ${acc}`);
}

test('the page runs under its Content-Security-Policy, with no inline script, and trains', async () => {
  const lab = await openLab(BASE, RUN);
  try {
    const policy = await lab.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(policy, /script-src 'self' 'wasm-unsafe-eval';/);
    assert.match(policy, /object-src 'none'/);
    assert.equal(await lab.page.locator('script:not([src])').count(), 0, 'no inline script');
    await trainOnce(lab);
    await lab.shot('hosting-csp');
    assert.deepEqual(await violations(lab), [], 'no CSP violation');
    assert.deepEqual(lab.errors, [], 'no console errors');
    // The policy is in force: an inline script added now is refused, and reported.
    const ran = await lab.page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.head.append(s);
      return window.__inlineRan === true;
    });
    assert.equal(ran, false, 'an inline script ran');
    await lab.page.waitForFunction(() => window.__violations.length > 0);
    assert.match((await violations(lab))[0], /^script-src/);
  } finally {
    await lab.close();
  }
});

// A server in front of LAB_URL that serves it under a sub-path (as GitHub Pages serves a
// project: https://user.github.io/repo/) and can go away, so that "offline" means no server.
async function proxy(target, prefix) {
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    if (!req.url.startsWith(prefix)) { res.writeHead(404).end(); return; }
    const path = to.pathname + req.url.slice(prefix.length);
    const up = http.request({ host: to.hostname, port: to.port, path, method: req.method,
      headers: { ...req.headers, host: to.host } }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}${prefix}`,
    close: () => new Promise((ok) => { server.close(ok); server.closeAllConnections(); }),
  };
}

test('after a first visit from a sub-path the service worker serves the lab offline, and it trains', async () => {
  const server = await proxy(BASE, '/tuning-lab/');
  const lab = await openLab(server.url, RUN);
  try {
    await lab.dataReady();
    // The worker took over this page (clients.claim) with the shell cached.
    await lab.page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', null, { timeout: 60_000 });
    const shell = await lab.page.evaluate(async () => {
      const name = (await caches.keys()).find((k) => k.startsWith('tuning-lab-shell-'));
      return (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname);
    });
    for (const file of ['index.html', 'worker.js', 'worker_bg.wasm', 'worker_loader.js']) {
      assert.ok(shell.includes(`/tuning-lab/${file}`), `${file} cached: ${shell}`);
    }
    // The WebGPU worker is kept only when it is used (this page trains on the CPU).
    assert.ok(!shell.some((p) => p.includes('worker-webgpu')), `no WebGPU worker cached: ${shell}`);
    await server.close();
    await lab.page.context().setOffline(true);
    const page = await lab.page.reload();
    assert.ok(page.fromServiceWorker(), 'the page came from the service worker');
    await trainOnce(lab);
    // Step 8's and the benchmark's code were never opened online: the service worker kept them.
    await lab.goto('#/step/8');
    await lab.testid('search-hypermodel-field').waitFor({ timeout: 10_000 });
    await lab.goto('#/bench');
    await lab.testid('bench-status').waitFor({ timeout: 10_000 });
    assert.equal(await lab.testid('page-load-error').count(), 0);
    await lab.shot('hosting-offline');
    assert.deepEqual(await violations(lab), [], 'no CSP violation');
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
    await server.close();
  }
});

// The server's answers (node's fetch asks for the encodings it is told to, and decodes them).
async function get(path, headers = {}) {
  const res = await fetch(new URL(path, BASE), { headers });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body };
}

test('the server sends precompressed wasm, the data as it is, and caches by content hash', async () => {
  const page = await (await fetch(BASE)).text();
  const pageWasm = page.match(/href="\.\/(tuning-lab-[0-9a-f]{12,16}_bg\.wasm)"/)?.[1];
  assert.ok(pageWasm, 'the page names its wasm');
  const sizes = {};
  for (const wasm of [pageWasm, 'worker_bg.wasm', 'worker-webgpu_bg.wasm']) {
    const raw = await get(wasm, { 'accept-encoding': 'identity' });
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get('content-encoding'), null);
    assert.equal(raw.headers.get('content-type'), 'application/wasm');
    assert.equal(raw.body.subarray(0, 4).toString('latin1'), '\0asm');
    sizes[wasm] = { raw: Number(raw.headers.get('content-length')) };
    for (const encoding of ['gzip', 'br']) {
      const packed = await get(wasm, { 'accept-encoding': encoding });
      assert.equal(packed.headers.get('content-encoding'), encoding, `${wasm} ${encoding}`);
      assert.equal(packed.headers.get('vary'), 'accept-encoding');
      assert.ok(packed.body.equals(raw.body), `${wasm}: the ${encoding} copy decodes to the same bytes`);
      sizes[wasm][encoding] = Number(packed.headers.get('content-length'));
      assert.ok(sizes[wasm][encoding] < sizes[wasm].raw / 2, `${wasm} ${encoding} ${sizes[wasm][encoding]}`);
    }
  }
  console.log('served wasm bytes (raw / gzip / br):', JSON.stringify(sizes));

  // Content-hashed names never change; the rest is revalidated (Last-Modified → 304).
  const hashed = await get(pageWasm);
  assert.equal(hashed.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  for (const path of ['', 'index.html', 'sw.js', 'worker_bg.wasm', 'worker_loader.js']) {
    const res = await get(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    const modified = res.headers.get('last-modified');
    assert.ok(modified, `${path} has a Last-Modified`);
    assert.equal((await get(path, { 'if-modified-since': modified })).status, 304, path);
  }

  // The data: gzip bytes, no Content-Encoding (the worker gunzips them itself).
  const data = await get('data/fashion-mnist/train-labels-idx1-ubyte.gz', { 'accept-encoding': 'gzip, br' });
  assert.equal(data.status, 200);
  assert.equal(data.headers.get('content-encoding'), null);
  assert.equal(data.headers.get('content-type'), 'application/gzip');
  assert.deepEqual([...data.body.subarray(0, 2)], [0x1f, 0x8b]);
});
