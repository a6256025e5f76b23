import { REGION_ID_PATTERN, RegionFileError } from '../../core/report/insert';
import { ReportError } from '../../core/report/render';
import { writeReport } from '../../core/report/write';
import { DEFAULT_STORE_DIR, openResultsStore, StoreError } from '../../core/results/store';
import { CliError, UsageError } from '../args';
import { jsonFlag, type CliCommand } from '../command';

export const report: CliCommand = {
  path: ['report'],
  summary:
    'Write the findings of an experiment as mkdocs-material markdown (chart, serving command, comparison, every stage), to stdout, a file, or a region of a document.',
  flags: [
    { name: 'out', short: 'o', type: 'string', metavar: 'FILE', description: 'write the page to FILE instead of stdout' },
    { name: 'assets', type: 'string', metavar: 'DIR', description: "directory for the chart SVG (default: the page's directory)" },
    { name: 'insert-into', type: 'string', metavar: 'FILE', description: 'put the page into a region of FILE, between serving-lab:begin/end markers (appended when missing)' },
    { name: 'region', type: 'string', metavar: 'ID', description: 'region ID for --insert-into (default: the experiment ID)' },
    { name: 'results', type: 'string', metavar: 'DIR', description: 'results store directory', default: DEFAULT_STORE_DIR },
    { name: 'title', type: 'string', metavar: 'TEXT', description: 'page title (default: "Optimizing MODEL Throughput on GPU GPUs")' },
    jsonFlag,
  ],
  positionals: [{ name: 'experiment', description: 'experiment ID, or "latest" for the most recent one' }],
  async run({ args, stdout, log, cwd }) {
    const flags = args.flags;
    const insertInto = flags['insertInto'] as string | undefined;
    const region = flags['region'] as string | undefined;
    if (region !== undefined && insertInto === undefined) throw new UsageError('report: --region needs --insert-into FILE');
    if (region !== undefined && !REGION_ID_PATTERN.test(region)) {
      throw new UsageError(`report: --region "${region}" must start with a letter or digit and contain only letters, digits, ".", "_" and "-"`);
    }
    const store = openResultsStore(String(flags['results']));
    try {
      let id = args.positionals[0]!;
      if (id === 'latest') {
        const { experiments } = await store.listExperiments();
        const latest = experiments[experiments.length - 1];
        if (!latest) throw new CliError(`no experiments in ${store.root}; run a tuning plan first, or pass --results DIR`);
        id = latest.id;
      }
      const experiment = await store.loadExperiment(id);
      const written = await writeReport({
        store,
        experiment,
        out: flags['out'] as string | undefined,
        assetsDir: flags['assets'] as string | undefined,
        insertInto: insertInto === undefined ? undefined : { file: insertInto, regionId: region ?? experiment.id },
        title: flags['title'] as string | undefined,
        cwd,
      });
      if (flags['json']) {
        stdout(
          `${JSON.stringify(
            {
              experiment: experiment.id,
              chartFile: written.chartFile,
              outFile: written.outFile ?? null,
              inserted: written.inserted ?? null,
              ...(written.outFile || written.inserted ? {} : { markdown: written.markdown }),
            },
            null,
            2,
          )}\n`,
        );
      } else if (!written.outFile && !written.inserted) {
        stdout(written.markdown);
      }
      log.info(`chart: ${written.chartFile}`);
      if (written.outFile) log.info(`report: ${written.outFile}`);
      if (written.inserted) {
        const { file, regionId, changed } = written.inserted;
        log.info(changed ? `inserted region "${regionId}" into ${file}` : `region "${regionId}" in ${file} is already up to date`);
      }
    } catch (err) {
      if (err instanceof StoreError || err instanceof ReportError || err instanceof RegionFileError) throw new CliError(err.message);
      throw err;
    }
  },
};
