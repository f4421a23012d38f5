import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { GroundTruth } from '../../../backend/src/sim/simulator';
import { type CollectorProcess, startSimulatedCollector } from '../collectorProcess';
import { bundlePage, launchChromium, pageBundlesNoPluginSource, screenshotPath } from './browser';
import { startPageServer, type PageServer } from './pageServer';

const END = '2026-11-20T00:00:00Z';
const WIDTH = 1600;
const DASHBOARDS = fs.readdirSync(path.resolve(__dirname, '../../../provisioning/dashboards/rpa')).map((f) => path.basename(f, '.json'));

/** A text box the reader sees: its panel, its text, where it is drawn and its font size. */
interface TextBox {
  panel: string;
  text: string;
  left: number;
  top: number;
  right: number;
  bottom: number;
  fontSize: number;
}

/**
 * Every provisioned dashboard drawn at 1600 px wide in headless Chromium, with the built plugin
 * against a real collector filled by the simulator, checked for what makes a page illegible:
 * panels without data or with errors, text drawn outside its panel, text drawn over other text,
 * text too small to read. A screenshot of each lands in test-artifacts/screenshots.
 */
describe('the provisioned dashboards, drawn at 1600 px', () => {
  let collector: CollectorProcess;
  let truth: GroundTruth;
  let server: PageServer;
  let browser: Browser;

  beforeAll(async () => {
    bundlePage('dashboardsPage');
    ({ collector, truth } = await startSimulatedCollector(['--seed', '1', '--days', '7', '--end', END]));
    server = await startPageServer('dashboardsPage', collector.url);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await collector?.stop();
  });

  /** The page of one dashboard once every panel has answered (live ones stream). */
  async function open(dashboard: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}?dashboard=${dashboard}&from=${new Date(truth.from).toISOString()}&to=${END}`);
    await page
      .waitForFunction(
        () => {
          const panels = [...document.querySelectorAll('[data-viz-panel-key]')];
          const contents = [...document.querySelectorAll('[data-testid="panel-content"]')];
          return (
            panels.length > 0 &&
            contents.length === panels.length &&
            contents.every((c) => ['Done', 'Streaming', 'Error'].includes(c.getAttribute('data-state') ?? ''))
          );
        },
        undefined,
        { timeout: 60_000 },
      )
      .catch(async (error: Error) => {
        // Which panels never answered, and what the page said.
        const states = await page
          .locator('[data-viz-panel-key]')
          .evaluateAll((all) =>
            all.map(
              (p) =>
                `${p.querySelector('h2')?.textContent}: ${p.querySelector('[data-testid="panel-content"]')?.getAttribute('data-state') ?? p.textContent?.slice(0, 200)}`,
            ),
          );
        throw new Error(`${error.message}\n${states.join('\n')}\n${errors.join('\n')}`);
      });
    // Let charts and tables lay out at their final size.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    return { page, errors };
  }

  /** The text boxes of each panel that are not clipped away (a table's rows scrolled out of view). */
  async function textBoxes(page: Page): Promise<Array<TextBox & { panelBox: { left: number; top: number; right: number; bottom: number } }>> {
    return page.evaluate(() => {
      const out: Array<TextBox & { panelBox: { left: number; top: number; right: number; bottom: number } }> = [];
      for (const panel of document.querySelectorAll<HTMLElement>('[data-viz-panel-key]')) {
        const panelRect = panel.getBoundingClientRect();
        const title = panel.querySelector('h2')?.textContent ?? panel.getAttribute('data-viz-panel-key') ?? '';
        const walker = document.createTreeWalker(panel, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const text = node.textContent?.trim();
          if (!text) continue;
          const element = node.parentElement!;
          const style = getComputedStyle(element);
          if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0) continue;
          const range = document.createRange();
          range.selectNodeContents(node);
          let box = range.getBoundingClientRect();
          if (box.width === 0 || box.height === 0) continue;
          // Clipped by a scrolling or clipping ancestor inside the panel: only what is left shows.
          let clip = { left: box.left, top: box.top, right: box.right, bottom: box.bottom };
          // Up to the panel, not the panel itself: text past its edge must count as outside it.
          for (let a: HTMLElement | null = element; a && a !== panel; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
            const r = a.getBoundingClientRect();
            clip = {
              left: Math.max(clip.left, r.left),
              top: Math.max(clip.top, r.top),
              right: Math.min(clip.right, r.right),
              bottom: Math.min(clip.bottom, r.bottom),
            };
          }
          if (clip.right - clip.left < 1 || clip.bottom - clip.top < 1) continue;
          box = new DOMRect(clip.left, clip.top, clip.right - clip.left, clip.bottom - clip.top);
          out.push({
            panel: title,
            text,
            left: box.left,
            top: box.top + window.scrollY,
            right: box.right,
            bottom: box.bottom + window.scrollY,
            fontSize: parseFloat(style.fontSize),
            panelBox: { left: panelRect.left, top: panelRect.top + window.scrollY, right: panelRect.right, bottom: panelRect.bottom + window.scrollY },
          });
        }
      }
      return out;
    });
  }

  it.each(DASHBOARDS)('%s: every panel answers with data, and no text is cut off, overlaps other text or is too small', async (dashboard) => {
    const { page, errors } = await open(dashboard);
    try {
      await page.screenshot({ path: screenshotPath(`dashboard-${dashboard}`), fullPage: true });
      expect(errors).toEqual([]);
      expect(pageBundlesNoPluginSource('dashboardsPage')).toBe(true);
      expect(server.served).toContain('/plugin/module.js');
      // Read in one go once every panel has answered: a live panel that queries again shows
      // Loading for a moment, so its state is polled for, not read once after the page settled.
      const snapshot = await page.waitForFunction(
        () => {
          const all = [...document.querySelectorAll('[data-viz-panel-key]')].map((p) => {
            const content = p.querySelector('[data-testid="panel-content"]')!;
            return {
              panel: p.querySelector('h2')?.textContent ?? '',
              state: content.getAttribute('data-state'),
              errors: content.getAttribute('data-errors'),
              shown: Number(content.getAttribute('data-shown')),
            };
          });
          return all.every((p) => ['Done', 'Streaming', 'Error'].includes(p.state ?? '')) && all;
        },
        undefined,
        { timeout: 60_000 },
      );
      const panels = (await snapshot.jsonValue()) as Array<{ panel: string; state: string | null; errors: string | null; shown: number }>;
      const stats = await page
        .locator('[data-viz-panel-key]:has([data-testid="panel-content"] [data-testid="stat"])')
        .evaluateAll((all) => all.map((p) => p.querySelector('h2')?.textContent ?? ''));
      // Every panel shows values (the GPU panel none: the simulated hosts have no GPU, as it says).
      for (const p of panels)
        expect({ ...p, shown: p.shown > 0 }).toEqual({
          panel: p.panel,
          state: p.state === 'Streaming' ? 'Streaming' : 'Done',
          errors: '',
          shown: p.panel !== 'GPU',
        });

      const boxes = await textBoxes(page);
      // A stat in percent is a share (the sum of a week's hourly rates read 32098%).
      const statPercents = boxes.filter((b) => stats.includes(b.panel) && /^[\d.]+$/.test(b.text) && boxes.some((u) => u.panel === b.panel && u.text === '%'));
      for (const b of statPercents) expect({ panel: b.panel, within: Number(b.text) >= 0 && Number(b.text) <= 100 }).toEqual({ panel: b.panel, within: true });
      expect(boxes.length).toBeGreaterThan(panels.length);
      const outside = boxes.filter(
        (b) => b.left < b.panelBox.left - 1 || b.right > b.panelBox.right + 1 || b.top < b.panelBox.top - 1 || b.bottom > b.panelBox.bottom + 1,
      );
      expect(outside.map((b) => `${b.panel}: ${b.text}`)).toEqual([]);
      const small = boxes.filter((b) => b.fontSize < 11);
      expect(small.map((b) => `${b.panel}: ${b.text} (${b.fontSize}px)`)).toEqual([]);
      // Two boxes overlap when they share more than 2 px each way (line boxes of one font touch).
      const overlapping: string[] = [];
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i], boxes[j]];
          const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (x > 2 && y > 2) overlapping.push(`${a.panel}: '${a.text}' over '${b.text}'`);
        }
      }
      expect(overlapping).toEqual([]);
      // Charts (canvases: their axis labels are drawn in them) stay inside their panel, and no text is drawn over them.
      const charts = await page.locator('[data-viz-panel-key] canvas').evaluateAll((all) =>
        all.map((c) => {
          const r = c.getBoundingClientRect();
          const p = c.closest('[data-viz-panel-key]')!.getBoundingClientRect();
          return {
            panel: c.closest('[data-viz-panel-key]')!.querySelector('h2')?.textContent ?? '',
            left: r.left,
            right: r.right,
            top: r.top + window.scrollY,
            bottom: r.bottom + window.scrollY,
            inside: r.left >= p.left - 1 && r.right <= p.right + 1 && r.top >= p.top - 1 && r.bottom <= p.bottom + 1,
          };
        }),
      );
      expect(charts.filter((c) => !c.inside).map((c) => c.panel)).toEqual([]);
      const overCharts = boxes.filter((b) =>
        charts.some((c) => Math.min(b.right, c.right) - Math.max(b.left, c.left) > 2 && Math.min(b.bottom, c.bottom) - Math.max(b.top, c.top) > 2),
      );
      expect(overCharts.map((b) => `${b.panel}: '${b.text}'`)).toEqual([]);
      // Tables: headers whole; short values (times, names, counts, ids) whole; long texts
      // (titles, recommendations, errors) cut only after 200 px, with the whole text a hover away.
      const cut = await page.evaluate(
        (long) => {
          const out: string[] = [];
          // Cut when a text of it runs past the room inside its padding (an ellipsis paints over the
          // rest), or its own element is narrower than the text; within half a pixel.
          const truncated = (e: Element) => {
            const box = e.getBoundingClientRect();
            const right = box.right - parseFloat(getComputedStyle(e).paddingRight) + 0.5;
            const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const range = document.createRange();
              range.selectNodeContents(node);
              const parent = node.parentElement!;
              if (range.getBoundingClientRect().right > right || parent.scrollWidth > parent.clientWidth) return true;
            }
            return false;
          };
          for (const t of document.querySelectorAll('[role="table"]')) {
            const panel = t.closest('[data-viz-panel-key]')?.querySelector('h2')?.textContent;
            const heads = [...t.querySelectorAll('[role="columnheader"]')];
            // Every column in view: none pushed past the panel's right edge (a sideways scroll).
            const right = t.closest('[data-viz-panel-key]')!.getBoundingClientRect().right;
            for (const h of heads) if (h.getBoundingClientRect().right > right + 1) out.push(`${panel}: column ${h.textContent} out of view`);
            for (const h of heads) if (truncated(h)) out.push(`${panel}: header ${h.textContent}`);
            const names = heads.map((h) => h.textContent ?? '');
            for (const row of [...t.querySelectorAll('[role="row"]')].slice(1)) {
              [...row.querySelectorAll('[role="cell"]')].forEach((cell, i) => {
                if (long.includes(names[i])) {
                  if ((cell as HTMLElement).clientWidth < 200) out.push(`${panel}: ${names[i]} ${(cell as HTMLElement).clientWidth} px wide`);
                } else if (truncated(cell)) out.push(`${panel}: ${names[i]} '${cell.textContent}'`);
              });
            }
          }
          return [...new Set(out)];
        },
        ['Title', 'Recommendation', 'Recommended action', 'Error', 'Top error', 'Expected impact', 'Description', 'Workflows'],
      );
      expect(cut).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
