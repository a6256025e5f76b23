// Writing a report to disk: load the experiment and every result it refers to from the results store, render, write
// the chart next to the document and the page (or its region in an existing document), atomically.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { BenchmarkResult, Experiment } from '../plan/schema';
import { writeFileAtomic, type ResultsStore } from '../results/store';
import { insertRegionIntoFile } from './insert';
import type { ReportAsset } from './capacity';
import { renderReport, ReportError } from './render';

/** Every result id an experiment refers to, in the order the report shows them. */
export function referencedResultIds(experiment: Experiment): string[] {
  const ids = new Set<string>();
  for (const option of [experiment.baseline, ...experiment.stages.flatMap((s) => s.options)]) {
    if (option.outcome && 'resultIds' in option.outcome) for (const id of option.outcome.resultIds) ids.add(id);
  }
  for (const g of experiment.generalization) for (const id of [...g.baselineResultIds, ...g.recommendedResultIds]) ids.add(id);
  for (const c of experiment.curves) for (const p of c.points) if (p.resultId) ids.add(p.resultId);
  return [...ids];
}

async function loadReportResults(store: ResultsStore, experiment: Experiment): Promise<Map<string, BenchmarkResult>> {
  const results = new Map<string, BenchmarkResult>();
  for (const id of referencedResultIds(experiment)) results.set(id, await store.loadResult(id));
  return results;
}

function chartFileName(experimentId: string): string {
  return `${experimentId}-throughput.svg`;
}

/** The chart's path as a page in `documentDir` links it: relative, with forward slashes. */
function chartLink(documentDir: string, chartFile: string): string {
  return relative(documentDir, chartFile).split(sep).join('/');
}

export interface DocumentReport {
  /** The page, with the chart linked relative to the document. */
  markdown: string;
  chartSvg: string;
  /** More charts, written next to the chart under their own names. */
  assets: ReportAsset[];
  /** Where the chart belongs: `assetsDir` (default: the document's directory) / `<experiment>-throughput.svg`. */
  chartFile: string;
}

/**
 * The report as one document links it, without writing anything: the extension writes the chart and applies the
 * page with insertRegion as one WorkspaceEdit, the CLI writes both files.
 */
export async function renderReportForDocument(options: {
  store: ResultsStore;
  experiment: Experiment;
  documentFile: string;
  assetsDir?: string;
  title?: string;
}): Promise<DocumentReport> {
  const results = await loadReportResults(options.store, options.experiment);
  const documentDir = dirname(resolve(options.documentFile));
  const chartFile = join(resolve(options.assetsDir ?? documentDir), chartFileName(options.experiment.id));
  const page = renderReport({ experiment: options.experiment, results, chartPath: chartLink(documentDir, chartFile), title: options.title });
  return { ...page, chartFile };
}

export interface WriteReportOptions {
  store: ResultsStore;
  experiment: Experiment;
  /** Write the page to this file. */
  out?: string;
  /** Put the page into this region of this document (created or appended when missing). */
  insertInto?: { file: string; regionId: string };
  /** Directory for the chart; default: the directory of the page (or of the document, or cwd). */
  assetsDir?: string;
  title?: string;
  cwd: string;
}

export interface WrittenReport {
  /** The page as linked from `out`, else from the inserted document, else from cwd. */
  markdown: string;
  chartFile: string;
  outFile?: string;
  inserted?: { file: string; regionId: string; changed: boolean };
}

export async function writeReport(options: WriteReportOptions): Promise<WrittenReport> {
  const { experiment, cwd, store, title } = options;
  const outFile = options.out === undefined ? undefined : resolve(cwd, options.out);
  const insertFile = options.insertInto === undefined ? undefined : resolve(cwd, options.insertInto.file);
  const primaryDocument = outFile ?? insertFile ?? join(cwd, 'stdout.md');
  const assetsDir = resolve(cwd, options.assetsDir ?? dirname(primaryDocument));
  const primary = await renderReportForDocument({ store, experiment, documentFile: primaryDocument, assetsDir, title });

  await explainWriteError(primary.chartFile, async () => {
    await mkdir(dirname(primary.chartFile), { recursive: true });
    await writeIfChanged(primary.chartFile, primary.chartSvg);
    for (const asset of primary.assets) await writeIfChanged(join(dirname(primary.chartFile), asset.fileName), asset.svg);
  });
  if (outFile) {
    await explainWriteError(outFile, async () => {
      await mkdir(dirname(outFile), { recursive: true });
      await writeIfChanged(outFile, primary.markdown);
    });
  }
  let inserted: WrittenReport['inserted'];
  if (insertFile && options.insertInto) {
    const { regionId } = options.insertInto;
    const page = insertFile === primaryDocument ? primary : await renderReportForDocument({ store, experiment, documentFile: insertFile, assetsDir, title });
    const { changed } = await explainWriteError(insertFile, async () => {
      await mkdir(dirname(insertFile), { recursive: true });
      return insertRegionIntoFile(insertFile, regionId, page.markdown);
    });
    inserted = { file: insertFile, regionId, changed };
  }
  return { markdown: primary.markdown, chartFile: primary.chartFile, outFile, inserted };
}

/** A file system error (ENOENT on the temp file, EACCES, EEXIST from mkdir) becomes a ReportError naming the file. */
async function explainWriteError<T>(file: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    throw new ReportError(`cannot write ${file} (${(err as Error).message}); choose a writable place with --out, --insert-into or --assets`);
  }
}

/** Regenerating an unchanged report leaves the files (and their timestamps) alone. */
async function writeIfChanged(file: string, content: string): Promise<void> {
  const current = await readFile(file, 'utf8').catch(() => undefined);
  if (current !== content) await writeFileAtomic(file, content);
}
