// Field schemas every part of the data model shares: their error messages say what was expected and what was given.
import { z } from 'zod';
import { ENV_NAME, envNameProblem } from '../shell/env';

/** Describes a value the way a user wrote it, for "got …" in error messages. */
export function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (typeof input === 'string') return JSON.stringify(input);
  if (typeof input === 'number' || typeof input === 'boolean') return String(input);
  if (Array.isArray(input)) return 'a list';
  return 'a mapping';
}

export const positiveInt = (what = 'a positive integer') =>
  z
    .number({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` })
    .int({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` })
    .positive({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` });

export const nonNegativeInt = () =>
  z
    .number({ error: (iss) => `expected a non-negative integer, got ${describeInput(iss.input)}` })
    .int({ error: (iss) => `expected a non-negative integer, got ${describeInput(iss.input)}` })
    .nonnegative({ error: (iss) => `expected a non-negative integer, got ${describeInput(iss.input)}` });

export const text = (what = 'a string') =>
  z.string({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` }).min(1, { error: `expected ${what}, got an empty string` });

/**
 * Environment variables for a command on a host. Each name becomes an `env NAME=VALUE` word there, so names are
 * checked on load (the key's position is reported); the JSON Schema carries the pattern for editors.
 */
export const envVars = () =>
  z.record(z.string().regex(ENV_NAME), z.string(), {
    error: (iss) => (iss.code === 'invalid_key' ? envNameProblem(String(iss.input)) : undefined),
  });

/** A name ssh connects with: OpenSSH's rules, since it may reach a ProxyCommand's shell as %h, %n or %r. */
export const sshName = (what: string, problem: (name: string) => string | undefined) =>
  text(what).superRefine((name, ctx) => {
    const why = problem(name);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (iss) => `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeInput(iss.input)}`,
  });

export const positiveNumber = (what = 'a positive number') =>
  z
    .number({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` })
    .positive({ error: (iss) => `expected ${what}, got ${describeInput(iss.input)}` });
