// The results store (design doc §3, issue 6): one JSON file per benchmark result and one manifest per experiment under
// `.serving-lab/` in the working directory. Every write is atomic (temp file, fsync, rename, fsync of the directory),
// so killing the process at any moment leaves a store that loads, and a result reported saved is on disk.
import { randomBytes } from 'node:crypto';
import { constants, watch as watchDir, type FSWatcher } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { BenchmarkResult, Experiment } from '../plan/schema';

/** The store schema this code writes; files with a higher version come from a newer Serving Lab. */
export const STORE_SCHEMA_VERSION = 1;

/** A file the store could not read: named, never fatal. */
export interface StoreProblem {
  file: string;
  message: string;
}

export interface Disposable {
  dispose(): void;
}

export interface ResultsStore {
  /** Absolute path of the store directory. */
  readonly root: string;
  saveResult(result: BenchmarkResult): Promise<void>;
  loadResult(id: string): Promise<BenchmarkResult>;
  /** Every readable result, oldest first, and one problem per unreadable file. */
  listResults(): Promise<{ results: BenchmarkResult[]; problems: StoreProblem[] }>;
  deleteResult(id: string): Promise<void>;
  saveExperiment(experiment: Experiment): Promise<void>;
  loadExperiment(id: string): Promise<Experiment>;
  /** Every readable experiment, oldest first, and one problem per unreadable manifest. */
  listExperiments(): Promise<{ experiments: Experiment[]; problems: StoreProblem[] }>;
  deleteExperiment(id: string): Promise<void>;
  resultPath(id: string): string;
  experimentPath(id: string): string;
  /** Calls onChange (debounced) whenever a result or experiment file appears, changes or goes away. */
  watch(onChange: () => void): Disposable;
}

/** Reading a stored file failed; the message names the file and what to do. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly code: 'not-found' | 'corrupt' | 'newer-version' | 'bad-id' | 'not-a-file',
  ) {
    super(message);
  }
}

export const DEFAULT_STORE_DIR = '.serving-lab';

export function openResultsStore(dir?: string): ResultsStore {
  return new FileResultsStore(resolve(dir ?? join(process.cwd(), DEFAULT_STORE_DIR)));
}

/**
 * A sortable, unique id: `<prefix>-YYYYMMDD-HHMMSS-<6 hex>` (UTC). Sorting ids sorts by creation time, and the
 * random tail keeps two ids made in the same second apart.
 */
export function newStoreId(prefix: 'r' | 'x', at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function checkId(id: string, what: string): void {
  // Ids become file names: refuse anything that could leave the store directory.
  if (!ID_PATTERN.test(id) || id.includes('..')) {
    throw new StoreError(`invalid ${what} id "${id}": use letters, digits, ".", "_" and "-" only`, id, 'bad-id');
  }
}

/** Writes a file so that readers see either the old content or the new content, never a torn one. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await open(temp, 'w', 0o644);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncDirectory(join(file, '..'));
}

async function syncDirectory(dir: string): Promise<void> {
  // The rename is durable only once the directory entry is; some file systems refuse fsync on a directory.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort: the rename itself already happened
  }
}

type Kind = 'result' | 'experiment';

class FileResultsStore implements ResultsStore {
  private readonly resultsDir: string;
  private readonly experimentsDir: string;

  constructor(readonly root: string) {
    this.resultsDir = join(root, 'results');
    this.experimentsDir = join(root, 'experiments');
  }

  resultPath(id: string): string {
    checkId(id, 'result');
    return join(this.resultsDir, `${id}.json`);
  }

  experimentPath(id: string): string {
    checkId(id, 'experiment');
    return join(this.experimentsDir, `${id}.json`);
  }

  async saveResult(result: BenchmarkResult): Promise<void> {
    const valid = BenchmarkResult.parse(result);
    await mkdir(this.resultsDir, { recursive: true });
    await writeFileAtomic(this.resultPath(valid.id), `${JSON.stringify(valid, null, 2)}\n`);
  }

  async saveExperiment(experiment: Experiment): Promise<void> {
    const valid = Experiment.parse(experiment);
    await mkdir(this.experimentsDir, { recursive: true });
    await writeFileAtomic(this.experimentPath(valid.id), `${JSON.stringify(valid, null, 2)}\n`);
  }

  async loadResult(id: string): Promise<BenchmarkResult> {
    return this.load(this.resultPath(id), 'result', (data) => BenchmarkResult.parse(data));
  }

  async loadExperiment(id: string): Promise<Experiment> {
    return this.load(this.experimentPath(id), 'experiment', (data) => Experiment.parse(data));
  }

  async listResults(): Promise<{ results: BenchmarkResult[]; problems: StoreProblem[] }> {
    const { items, problems } = await this.list(this.resultsDir, 'result', (data) => BenchmarkResult.parse(data));
    items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    return { results: items, problems };
  }

  async listExperiments(): Promise<{ experiments: Experiment[]; problems: StoreProblem[] }> {
    const { items, problems } = await this.list(this.experimentsDir, 'experiment', (data) => Experiment.parse(data));
    items.sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.id.localeCompare(b.id));
    return { experiments: items, problems };
  }

  async deleteResult(id: string): Promise<void> {
    await rm(this.resultPath(id), { force: true });
  }

  async deleteExperiment(id: string): Promise<void> {
    await rm(this.experimentPath(id), { force: true });
  }

  watch(onChange: () => void): Disposable {
    const watchers: FSWatcher[] = [];
    let timer: NodeJS.Timeout | undefined;
    const fire = (_event: string, name: string | Buffer | null) => {
      // Temp files of an atomic write are not changes anyone should see.
      if (name && !String(name).endsWith('.json')) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, 100);
    };
    let disposed = false;
    const start = async () => {
      for (const dir of [this.resultsDir, this.experimentsDir]) {
        await mkdir(dir, { recursive: true });
        if (disposed) return;
        watchers.push(watchDir(dir, { persistent: false }, fire));
      }
    };
    void start().catch(() => undefined);
    return {
      dispose() {
        disposed = true;
        if (timer) clearTimeout(timer);
        for (const w of watchers) w.close();
      },
    };
  }

  private async load<T>(file: string, kind: Kind, parse: (data: unknown) => T): Promise<T> {
    let text: string;
    try {
      text = await readRegularFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        const id = basename(file, '.json');
        const list = kind === 'result' ? 'serving-lab results list' : 'serving-lab results list --experiments';
        throw new StoreError(`no ${kind} "${id}" in ${this.root}; \`${list}\` shows what is stored`, file, 'not-found');
      }
      throw err;
    }
    return decode(text, file, kind, parse);
  }

  private async list<T>(dir: string, kind: Kind, parse: (data: unknown) => T): Promise<{ items: T[]; problems: StoreProblem[] }> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { items: [], problems: [] };
      throw err;
    }
    const items: T[] = [];
    const problems: StoreProblem[] = [];
    for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
      const file = join(dir, name);
      try {
        items.push(decode(await readRegularFile(file), file, kind, parse));
      } catch (err) {
        problems.push({ file, message: (err as Error).message });
      }
    }
    return { items, problems };
  }
}

/**
 * Reads a file only if it is a regular one: a FIFO, socket or device named `*.json` would block the reader (or never
 * end), so it is refused. Opened non-blocking, so opening a FIFO returns at once; checked on the open descriptor.
 */
async function readRegularFile(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new StoreError(`${file}: not a regular file (a pipe, socket or device); move it out of the store`, file, 'not-a-file');
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

function decode<T>(text: string, file: string, kind: Kind, parse: (data: unknown) => T): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StoreError(`${file}: not valid JSON (${(err as Error).message}); move the file away or delete it`, file, 'corrupt');
  }
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > STORE_SCHEMA_VERSION) {
    throw new StoreError(`${file}: written by a newer Serving Lab (schema version ${version}); update Serving Lab to read it`, file, 'newer-version');
  }
  let parsed: T;
  try {
    parsed = parse(data);
  } catch (err) {
    const issues = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
    const detail = issues ? issues.slice(0, 3).map((i) => `${i.path.map(String).join('.') || '(top)'}: ${i.message}`).join('; ') : (err as Error).message;
    throw new StoreError(`${file}: not a valid ${kind} (${detail}); move the file away or delete it`, file, 'corrupt');
  }
  // The id inside names the file everywhere else (charts, report pages, links): it must be the file's own name, so a
  // crafted id such as "../../x" never reaches a path.
  const id = (parsed as { id: string }).id;
  if (id !== basename(file, '.json')) {
    throw new StoreError(`${file}: the ${kind} inside has id ${JSON.stringify(id.slice(0, 80))}, not "${basename(file, '.json')}"; a stored file's id must equal its file name — rename the file or fix its id`, file, 'corrupt');
  }
  return parsed;
}
