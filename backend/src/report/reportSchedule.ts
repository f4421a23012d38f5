import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';
import type { Report, ReportRequest } from './report';
import type { ReportFonts } from './reportPdf';
import { REPORT_FORMATS, renderReport, type ReportFormat } from './render';

const DAY = 86_400_000;
/** How often the scheduler looks whether the last period's report is written. */
export const REPORT_CHECK_MS = 10 * 60_000;

export const REPORT_SCHEDULES = ['daily', 'weekly'] as const;
export type ReportSchedule = (typeof REPORT_SCHEDULES)[number];

/** The last whole period before `now`, in UTC: yesterday, or last week from Monday to Monday. */
export function lastPeriod(schedule: ReportSchedule, now: number): { from: number; to: number } {
  const midnight = Math.floor(now / DAY) * DAY;
  if (schedule === 'daily') return { from: midnight - DAY, to: midnight };
  const monday = midnight - ((new Date(midnight).getUTCDay() + 6) % 7) * DAY;
  return { from: monday - 7 * DAY, to: monday };
}

/** A scheduled report's file: `fleet-daily-2026-12-05.pdf` (the period's first day). */
const FILE = /^fleet-(daily|weekly)-(\d{4}-\d{2}-\d{2})\.(json|csv|pdf)$/;

export interface ScheduledReport {
  name: string;
  schedule: ReportSchedule;
  format: ReportFormat;
  /** The period it covers (epoch ms), from its first day to the next period's. */
  from: number;
  to: number;
  bytes: number;
  writtenAt: number;
}

export interface ReportSchedulerOptions {
  schedule: ReportSchedule;
  dir: string;
  /** Reports whose period ended longer ago are deleted; 0 keeps them all. */
  keepDays: number;
  build: (request: ReportRequest) => Promise<Report>;
  fonts?: ReportFonts;
  log: Logger;
  now?: () => number;
}

/**
 * Writes the fleet report of each whole period (day or week, UTC) to a folder once the period
 * is over, as PDF, JSON and CSV, each written whole (a temporary file renamed) so a reader never
 * sees half a report; deletes those past `keepDays`. Checked at start and every ten minutes, so
 * a collector that was down at midnight writes the report when it is back.
 */
export class ReportScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<string[]>;

  constructor(private readonly options: ReportSchedulerOptions) {}

  get schedule(): ReportSchedule {
    return this.options.schedule;
  }

  start(): void {
    const check = () =>
      void this.runOnce().catch((error: unknown) => this.options.log.error({ err: error }, 'scheduled report not written; trying again in ten minutes'));
    check();
    this.timer = setInterval(check, REPORT_CHECK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Writes the last period's report in the formats it lacks, and prunes; the files written. */
  runOnce(): Promise<string[]> {
    this.running ??= this.write().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The reports in the folder, newest period first. */
  list(): ScheduledReport[] {
    if (!fs.existsSync(this.options.dir)) return [];
    const out: ScheduledReport[] = [];
    for (const name of fs.readdirSync(this.options.dir)) {
      const match = FILE.exec(name);
      if (!match) continue;
      const schedule = match[1] as ReportSchedule;
      const from = Date.parse(`${match[2]}T00:00:00Z`);
      const stat = fs.statSync(path.join(this.options.dir, name));
      out.push({
        name,
        schedule,
        format: match[3] as ReportFormat,
        from,
        to: from + (schedule === 'daily' ? 1 : 7) * DAY,
        bytes: stat.size,
        writtenAt: stat.mtimeMs,
      });
    }
    return out.sort((a, b) => b.from - a.from || a.name.localeCompare(b.name));
  }

  /** The path of a listed report, or undefined for any other name (never a path outside the folder). */
  file(name: string): string | undefined {
    return FILE.test(name) && fs.existsSync(path.join(this.options.dir, name)) ? path.join(this.options.dir, name) : undefined;
  }

  private async write(): Promise<string[]> {
    const { schedule, dir, keepDays, build, fonts, log } = this.options;
    const now = (this.options.now ?? Date.now)();
    const period = lastPeriod(schedule, now);
    const day = new Date(period.from).toISOString().slice(0, 10);
    const missing = REPORT_FORMATS.filter((format) => !fs.existsSync(path.join(dir, `fleet-${schedule}-${day}.${format}`)));
    const written: string[] = [];
    if (missing.length > 0) {
      fs.mkdirSync(dir, { recursive: true });
      const report = await build(period);
      for (const format of missing) {
        const name = `fleet-${schedule}-${day}.${format}`;
        const { body } = await renderReport(report, format, fonts);
        fs.writeFileSync(path.join(dir, `${name}.tmp`), body);
        fs.renameSync(path.join(dir, `${name}.tmp`), path.join(dir, name));
        written.push(name);
      }
      log.info(
        { files: written, from: new Date(period.from).toISOString(), to: new Date(period.to).toISOString() },
        `wrote the ${schedule} fleet report to ${dir}`,
      );
    }
    if (keepDays > 0) {
      for (const report of this.list()) {
        if (report.to < now - keepDays * DAY) {
          fs.rmSync(path.join(dir, report.name));
          log.info({ file: report.name }, 'deleted a scheduled report past its keeping');
        }
      }
    }
    return written;
  }
}
