import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const ROOT = path.resolve(__dirname, '../../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

/** Debian's Chromium (browser downloads cannot work here), headless, with no network of its own; Playwright gives it a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!fs.existsSync(executablePath)) {
    throw new Error(`Chromium not found at ${executablePath}: apt-get install -y --no-install-recommends chromium (see README)`);
  }
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/** Bundles a test page from plugin/tests/e2e into test-artifacts/e2e-pages. */
export function bundlePage(entry: string): void {
  execFileSync(path.join(ROOT, 'node_modules/.bin/webpack'), ['-c', 'tests/e2e/webpack.pages.js', '--env', `entry=${entry}`], {
    cwd: path.join(ROOT, 'plugin'),
    stdio: 'pipe',
  });
}

/**
 * That a bundled page holds none of the plugin's own sources: it gets the plugin from the built
 * `plugin/dist/module.js`, as Grafana does (the page server records what it served).
 */
export function pageBundlesNoPluginSource(entry: string): boolean {
  const bundle = fs.readFileSync(path.join(ARTIFACTS, 'e2e-pages', `${entry}.js`), 'utf8');
  return !/\.\/src\/(datasource|live|components\/)/.test(bundle);
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(path.join(ARTIFACTS, 'screenshots'), { recursive: true });
  return path.join(ARTIFACTS, 'screenshots', `${name}.png`);
}
