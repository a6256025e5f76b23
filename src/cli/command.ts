import type { Logger } from '../core/logger';
import type { FlagSpec, ParsedArgs, PositionalSpec } from './args';

/** What a command gets: parsed arguments, stdout for data only, stderr logger for progress, and Ctrl-C as a signal. */
export interface CommandContext {
  args: ParsedArgs;
  stdout: (text: string) => void;
  log: Logger;
  signal: AbortSignal;
  /** True when stdin and stderr are terminals, so prompts and progress bars are allowed. */
  interactive: boolean;
  cwd: string;
}

export interface CliCommand {
  /** Words after `serving-lab`, e.g. ['plan', 'validate']. */
  path: string[];
  summary: string;
  flags: FlagSpec[];
  positionals: PositionalSpec[];
  /** Shown after the positionals in usage, e.g. ' -- <engine command line>'. */
  usageTail?: string;
  /**
   * Ctrl-C and SIGTERM abort the context's signal, so the command saves what it measured and stops what it launched.
   * Commands without it have nothing to save: both signals end them at once, however busy they are.
   */
  savesOnInterrupt?: boolean;
  run(ctx: CommandContext): Promise<number | void>;
}

export const jsonFlag: FlagSpec = { name: 'json', type: 'boolean', description: 'print machine-readable JSON on stdout' };
