// Every CLI command, in the order `serving-lab --help` lists them.
import type { CliCommand } from '../command';
import { planSchema, planValidate } from './plan';

export const COMMANDS: CliCommand[] = [planValidate, planSchema];
