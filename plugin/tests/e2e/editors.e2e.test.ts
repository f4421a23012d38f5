import type { Browser, Page } from 'playwright-core';
import { runDemo, startCollectorProcess, type CollectorProcess } from '../collectorProcess';
import { bundlePage, launchChromium, pageBundlesNoPluginSource, screenshotPath } from './browser';
import { startPageServer, type PageServer } from './pageServer';

/**
 * The plugin's editors rendered by the real @grafana/ui in headless Chromium, with their pickers
 * filled from a real collector (through a stand-in of Grafana's data source proxy: no Grafana
 * server can run here). The test drives them as a user would and reads the resulting objects.
 */
describe('plugin editors in Chromium', () => {
  let collector: CollectorProcess;
  let server: PageServer;
  let browser: Browser;
  let page: Page;

  const editors = () => page.evaluate(() => window.rpaEditors);
  const lastQuery = async () => (await editors()).query.at(-1)!;

  /** Picks `text` in a @grafana/ui Select or MultiSelect by typing it and taking the match. */
  async function pick(inputId: string, text: string): Promise<void> {
    await page.click(`#${inputId}`);
    await page.keyboard.type(text);
    await page.getByRole('option', { name: text, exact: true }).first().click();
    await page.keyboard.press('Escape');
  }

  beforeAll(async () => {
    bundlePage('editorsPage');
    collector = await startCollectorProcess();
    await runDemo(collector.url, ['--days', '2', '--end', '2026-11-20T00:00:00Z', '--truth', `${collector.dataDir}/truth.json`]);
    server = await startPageServer('editorsPage', collector.url);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.url);
    await page.waitForSelector('#rpa-query-type', { timeout: 30_000 });
    expect(errors).toEqual([]);
    // The plugin as Grafana loads it: the built module.js, its host modules from the page.
    expect(server.served).toContain('/plugin/module.js');
    expect(pageBundlesNoPluginSource('editorsPage')).toBe(true);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await collector?.stop();
  });

  it('renders the three editors with @grafana/ui', async () => {
    await page.screenshot({ path: screenshotPath('editors-initial'), fullPage: true });
    expect(await page.locator('#config-editor input').count()).toBeGreaterThanOrEqual(2);
    expect(await page.isVisible('#rpa-query-metric')).toBe(true);
    expect(await page.isVisible('#rpa-variable-kind')).toBe(true);
    // The variable editor opened on a query without a kind shows "Workflows" and saves that kind.
    expect(await page.locator('#variable-editor').innerText()).toContain('Workflows');
    expect((await editors()).variable[0]).toEqual({ refId: 'variable', kind: 'workflows' });
  });

  it('offers the collector workflows and the template variables in the workflow picker, and picks one', async () => {
    await page.click('#rpa-query-workflow');
    await page.getByRole('option', { name: 'Claims Intake', exact: true }).waitFor({ timeout: 15_000 });
    expect(await page.getByRole('option', { name: '$workflow' }).count()).toBe(1);
    await page.screenshot({ path: screenshotPath('query-editor-workflow-picker'), fullPage: true });
    await page.keyboard.press('Escape');
    await pick('rpa-query-workflow', 'Claims Intake');
    expect(await lastQuery()).toEqual({
      refId: 'A',
      queryType: 'timeseries',
      metric: 'run_duration',
      aggregation: 'p95',
      groupBy: ['workflow'],
      workflow: ['Claims Intake'],
    });
  });

  it('offers only the aggregations the collector takes for the metric, and a count or a rate of runs', async () => {
    const offered = async () => {
      await page.click('#rpa-query-aggregation');
      const names = await page.getByRole('option').allInnerTexts();
      await page.keyboard.press('Escape');
      return names.map((n) => n.trim());
    };
    expect(await offered()).toEqual(['Average', 'Min', 'Max', 'Sum', 'Count', 'p50', 'p90', 'p95', 'p99']);
    await pick('rpa-query-metric', 'Runs');
    // p95 of runs means nothing: the aggregation goes back to counting them.
    expect(await lastQuery()).toMatchObject({ metric: 'runs', aggregation: 'count' });
    expect(await offered()).toEqual(['Count', 'Rate (per minute)']);
    await pick('rpa-query-metric', 'Run duration');
    await pick('rpa-query-aggregation', 'p95');
    expect(await lastQuery()).toEqual({
      refId: 'A',
      queryType: 'timeseries',
      metric: 'run_duration',
      aggregation: 'p95',
      groupBy: ['workflow'],
      workflow: ['Claims Intake'],
    });
  });

  it('when the query type changes, then what still applies is kept and the rest dropped', async () => {
    await pick('rpa-query-type', 'Anomalies');
    expect(await lastQuery()).toEqual({ refId: 'A', queryType: 'anomalies', workflow: ['Claims Intake'] });
    expect(await page.isVisible('#rpa-query-metric')).toBe(false);
    expect(await page.isVisible('#rpa-query-min-severity')).toBe(true);
  });

  it('sets a minimum severity for anomalies', async () => {
    await page.fill('#rpa-query-min-severity', '0.7');
    await page.locator('#rpa-query-min-severity').blur();
    expect(await lastQuery()).toEqual({ refId: 'A', queryType: 'anomalies', workflow: ['Claims Intake'], minSeverity: 0.7 });
    await page.screenshot({ path: screenshotPath('query-editor-anomalies'), fullPage: true });
  });

  it('offers the Live switch only where the collector can follow changes, and turns it on', async () => {
    expect(await page.isVisible('#rpa-query-live')).toBe(false);
    await pick('rpa-query-type', 'Executions');
    await page.click('label[for="rpa-query-live"]');
    expect(await lastQuery()).toEqual({ refId: 'A', queryType: 'executions', workflow: ['Claims Intake'], live: true });
    await page.click('label[for="rpa-query-live"]');
    expect(await lastQuery()).toEqual({ refId: 'A', queryType: 'executions', workflow: ['Claims Intake'] });
  });

  it.each(['Time series', 'Host resources', 'Statistics', 'Bottlenecks', 'Anomalies', 'Incidents', 'Executions', 'Annotations'])(
    'keeps every label of the %s editor on one line',
    async (type) => {
      await pick('rpa-query-type', type);
      if (type === 'Annotations') await page.waitForSelector('#rpa-query-max-severity');
      // Each InlineField label of the query editor: the lines its text is laid out on, as the browser
      // drew them (the label box keeps its height, so a wrapped text spills over it).
      const labels = await page.evaluate(() =>
        [...document.querySelectorAll('#query-editor label')].map((label) => {
          const tops = new Set<number>();
          const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const range = document.createRange();
            range.selectNodeContents(node);
            for (const rect of range.getClientRects()) if (rect.width > 0) tops.add(Math.round(rect.top));
          }
          return { text: (label.textContent ?? '').trim(), lines: tops.size };
        }),
      );
      if (type === 'Annotations') expect(labels.map((l) => l.text)).toEqual(expect.arrayContaining(['Min severity', 'Below severity']));
      expect(labels.filter((l) => l.text && l.lines !== 1)).toEqual([]);
      if (type === 'Annotations') await page.screenshot({ path: screenshotPath('query-editor-annotations'), fullPage: true });
    },
  );

  it('takes the collector URL and keeps the token in secureJsonData', async () => {
    await page.fill('#rpa-config-collector-url', 'http://collector:5001/');
    await page.fill('#rpa-config-api-token', 'grafana-read-token-0123');
    const last = (await editors()).config.at(-1)!;
    expect(last.jsonData).toEqual({ collectorUrl: 'http://collector:5001' });
    expect(last.secureJsonData).toEqual({ apiToken: 'grafana-read-token-0123' });
    await page.screenshot({ path: screenshotPath('config-editor'), fullPage: true });
  });

  it('makes a template variable of the steps of $workflow', async () => {
    await pick('rpa-variable-kind', 'Steps');
    await pick('rpa-variable-workflow', '$workflow');
    expect((await editors()).variable.at(-1)).toEqual({ refId: 'variable', kind: 'steps', workflow: ['$workflow'] });
    await page.screenshot({ path: screenshotPath('variable-editor'), fullPage: true });
  });
});
