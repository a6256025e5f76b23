// Environment variable names as POSIX defines them. A name is checked before it becomes an `env NAME=VALUE` word: a
// word starting with `-` is an option to env (GNU env's `-S` splits and runs its own string).

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** Why a name cannot be an environment variable, or undefined when it can. */
export function envNameProblem(name: string): string | undefined {
  if (isEnvName(name)) return undefined;
  return `"${name}" is not a valid environment variable name: use letters, digits and _ (not starting with a digit)`;
}
