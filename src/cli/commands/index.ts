// Every CLI command, in the order `serving-lab --help` lists them.
import type { CliCommand } from '../command';
import { bench } from './bench';
import { engineList, engineLogs, engineStart, engineStatusCommand, engineStop } from './engine';
import { hostsCheck, hostsList } from './hosts';
import { parse } from './parse';
import { planSchema, planValidate } from './plan';
import { report } from './report';
import { resultsExport, resultsImport, resultsList, resultsPareto, resultsShow } from './results';
import { SIM_COMMANDS } from './sim';
import { tune } from './tune';

export const COMMANDS: CliCommand[] = [planValidate, planSchema, tune, bench, parse, report, resultsList, resultsShow, resultsPareto, resultsExport, resultsImport, hostsList, hostsCheck, engineStart, engineList, engineStatusCommand, engineLogs, engineStop, ...SIM_COMMANDS];
