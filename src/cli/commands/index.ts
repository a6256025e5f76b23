// Every CLI command, in the order `serving-lab --help` lists them.
import type { CliCommand } from '../command';
import { planSchema, planValidate } from './plan';
import { resultsExport, resultsImport, resultsList, resultsShow } from './results';

export const COMMANDS: CliCommand[] = [planValidate, planSchema, resultsList, resultsShow, resultsExport, resultsImport];
