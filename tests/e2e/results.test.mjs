// Test-set results (issue 12, items 9 and 10): the learner's success metric is marked, and the
// confusion matrix's drill-down answers fast, says "N of M", marks its cell and works from the
// keyboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, Lab } from './lab.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function withLab(hash, fn) {
  const lab = await Lab.open(browser, hash);
  try {
    await fn(lab);
    assert.deepEqual(lab.errors, [], 'no console errors');
  } finally {
    await lab.close();
  }
}

const QUICK = '#/step/5?subset=2000&epochs=1&backend=cpu';

// Clicks (or presses a key on) a cell and returns the shown text and the milliseconds it took.
async function drill(lab, cell, act) {
  const started = Date.now();
  await act(cell);
  // The previous cell's images go at once: what is shown is this cell's, or "loading…".
  const count = lab.testid('misclassified-count');
  await lab.page.waitForFunction(
    (want) => document.querySelector('[data-testid=misclassified-count]')?.textContent.includes(want),
    await cell.getAttribute('data-want'), { timeout: 10_000 });
  return { text: await count.textContent(), ms: Date.now() - started };
}

test('the drill-down of a confusion-matrix cell says "N of M", answers within 1.5 s, marks the cell and works from the keyboard', async () => {
  await withLab(QUICK, async (lab) => {
    await lab.dataReady();
    await lab.backend();
    await lab.train();
    await lab.results(300_000);
    const cells = lab.page.locator('[data-testid=confusion-matrix] td.clickable');
    assert.ok(await cells.count() >= 2, 'a 1-epoch model makes mistakes');
    // Each clickable cell knows its class names (its title) and its count (the matrix's number).
    const info = await cells.evaluateAll((tds) => tds.map((td) => ({
      count: Number(td.dataset.count), text: td.textContent.trim(), title: td.getAttribute('title'),
    })));
    for (const c of info) assert.equal(c.count, Number(c.text), `the cell shows its count: ${c.title}`);
    const big = info.findIndex((c) => c.count > 24);
    const first = big >= 0 ? big : 0;
    const second = info.findIndex((_, i) => i !== first);
    for (const i of [first, second]) {
      const m = /^true (.+) predicted as (.+): (\d+)$/.exec(info[i].title);
      assert.ok(m, info[i].title);
      await cells.nth(i).evaluate((td, want) => td.setAttribute('data-want', want), `${m[1]} predicted as ${m[2]}`);
    }

    // A click: the cell is marked and its images come with "N of M", M the matrix's count.
    const a = await drill(lab, cells.nth(first), (c) => c.click());
    assert.ok(a.ms < 1500, `the drill-down took ${a.ms} ms`);
    const m = info[first].count;
    const n = Math.min(24, m);
    assert.equal(await lab.page.locator('[data-testid=misclassified] canvas').count(), n);
    if (m > n) assert.match(a.text, new RegExp(`^${n} of ${m} test images`), a.text);
    else assert.match(a.text, m === 1 ? /^the one test image/ : new RegExp(`^all ${m} test images`), a.text);
    assert.ok(await cells.nth(first).evaluate((td) => td.classList.contains('selected')));
    assert.equal(await cells.nth(first).locator('button').getAttribute('aria-pressed'), 'true');
    assert.equal(await lab.page.locator('[data-testid=confusion-matrix] td.selected').count(), 1);

    // The keyboard: the cells are buttons; Enter on another one shows its images instead, and
    // the first cell's images are gone.
    const button = cells.nth(second).locator('button');
    await button.focus();
    assert.equal(await button.evaluate((b) => b === document.activeElement), true, 'a cell takes focus');
    const b = await drill(lab, cells.nth(second), () => lab.page.keyboard.press('Enter'));
    assert.ok(b.ms < 1500, `the drill-down took ${b.ms} ms`);
    const mb = info[second].count;
    assert.match(b.text, mb > 24 ? new RegExp(`^24 of ${mb} `) : mb === 1 ? /^the one / : new RegExp(`^all ${mb} `), b.text);
    assert.equal(await lab.page.locator('[data-testid=misclassified] canvas').count(), Math.min(24, mb));
    assert.ok(await cells.nth(second).evaluate((td) => td.classList.contains('selected')));
    assert.equal(await cells.nth(first).locator('button').getAttribute('aria-pressed'), 'false');
    // Tab reaches the next (or previous) cell's button, and Space selects it.
    const last = second === info.length - 1;
    await lab.page.keyboard.press(last ? 'Shift+Tab' : 'Tab');
    assert.ok(await lab.page.evaluate(() => document.activeElement?.classList.contains('cm-button')),
      'Tab moves between the cells\' buttons');
    await lab.page.keyboard.press(' ');
    await lab.page.waitForFunction(() => document.activeElement?.getAttribute('aria-pressed') === 'true', null, { timeout: 5_000 });
    assert.equal(await lab.page.locator('[data-testid=confusion-matrix] td.selected').count(), 1);
    await lab.testid('misclassified-count').waitFor({ timeout: 5_000 });
    await lab.shot('results-drill-down');
  });
});

test('the results mark the success metric chosen at step 2', async () => {
  await withLab('#/step/2', async (lab) => {
    await lab.testid('metric-macro_f1').check();
    await lab.goto(QUICK);
    await lab.dataReady();
    await lab.backend();
    await lab.train();
    await lab.results(300_000);
    const chosen = lab.testid('chosen-metric').first();
    assert.match(await chosen.textContent(), /your success metric/);
    // The mark is on the macro-F1 figure, not on the accuracy.
    const box = lab.page.locator('.metric.chosen').first();
    assert.equal(await box.locator('[data-testid=macro-f1]').count(), 1);
    assert.equal(await lab.page.locator('.metric.chosen [data-testid=test-accuracy]').count(), 0);
    // Back to accuracy: the mark moves with the choice.
    await lab.goto('#/step/2');
    await lab.testid('metric-accuracy').check();
    await lab.goto('#/step/5');
    await lab.results(30_000);
    assert.equal(await lab.page.locator('.metric.chosen [data-testid=test-accuracy]').count(), 1);
    assert.equal(await lab.page.locator('.metric.chosen [data-testid=macro-f1]').count(), 0);
  });
});
