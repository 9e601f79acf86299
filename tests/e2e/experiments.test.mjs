// End-to-end tests of the guided experiments under the run panel of step 6: the learning-rate
// experiment trains its variants one after the other as the step's runs (one legend item per
// variant, named with its learning rate), says what to look for once they trained, and Stop
// during a variant ends it and cancels the rest of the queue.
// Short runs: the URL's subset and epochs make the experiment as short (CPU backend).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, Lab } from './lab.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function withLab(hash, fn) {
  const lab = await Lab.open(browser, hash);
  lab.page.on('dialog', (d) => d.accept()); // "leave the page?" while a run is in progress
  try {
    await fn(lab);
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
}

const RUN = 'experiment-learning-rate-run';
const STOP = 'experiment-learning-rate-stop';
const STATUS = 'experiment-learning-rate-status';

const disabledIs = (lab, id, disabled, timeout = 60_000) =>
  lab.page.waitForFunction(([id, d]) => document.querySelector(`[data-testid="${id}"]`)?.disabled === d,
    [id, disabled], { timeout });

const statusMatches = (lab, re, timeout) =>
  lab.page.waitForFunction(([id, src]) => new RegExp(src).test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
    [STATUS, re.source], { timeout });

const legend = (lab) => lab.page.$$eval('[data-testid=legend-item]', (els) => els.map((e) => e.textContent));

test('the learning-rate experiment trains one run per rate, each named by its lr, then says what to look for', async () => {
  await withLab('#/step/6?subset=2000&epochs=1&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await lab.testid('experiments').waitFor();
    assert.equal(await lab.testid('experiment-learning-rate-cost').textContent(), '6 runs × 1 epoch on 2,000 images');
    assert.equal(await lab.testid('experiment-learning-rate-look-for').count(), 0, 'nothing to look for before it ran');
    await disabledIs(lab, RUN, false);
    assert.equal(await lab.testid(STOP).isDisabled(), true, 'Stop waits for the experiment');
    assert.equal(await lab.testid('experiments-blocked').count(), 0);

    await lab.testid(RUN).click();
    // One experiment at a time: Run is disabled, with the reason, while it trains.
    await disabledIs(lab, RUN, true, 5_000);
    await lab.testid('experiments-blocked').waitFor({ timeout: 5_000 });
    assert.match(await lab.testid('experiments-blocked').textContent(), /in progress/);
    assert.equal(await lab.testid('experiment-batch-size-run').isDisabled(), true);

    await lab.testid('experiment-learning-rate-look-for').waitFor({ timeout: 300_000 });
    assert.match(await lab.testid(STATUS).textContent(), /^All 6 variants trained: runs (\d+, ){4}\d+ and \d+ in the chart above\.$/);
    await disabledIs(lab, RUN, false, 5_000);
    assert.equal(await lab.testid(STOP).isDisabled(), true);

    // The six runs are this step's, overlaid in its chart, told apart by their learning rate.
    const items = await legend(lab);
    assert.equal(items.length, 6, items.join('\n'));
    for (const lr of ['1e-4', '1e-3', '0.01', '0.1', '10']) {
      const fixed = items.filter((t) => t.includes(`· lr ${lr} · batch 512 · subset 2000 ·`));
      assert.equal(fixed.length, 1, `one run with lr ${lr}:\n${items.join('\n')}`);
    }
    const plateau = items.filter((t) => t.includes('· lr 0.01 · batch 512 · ReduceLROnPlateau · subset 2000 ·'));
    assert.equal(plateau.length, 1, `one run with ReduceLROnPlateau:\n${items.join('\n')}`);
    await lab.shot('experiments-learning-rate');
  });
});

test('Stop during the second variant ends it and cancels the rest of the experiment', async () => {
  await withLab('#/step/6?subset=2000&epochs=30&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await disabledIs(lab, RUN, false);
    assert.equal(await lab.testid('experiment-learning-rate-cost').textContent(), '6 runs × 30 epochs on 2,000 images');
    await lab.testid(RUN).click();
    await statusMatches(lab, /^Training variant 1 of 6: lr 1e-4/, 10_000);
    await statusMatches(lab, /^Training variant 2 of 6: lr 1e-3/, 240_000);
    await disabledIs(lab, STOP, false, 5_000);
    await lab.testid(STOP).click();

    await statusMatches(lab, /^Stopped during variant 2 of 6 \(lr 1e-3\)\. The 4 after it were not trained\.$/, 5_000);
    await lab.page.waitForFunction(() => /stopped by you/.test(document.querySelector('[data-testid=run-status]')?.textContent ?? ''),
      null, { timeout: 60_000 });
    await disabledIs(lab, RUN, false, 10_000);
    assert.equal(await lab.testid(STOP).isDisabled(), true);
    assert.equal(await lab.testid('train').isDisabled(), false, 'the step can train again');
    // Nothing more starts: the queue was cancelled.
    await lab.page.waitForTimeout(3_000);
    const items = await legend(lab);
    assert.equal(items.length, 2, items.join('\n'));
    assert.match(items[0], /· lr 1e-4 · batch 512 · subset 2000 · 30 epochs$/);
    assert.match(items[1], /· lr 1e-3 · batch 512 · subset 2000 · stopped by you after \d+\/30 epochs$/);
    assert.match(await lab.testid(STATUS).textContent(), /^Stopped during variant 2/);
    assert.equal(await lab.testid('experiment-learning-rate-look-for').count(), 0);
    await lab.shot('experiments-stopped');
  });
});
