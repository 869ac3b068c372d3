import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLoadtestMarkdown } from './report-markdown.js';
import { renderTimeline } from './report-svg.js';
import type { LoadtestReport } from './report-types.js';

export interface WrittenLoadtestReport {
  json: string;
  markdown: string;
  svg: string;
}

/** Write via a temporary file and rename, so a reader never sees half a report. */
export function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** report.json, report.md and timeline.svg in `dir` (created; a previous run's files there are replaced). */
export function writeLoadtestReport(report: LoadtestReport, dir: string): WrittenLoadtestReport {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, 'report.json'), markdown: join(dir, 'report.md'), svg: join(dir, 'timeline.svg') };
  writeAtomically(files.svg, renderTimeline(report));
  writeAtomically(files.markdown, renderLoadtestMarkdown(report, 'timeline.svg'));
  writeAtomically(files.json, `${JSON.stringify(report, null, 2)}\n`);
  return files;
}
