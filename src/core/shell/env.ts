// Environment variable names as POSIX defines them. A name is checked before it becomes an `env NAME=VALUE` word: a
// word starting with `-` is an option to env (GNU env's `-S` splits and runs its own string).

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class EnvNameError extends Error {}

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** Why a name cannot be an environment variable, or undefined when it can. */
export function envNameProblem(name: string): string | undefined {
  if (isEnvName(name)) return undefined;
  return `${JSON.stringify(name)} is not a valid environment variable name: use letters, digits and _ (not starting with a digit)`;
}

/**
 * The argv that runs `argv` with `env` added: `env -- NAME=VALUE … argv`. Names are checked here too, and `--` ends
 * env's options, so no word can become one even if a name slipped past validation.
 */
export function envArgv(env: Readonly<Record<string, string>>, argv: readonly string[]): string[] {
  const entries = Object.entries(env);
  if (entries.length === 0) return [...argv];
  for (const [name] of entries) {
    const problem = envNameProblem(name);
    if (problem) throw new EnvNameError(problem);
  }
  if (argv[0]?.includes('=')) throw new EnvNameError(`the command "${argv[0]}" contains "=": env would read it as a variable; give a path instead`);
  return ['env', '--', ...entries.map(([name, value]) => `${name}=${value}`), ...argv];
}
