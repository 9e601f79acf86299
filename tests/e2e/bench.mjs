// Browser half of `cargo xtask bench`: opens #/bench on each backend and prints the figures,
// one JSON object per line.
import { launch, BASE } from './lab.mjs';

const browser = await launch();
try {
  for (const backend of ['cpu', 'webgpu']) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${BASE}#/bench?backend=${backend}`);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=bench-results]')?.dataset.count) >= 3, null, { timeout: 600_000 });
    for (const line of (await page.locator('[data-testid=bench-results]').textContent()).split('\n')) {
      if (line.trim()) console.log(line);
    }
    await page.context().close();
  }
} finally {
  await browser.close();
}
