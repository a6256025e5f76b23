import { formatProblem, loadPlanFile } from '../../core/plan/load';
import { planJsonSchemaText } from '../../core/plan/jsonSchema';
import { jsonFlag, type CliCommand } from '../command';

export const planValidate: CliCommand = {
  path: ['plan', 'validate'],
  summary: 'Check tuning plans (*.plan.yaml / *.plan.json); prints one line per problem as FILE:LINE:COL.',
  flags: [jsonFlag],
  positionals: [{ name: 'file', description: 'plan files to check', variadic: true }],
  async run({ args, stdout, log }) {
    const reports = [];
    for (const file of args.positionals) {
      const result = await loadPlanFile(file);
      reports.push({ file, ok: result.ok, problems: result.ok ? [] : result.problems });
    }
    if (args.flags['json']) {
      stdout(`${JSON.stringify(reports, null, 2)}\n`);
    } else {
      for (const r of reports) {
        if (r.ok) log.info(`${r.file}: ok`);
        for (const p of r.problems) stdout(`${formatProblem(p)}\n`);
      }
    }
    return reports.every((r) => r.ok) ? 0 : 1;
  },
};

export const planSchema: CliCommand = {
  path: ['plan', 'schema'],
  summary: 'Print the JSON Schema (draft-7) of tuning plans.',
  flags: [],
  positionals: [],
  async run({ stdout }) {
    stdout(planJsonSchemaText());
  },
};
