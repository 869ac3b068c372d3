import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomically } from '../../gateway/loadtest/report-writer.js';
import { renderMarkdown } from './report-markdown.js';
import type { BenchReport } from './report-types.js';
import { renderBarChart } from './report-svg.js';

export const REPORT_BASENAME = 'latest';

export interface WrittenReport {
  json: string;
  markdown: string;
  svg: string;
}

/** Writes latest.json / latest.md / latest.svg into `dir`, replacing the previous run's (only the latest is kept). */
export function writeReport(report: BenchReport, dir: string): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const files = {
    json: join(dir, `${REPORT_BASENAME}.json`),
    markdown: join(dir, `${REPORT_BASENAME}.md`),
    svg: join(dir, `${REPORT_BASENAME}.svg`),
  };
  const chartRows = report.summary;
  const subtitle = `${report.date} · ${report.machine.cpuModel} · ${report.machine.cores} cores · Node ${report.machine.node}${report.quick ? ' · quick run' : ''}`;
  writeAtomically(files.svg, renderBarChart(chartRows, { title: 'session-gateway benchmark', subtitle }));
  writeAtomically(files.markdown, renderMarkdown(report, `${REPORT_BASENAME}.svg`));
  writeAtomically(files.json, JSON.stringify(report, null, 2) + '\n');
  return files;
}
