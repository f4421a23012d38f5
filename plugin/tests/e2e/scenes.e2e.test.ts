import type { Browser, Page } from 'playwright-core';
import type { GroundTruth } from '../../../backend/src/sim/simulator';
import { type CollectorProcess, startSimulatedCollector } from '../collectorProcess';
import { bundlePage, launchChromium, pageBundlesNoPluginSource, screenshotPath } from './browser';
import { startPageServer, type PageServer } from './pageServer';

const END = '2026-11-20T00:00:00Z';

/**
 * Grafana's own query machinery, @grafana/scenes, drives the plugin in headless Chromium: a
 * SceneQueryRunner panel, a QueryVariable and an annotations data layer, against a real
 * collector filled by the simulator.
 */
describe('the plugin inside a @grafana/scenes dashboard', () => {
  let collector: CollectorProcess;
  let truth: GroundTruth;
  let server: PageServer;
  let browser: Browser;
  let page: Page;

  const panel = () => page.locator('[data-testid="runs-panel"]');
  const seriesNames = async () => (await page.locator('[data-testid="series-names"]').textContent())!.split('|').filter(Boolean).sort();

  beforeAll(async () => {
    bundlePage('scenesPage');
    ({ collector, truth } = await startSimulatedCollector(['--seed', '1', '--days', '7', '--end', END]));
    server = await startPageServer('scenesPage', collector.url);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}?from=${new Date(truth.from).toISOString()}&to=${END}`);
    await page.waitForSelector('[data-testid="runs-panel"][data-series]:not([data-series="0"])', { timeout: 60_000 });
    expect(errors).toEqual([]);
    // The plugin as Grafana loads it: the built module.js, its host modules from the page.
    expect(server.served).toContain('/plugin/module.js');
    expect(pageBundlesNoPluginSource('scenesPage')).toBe(true);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await collector?.stop();
  });

  it('gives the SceneQueryRunner panel one series per workflow while the variable is All', async () => {
    expect(await panel().getAttribute('data-state')).toBe('Done');
    expect(await seriesNames()).toEqual(truth.workflows.map((w) => w.name).sort());
    await page.screenshot({ path: screenshotPath('scenes-dashboard-all'), fullPage: true });
  });

  it('fills the QueryVariable with the workflows from the plugin', async () => {
    const options = await page.evaluate(() => window.rpaScene.variable.state.options.map((o) => o.value));
    expect([...options].sort()).toEqual(truth.workflows.map((w) => w.name).sort());
  });

  it('when two workflows are selected, then the panel narrows to them', async () => {
    const chosen = truth.workflows.slice(0, 2).map((w) => w.name);
    await page.evaluate((values) => window.rpaScene.variable.changeValueTo(values), chosen);
    await page.waitForFunction((n) => document.querySelector('[data-testid="runs-panel"]')?.getAttribute('data-series') === String(n), chosen.length, {
      timeout: 30_000,
    });
    expect(await seriesNames()).toEqual([...chosen].sort());
    await page.screenshot({ path: screenshotPath('scenes-dashboard-two-workflows'), fullPage: true });
  });

  it('when the variable goes back to All, then the panel asks with no workflow filter and shows every workflow', async () => {
    const seriesCount = (n: number) =>
      page.waitForFunction((count) => document.querySelector('[data-testid="runs-panel"]')?.getAttribute('data-series') === String(count), n, {
        timeout: 30_000,
      });
    // From one workflow...
    await page.evaluate((name) => window.rpaScene.variable.changeValueTo([name]), truth.workflows[0].name);
    await seriesCount(1);
    // ...back to All: the requests the page sends for the panel from then on.
    const sent: Array<{ targets: Array<{ workflow?: string[] }> }> = [];
    const onRequest = (request: import('playwright-core').Request) => {
      if (request.method() === 'POST' && /\/query$/.test(new URL(request.url()).pathname)) sent.push(request.postDataJSON());
    };
    page.on('request', onRequest);
    try {
      await page.evaluate(() => window.rpaScene.variable.changeValueTo(['$__all']));
      await seriesCount(truth.workflows.length);
    } finally {
      page.off('request', onRequest);
    }
    expect(sent.length).toBeGreaterThan(0);
    for (const body of sent) for (const target of body.targets) expect(target.workflow).toBeUndefined();
    expect(await seriesNames()).toEqual(truth.workflows.map((w) => w.name).sort());
  });

  it('shows the injected latency spike as an annotation region from the annotations data layer', async () => {
    const spike = truth.incidents.find((i) => i.kind === 'latency_spike')!;
    await page.waitForSelector('[data-testid="annotation-regions"] li', { timeout: 30_000 });
    const regions = await page
      .locator('[data-testid="annotation-regions"] li')
      .evaluateAll((items) =>
        items.map((li) => ({ time: Number(li.getAttribute('data-time')), timeEnd: Number(li.getAttribute('data-time-end')), text: li.textContent ?? '' })),
      );
    const overSpike = regions.filter((r) => r.time < spike.end! && r.timeEnd >= spike.start && r.timeEnd > r.time);
    expect(overSpike.length).toBeGreaterThan(0);
    expect(overSpike[0].text).toMatch(/anomaly, severity (0\.[7-9]\d|1\.00)/);
  });
});
