// `serving-lab engine start|list|status|logs|stop`: detached engine runs on a host, re-attached by run id.
import { readFile } from 'node:fs/promises';
import { commandLineOf, VariantError } from '../../core/engines/index';
import { scriptArgv, servingCommand } from '../../core/engines/script';
import { EngineRunError } from '../../core/remote/runFiles';
import { hostOfRun, readRunIndex } from '../../core/remote/runIndex';
import { engineStatus, followLogs, listEngineRuns, startEngine, stopEngine } from '../../core/remote/runs';
import { formatProblem, parseYamlAs } from '../../core/plan/load';
import { EngineVariant, type EngineRun } from '../../core/plan/schema';
import { CliError, UsageError } from '../args';
import { jsonFlag, type CliCommand, type CommandContext } from '../command';
import { HOST_FLAGS, openHost } from './hosts';

const hostFlag = { name: 'host', type: 'string' as const, metavar: 'NAME', description: 'host the run is on (default: where this machine started it)' };

function describeRun(r: EngineRun): string {
  const state = r.status.state === 'crashed' ? `crashed (${r.status.crash.reason})` : r.status.state;
  return `${r.id}  ${r.host}  ${r.engine}  port ${r.port}  ${state}${r.timings.startupSeconds !== undefined ? `  ready after ${r.timings.startupSeconds.toFixed(1)} s` : ''}`;
}

function runDetails(r: EngineRun): string {
  const lines = [describeRun(r), `  command: ${commandLineOf(r.argv, r.env)}`, `  log: ${r.logPath}`];
  if (r.pgid) lines.push(`  process group: ${r.pgid}`);
  if (r.docker) lines.push(`  container: ${r.docker.container} (${r.docker.image})`);
  if (r.status.state === 'crashed') {
    lines.push(`  root cause: ${r.status.crash.rootCause}`);
    if (r.status.crash.logExcerpt.length) lines.push('  last log lines:', ...r.status.crash.logExcerpt.slice(-15).map((l) => `    ${l}`));
  }
  return `${lines.join('\n')}\n`;
}

/** The host a run id belongs to: --host, else this machine's run index. */
function hostFor(ctx: CommandContext, runId: string): string {
  const named = ctx.args.flags['host'] as string | undefined;
  const host = named ?? hostOfRun(runId);
  if (!host) throw new CliError(`this machine started no run ${runId} (\`serving-lab engine list\` shows the runs it did); for a run started elsewhere, name its host with --host NAME`);
  return host;
}

async function withHost<T>(ctx: CommandContext, name: string, work: (h: Awaited<ReturnType<typeof openHost>>) => Promise<T>): Promise<T> {
  const opened = await openHost(ctx, name);
  try {
    return await work(opened);
  } catch (err) {
    if (err instanceof EngineRunError || err instanceof VariantError) throw new CliError(err.message);
    throw err;
  } finally {
    await opened.transport.close();
  }
}

async function readVariantFile(file: string): Promise<EngineVariant> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read the variant file ${file}: ${(err as Error).message}`);
  }
  const parsed = parseYamlAs(EngineVariant, text, file, { noun: 'variant', expected: 'a variant mapping (engine, model, parallel, batching, …; see `serving-lab plan schema`)' });
  if (!parsed.ok) throw new CliError(parsed.problems.map(formatProblem).join('\n'));
  return parsed.data;
}

export const engineStart: CliCommand = {
  path: ['engine', 'start'],
  savesOnInterrupt: true,
  summary: 'Start an engine detached on a host and wait until it is ready; prints the run id (the engine keeps running).',
  usageTail: ' [-- <engine command line> | -- "<pasted serving script>"]',
  flags: [
    jsonFlag,
    { name: 'host', type: 'string', metavar: 'NAME', description: 'host to run on', default: 'sim' },
    { name: 'variant', type: 'string', metavar: 'FILE', description: 'an EngineVariant (YAML or JSON) instead of a command line' },
    { name: 'port', type: 'number', metavar: 'PORT', description: 'port on the host (default: a free one)' },
    { name: 'timeout', type: 'number', metavar: 'SECONDS', description: 'how long to wait for readiness', default: 1800 },
    { name: 'quiet', type: 'boolean', description: 'do not stream the engine log to stderr while it starts' },
    ...HOST_FLAGS,
  ],
  positionals: [],
  async run(ctx) {
    const { flags, rest } = ctx.args;
    const variantFile = flags['variant'] as string | undefined;
    if ((rest.length > 0) === Boolean(variantFile)) {
      throw new UsageError('engine start: give the engine command after --, e.g. `serving-lab engine start --host sim -- vllm serve zai-org/GLM-4.5-Air -tp 4`, or --variant FILE (one of the two)');
    }
    let what: EngineVariant | string[] = rest;
    if (variantFile) what = await readVariantFile(variantFile);
    else if (rest.length === 1) {
      // One argument: a pasted serving script (comments, exports, continuations) or command line.
      try {
        const script = servingCommand(rest);
        for (const line of script.ignored) ctx.log.info(`not a serve command, not run: ${line}`);
        what = scriptArgv(script);
      } catch (err) {
        if (err instanceof VariantError) throw new UsageError(`engine start: ${err.message}`);
        throw err;
      }
    }
    return withHost(ctx, flags['host'] as string, async ({ host, transport }) => {
      const run = await startEngine(transport, host, what, {
        port: flags['port'] as number | undefined,
        readinessTimeoutS: flags['timeout'] as number,
        signal: ctx.signal,
        log: ctx.log,
        onLog: flags['quiet'] ? undefined : (line) => process.stderr.write(`  | ${line}\n`),
      });
      if (flags['json']) ctx.stdout(`${JSON.stringify(run, null, 2)}\n`);
      else if (run.status.state === 'ready') ctx.stdout(`${run.id}\n`);
      else process.stderr.write(runDetails(run));
      if (run.status.state !== 'ready') {
        if (!flags['json']) ctx.log.error(`run ${run.id} did not become ready; \`serving-lab engine logs ${run.id}\` shows the whole log`);
        return 1;
      }
      ctx.log.info(`run ${run.id} is ready on ${host.name} port ${run.port}; stop it with \`serving-lab engine stop ${run.id}\``);
      return 0;
    });
  },
};

export const engineList: CliCommand = {
  path: ['engine', 'list'],
  summary: 'List engine runs on a host (or on every host this machine started runs on).',
  flags: [jsonFlag, { ...hostFlag, description: 'only this host' }, ...HOST_FLAGS],
  positionals: [],
  async run(ctx) {
    const named = ctx.args.flags['host'] as string | undefined;
    const hosts = named ? [named] : [...new Set(Object.values(readRunIndex()).map((r) => r.host))];
    const runs: EngineRun[] = [];
    const unreachable: string[] = [];
    for (const name of hosts) {
      try {
        runs.push(...(await withHost(ctx, name, ({ host, transport }) => listEngineRuns(transport, host))));
      } catch (err) {
        // One host that is down must not hide the runs on the others.
        if (named || !(err instanceof CliError)) throw err;
        ctx.log.warn(`${err.message}; its runs are not listed`);
        unreachable.push(name);
      }
    }
    if (ctx.args.flags['json']) ctx.stdout(`${JSON.stringify(runs, null, 2)}\n`);
    else if (runs.length === 0) ctx.log.info(named ? `no engine runs on ${named}` : 'no engine runs started from this machine (use --host NAME to look at a host)');
    else ctx.stdout(`${runs.map(describeRun).join('\n')}\n`);
    return unreachable.length > 0 ? 1 : 0;
  },
};

export const engineStatusCommand: CliCommand = {
  path: ['engine', 'status'],
  summary: 'Show a run: state (starting, ready, crashed with its root cause, stopped), port, command and log path.',
  flags: [jsonFlag, hostFlag, ...HOST_FLAGS],
  positionals: [{ name: 'run', description: 'run id (from `engine start` or `engine list`)' }],
  async run(ctx) {
    const id = ctx.args.positionals[0]!;
    const run = await withHost(ctx, hostFor(ctx, id), ({ host, transport }) => engineStatus(transport, host, id));
    ctx.stdout(ctx.args.flags['json'] ? `${JSON.stringify(run, null, 2)}\n` : runDetails(run));
  },
};

export const engineLogs: CliCommand = {
  path: ['engine', 'logs'],
  summary: "Print a run's log; --follow keeps printing until the engine ends (and resumes after a dropped connection).",
  flags: [{ name: 'follow', short: 'f', type: 'boolean', description: 'keep printing new lines' }, hostFlag, ...HOST_FLAGS],
  positionals: [{ name: 'run', description: 'run id' }],
  async run(ctx) {
    const id = ctx.args.positionals[0]!;
    await withHost(ctx, hostFor(ctx, id), ({ host, transport }) =>
      followLogs(transport, host, id, { follow: Boolean(ctx.args.flags['follow']), signal: ctx.signal, log: ctx.log, onText: (t) => ctx.stdout(t) }),
    );
  },
};

export const engineStop: CliCommand = {
  path: ['engine', 'stop'],
  summary: 'Stop a run: SIGTERM to its process group, SIGKILL after the grace period; confirms the processes and port are gone.',
  flags: [jsonFlag, { name: 'grace', type: 'number', metavar: 'SECONDS', description: 'seconds between SIGTERM and SIGKILL', default: 30 }, hostFlag, ...HOST_FLAGS],
  positionals: [{ name: 'run', description: 'run id' }],
  async run(ctx) {
    const id = ctx.args.positionals[0]!;
    const run = await withHost(ctx, hostFor(ctx, id), ({ host, transport }) => stopEngine(transport, host, id, { graceS: ctx.args.flags['grace'] as number, log: ctx.log }));
    if (ctx.args.flags['json']) ctx.stdout(`${JSON.stringify(run, null, 2)}\n`);
    else ctx.log.info(`stopped ${id}: no process left, port ${run.port} closed`);
  },
};
