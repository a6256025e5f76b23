// Every CLI command, in the order `serving-lab --help` lists them.
import type { CliCommand } from '../command';
import { planSchema, planValidate } from './plan';
import { report } from './report';
import { resultsExport, resultsImport, resultsList, resultsShow } from './results';

export const COMMANDS: CliCommand[] = [planValidate, planSchema, report, resultsList, resultsShow, resultsExport, resultsImport];
