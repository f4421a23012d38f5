// The analysis benchmark's passes, run as the collector runs them: the compiled collector
// (backend/dist, which `npm run bench` builds first) in a Node started with `npm start`'s flags
// (`benchAnalysis` starts this file so). Through tsx, the sources' imports are getters and
// modules load through a thread of loader hooks: that measured tsx, not the collector.
//
// argv[2]: JSON { dir, end, days, routineMs, range }, the benchmark's folder holding bench.db.
// Writes JSON { rows, readMs, byDefault, first, routine } on stdout (the reports of the passes);
// progress and the passes' warnings go to stderr.
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const { AnalysisScheduler } = require(path.join(dist, 'engine', 'analysisScheduler.js'));
const { SqliteStore } = require(path.join(dist, 'store', 'sqlite', 'sqliteStore.js'));
const { createLogger } = require(path.join(dist, 'log.js'));
const { DEFAULT_HISTORY_DAYS } = require('@rpa-analytics/contract');

const { dir, end, days, routineMs, range } = JSON.parse(process.argv[2]);
const progress = (line) => process.stderr.write(`${line}\n`);

// The baseline: reading the rows a first pass reads, with the same store code.
let store = new SqliteStore({ file: path.join(dir, 'bench.db') });
const readStarted = performance.now();
const rows = store.runs({ by: 'end', ...range }).length + store.stepsOfRuns({ by: 'end', ...range }).length + store.listSamples(range).length;
const readMs = performance.now() - readStarted;
store.close();

// A collector started on this history reads back its default number of days on the first pass.
// Warnings (a helper thread that failed to start or answer) are printed: they change the figure.
const defaultFile = path.join(dir, 'default.db');
fs.copyFileSync(path.join(dir, 'bench.db'), defaultFile);
const defaultStore = new SqliteStore({ file: defaultFile });
const warnings = createLogger('warn', process.stderr);
const byDefault = new AnalysisScheduler({ store: defaultStore, now: () => end - routineMs, log: warnings }).runPass();
defaultStore.close();
progress(
  `  first pass, ${DEFAULT_HISTORY_DAYS} days of history: ${byDefault.runs} runs, ${byDefault.points} points (${byDefault.helperPoints} by a helper thread) in ${(byDefault.durationMs / 1000).toFixed(1)} s`,
);

store = new SqliteStore({ file: path.join(dir, 'bench.db') });
let now = end - routineMs;
const scheduler = new AnalysisScheduler({ store, now: () => now, historyDays: days + 1, log: warnings });
const first = scheduler.runPass();
progress(
  `  first pass, all ${days} days: ${first.runs} runs, ${first.points} points (${first.helperPoints} of them judged by a helper thread), ${first.opened} anomalies opened, ${first.insights} insights in ${(first.durationMs / 1000).toFixed(1)} s`,
);
now = end;
const routine = scheduler.runPass();
progress(`  routine pass: ${routine.runs} runs, ${routine.points} points`);
store.close();
process.stdout.write(JSON.stringify({ rows, readMs, byDefault, first, routine }));
