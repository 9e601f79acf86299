// End-to-end tests of the learning curves (src/components/chart.rs, src/chart/): hovering a
// point reads that point's epoch and the history's values in both charts, the read-out stays
// over the hovered chart, and a stopped run's epoch axis ends at the last epoch it trained.
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

// The training points as drawn (filled circles of radius 2; validation points are radius 3),
// in screen pixels, per chart: the loss chart is the SVG's left half.
async function trainingPoints(lab) {
  return lab.page.evaluate(() => {
    const svg = document.querySelector('[data-testid=history] svg');
    const box = svg.getBoundingClientRect();
    const mid = box.left + box.width / 2;
    const out = { loss: [], accuracy: [], mid };
    for (const c of svg.querySelectorAll('circle')) {
      if (Number(c.getAttribute('r')) !== 2) continue;
      const r = c.getBoundingClientRect();
      const p = { x: r.left + r.width / 2, y: r.top + r.height / 2 };
      (p.x < mid ? out.loss : out.accuracy).push(p);
    }
    out.loss.sort((a, b) => a.x - b.x);
    out.accuracy.sort((a, b) => a.x - b.x);
    return out;
  });
}

const near = (shown, expected, what) =>
  assert.ok(Math.abs(parseFloat(shown) - expected) <= 6e-5, `${what}: shows ${shown}, history has ${expected}`);

test('hovering a point reads its epoch and the history in both charts', async () => {
  await withLab('#/step/5?subset=2000&epochs=4&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await lab.train();
    await lab.results(300_000);
    assert.equal(await lab.epochs(), 4);
    // [epoch, loss, val_loss, accuracy, val_accuracy] per epoch of the current run.
    const history = JSON.parse(await lab.testid('history').getAttribute('data-history'));
    assert.deepEqual(history.map((h) => h[0]), [1, 2, 3, 4]);
    await lab.testid('history').scrollIntoViewIfNeeded();
    const points = await trainingPoints(lab);
    assert.equal(points.loss.length, 4, 'four training points on the loss chart');
    assert.equal(points.accuracy.length, 4, 'four training points on the accuracy chart');
    const tooltip = lab.testid('chart-tooltip');
    for (const chart of ['loss', 'accuracy']) {
      for (let e = 1; e <= 4; e++) {
        const { x, y } = points[chart][e - 1];
        await lab.page.mouse.move(x, y);
        await lab.page.waitForFunction(
          ([e, chart]) => {
            const t = document.querySelector('[data-testid=chart-tooltip]');
            return t?.dataset.epoch === String(e) && t.dataset.panel === chart;
          },
          [e, chart],
          { timeout: 5_000 },
        );
        assert.match(await tooltip.locator('.tooltip-head').textContent(), new RegExp(`^epoch ${e}$`));
        const rows = tooltip.locator('[data-testid=tooltip-run]');
        assert.equal(await rows.count(), 1);
        const [, loss, valLoss, accuracy, valAccuracy] = history[e - 1];
        const shown = async (key) => rows.first().locator(`[data-key=${key}] .value`).textContent();
        near(await shown('loss'), loss, `${chart} chart, epoch ${e}, loss`);
        near(await shown('val_loss'), valLoss, `${chart} chart, epoch ${e}, val_loss`);
        near(await shown('accuracy'), accuracy, `${chart} chart, epoch ${e}, accuracy`);
        near(await shown('val_accuracy'), valAccuracy, `${chart} chart, epoch ${e}, val_accuracy`);
        // The read-out stays over the hovered chart: it never covers the other one.
        const box = await tooltip.boundingBox();
        if (chart === 'loss') assert.ok(box.x + box.width <= points.mid + 1, `loss read-out ends at ${box.x + box.width}, the accuracy chart starts at ${points.mid}`);
        else assert.ok(box.x >= points.mid - 1, `accuracy read-out starts at ${box.x}, the loss chart ends at ${points.mid}`);
        if (chart === 'loss' && e === 4) await lab.shot('chart-hover');
      }
    }
    // Between the two charts: the last epoch of the loss chart, not a blank.
    await lab.page.mouse.move(points.mid - 3, points.loss[3].y);
    await lab.page.waitForFunction(() => document.querySelector('[data-testid=chart-tooltip]')?.dataset.epoch === '4', null, { timeout: 5_000 });
    // The axis ends at the 4 epochs trained, its last tick labelled 4.
    assert.equal(await lab.testid('history').getAttribute('data-axis-epochs'), '4');
    assert.equal(await lab.testid('history').getAttribute('data-ticks'), '1,2,3,4');
    await lab.page.mouse.move(2, 2);
    await tooltip.waitFor({ state: 'detached', timeout: 5_000 });
  });
});

test("a stopped run's epoch axis ends at its last epoch", async () => {
  await withLab('#/step/6?subset=20000&epochs=40&backend=cpu', async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await lab.train();
    await lab.waitEpochs(1);
    // While it trains, the axis keeps room for the 40 epochs asked for.
    assert.equal(await lab.testid('history').getAttribute('data-axis-epochs'), '40');
    await lab.testid('stop').click();
    await lab.page.waitForFunction(() => /stopped by you/.test(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, { timeout: 10_000 });
    await lab.page.waitForFunction(() => !document.querySelector('[data-testid=train]').disabled, null, { timeout: 60_000 });
    const epochs = await lab.epochs();
    assert.ok(epochs >= 1 && epochs < 40, `${epochs} epochs trained`);
    assert.equal(Number(await lab.testid('history').getAttribute('data-axis-epochs')), epochs);
    const ticks = (await lab.testid('history').getAttribute('data-ticks')).split(',').map(Number);
    assert.equal(ticks.at(-1), epochs, `ticks ${ticks}`);
    // The drawn tick labels: the last epoch is there, the 40 configured are not.
    const labels = await lab.page.evaluate(() =>
      [...document.querySelectorAll('[data-testid=history] svg text')].map((t) => t.textContent.trim()));
    assert.ok(labels.includes(String(epochs)), `labels ${labels}`);
    assert.ok(!labels.includes('40'), `labels ${labels}`);
    await lab.shot('chart-stopped-axis');
  });
});
