import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');

interface Edge {
  from: string;
  /** A path from the repository root for a relative import, else the package name as written. */
  to: string;
  /** `import type` / `export type`: erased when compiled. */
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sources(rel);
    return /\.(ts|tsx|mjs|js)$/.test(entry.name) ? [rel] : [];
  });
}

/** Every import, export-from, dynamic import and require of the files under `dirs`. */
function imports(dirs: string[]): Edge[] {
  // `import x from '…'` (its clause may span lines), `export … from '…'`, `import '…'`, `import('…')`, `require('…')`.
  const specifier = /^(import|export)(\s+type\b)?[^;]*?\bfrom\s+'([^']+)'|^import\s+'([^']+)'|\b(?:import|require)\s*\(\s*'([^']+)'/gms;
  return dirs.flatMap(sources).flatMap((file) =>
    [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(specifier)].map((m) => {
      const to = m[3] ?? m[4] ?? m[5];
      return { from: file, to: to.startsWith('.') ? path.relative(ROOT, path.resolve(ROOT, path.dirname(file), to)) : to, typeOnly: m[2] !== undefined };
    }),
  );
}

const isTest = (file: string) => /\.(e2e\.)?test\.tsx?$/.test(file) || file.includes('/testing/');
const under = (file: string, ...dirs: string[]) => dirs.some((d) => file === d || file.startsWith(`${d}/`));

describe('the one-way arrows between the parts (docs/architecture.md)', () => {
  const edges = imports(['contract/src', 'sdk/src', 'backend/src', 'plugin/src']);

  it('reads the imports it judges (else every rule below would hold vacuously)', () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(edges).toContainEqual({ from: 'backend/src/server.ts', to: 'backend/src/api/ingestRouter', typeOnly: false });
    expect(edges).toContainEqual({ from: 'plugin/src/datasource.ts', to: '@rpa-analytics/contract/queryContract', typeOnly: true });
    expect(edges).toContainEqual({ from: 'backend/src/analysis/schedule.ts', to: 'backend/src/store/store', typeOnly: true });
  });

  it('the contract imports nothing of the collector or the plugin: only itself and zod', () => {
    const out = edges.filter((e) => under(e.from, 'contract/src') && !under(e.to, 'contract/src') && e.to !== 'zod');
    expect(out).toEqual([]);
  });

  it("the SDK imports nothing of the collector or the plugin: the contract's types, Node and systeminformation", () => {
    const out = edges.filter(
      (e) =>
        under(e.from, 'sdk/src') && !under(e.to, 'sdk/src') && !(e.to === '@rpa-analytics/contract' && e.typeOnly) && !/^(node:|systeminformation$)/.test(e.to),
    );
    expect(out).toEqual([]);
  });

  it('the plugin imports nothing of the backend: what it shares with it comes from the contract', () => {
    const back = edges.filter((e) => under(e.from, 'plugin/src') && (under(e.to, 'backend') || e.to.startsWith('@rpa-analytics/backend')));
    expect(back).toEqual([]);
  });

  it('the plugin takes the contract by its parts, never its index (whose zod schemas would be bundled)', () => {
    const index = edges.filter((e) => under(e.from, 'plugin/src') && e.to === '@rpa-analytics/contract');
    expect(index).toEqual([]);
  });

  it('only the server imports the HTTP layer (api/): query, ingest, report, engine and the rest do not', () => {
    const intoApi = edges.filter(
      (e) => under(e.to, 'backend/src/api') && !under(e.from, 'backend/src/api') && e.from !== 'backend/src/server.ts' && !isTest(e.from),
    );
    expect(intoApi).toEqual([]);
  });

  it('the analysis layer stays pure: no SQL, HTTP, engine or Grafana in analysis/ (the shapes of what the store reads, as types only)', () => {
    const impure = edges.filter(
      (e) =>
        under(e.from, 'backend/src/analysis') &&
        !isTest(e.from) &&
        ((under(e.to, 'backend/src/store') && !(e.typeOnly && e.to === 'backend/src/store/store')) ||
          under(e.to, 'backend/src/api', 'backend/src/engine', 'backend/src/query') ||
          /^(express|better-sqlite3|pg|@grafana\/)/.test(e.to)),
    );
    expect(impure).toEqual([]);
  });
});
