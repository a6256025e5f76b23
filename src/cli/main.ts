#!/usr/bin/env node
// serving-lab: the same core as the extension, from a terminal.
import { SERVING_LAB_VERSION } from '../core/version';
import type { Logger } from '../core/logger';
import { CliError, formatHelp, parseArgs, UsageError } from './args';
import type { CliCommand } from './command';
import { COMMANDS } from './commands/index';
import { forTerminal } from './terminal';

function topHelp(): string {
  const groups = COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(24)}${c.summary}`);
  return [
    'Usage: serving-lab <command> [options]',
    '',
    'Find the fastest way to serve an LLM: launch engine variants on GPU hosts, benchmark, tune, report.',
    '',
    'Commands:',
    ...groups,
    '',
    'Options:',
    '  -h, --help                        show help (also `serving-lab <command> --help`)',
    '  -V, --version                     print the version',
    '',
    'Exit codes: 0 success, 1 the work failed, 2 usage error. Data goes to stdout, progress and logs to stderr.',
    '',
  ].join('\n');
}

function groupHelp(group: string, commands: CliCommand[]): string {
  return [
    `Usage: serving-lab ${group} <command> [options]`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.path.join(' ').padEnd(24)}${c.summary}`),
    '',
    `Run \`serving-lab ${group} <command> --help\` for a command's options.`,
    '',
  ].join('\n');
}

function findCommand(argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  let best: CliCommand | undefined;
  for (const c of COMMANDS) {
    if (c.path.every((word, i) => argv[i] === word) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best ? { command: best, rest: argv.slice(best.path.length) } : undefined;
}

export function stderrLogger(verbose: boolean): Logger {
  const write = (prefix: string) => (message: string) => process.stderr.write(`${prefix}${forTerminal(message)}\n`);
  return { debug: verbose ? write('debug: ') : () => {}, info: write(''), warn: write('warning: '), error: write('error: ') };
}

export async function main(argv: string[]): Promise<number> {
  const log = stderrLogger(Boolean(process.env['SERVING_LAB_DEBUG']));
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(topHelp());
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-V') {
    process.stdout.write(`${SERVING_LAB_VERSION}\n`);
    return 0;
  }
  const found = findCommand(argv);
  if (!found) {
    const group = COMMANDS.filter((c) => c.path.length > 1 && c.path[0] === argv[0]);
    const wantsHelp = argv[1] === undefined || argv[1] === '--help' || argv[1] === '-h';
    if (group.length > 0 && wantsHelp) {
      // `serving-lab engine` / `serving-lab engine --help`: the group's own commands, like git's subcommand help.
      process.stdout.write(groupHelp(argv[0]!, group));
      return argv[1] === undefined ? 2 : 0;
    }
    const hint = group.length > 0 ? `; "${argv[0]}" has: ${group.map((c) => c.path.slice(1).join(' ')).join(', ')}` : '';
    process.stderr.write(`serving-lab: unknown command "${argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}"${hint}. Run \`serving-lab --help\` for the list.\n`);
    return 2;
  }
  const { command, rest } = found;
  const name = command.path.join(' ');
  const dashDash = rest.indexOf('--');
  const own = dashDash >= 0 ? rest.slice(0, dashDash) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    process.stdout.write(formatHelp(name, command.summary, command.flags, command.positionals, command.usageTail));
    return 0;
  }
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    log.warn('interrupted: stopping (press Ctrl-C again to quit at once)');
    controller.abort(new Error('interrupted by Ctrl-C'));
  };
  // A handler replaces the default action (end the process), and a handler only runs when the event loop turns: a
  // command busy parsing would never end. So only commands with something to save catch the signals.
  const catchSignals = command.savesOnInterrupt === true;
  if (catchSignals) {
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
  }
  try {
    const args = parseArgs(rest, command.flags, command.positionals, name);
    const code = await command.run({
      args,
      stdout: (text) => process.stdout.write(forTerminal(text)),
      log,
      signal: controller.signal,
      interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
      cwd: process.cwd(),
    });
    return code ?? 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof CliError) {
      process.stderr.write(`serving-lab ${name}: ${forTerminal(err.message.replace(new RegExp(`^${name}: `), ''))}\n`);
      return err.exitCode;
    }
    // An unexpected failure is still reported as a sentence; the stack only with SERVING_LAB_DEBUG=1.
    process.stderr.write(`serving-lab ${name}: ${forTerminal((err as Error).message ?? String(err))}\n`);
    if (process.env['SERVING_LAB_DEBUG']) process.stderr.write(`${(err as Error).stack}\n`);
    else process.stderr.write('(set SERVING_LAB_DEBUG=1 for details)\n');
    return 1;
  } finally {
    if (catchSignals) {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`serving-lab: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
