// Imported first by main.ts: zod decides at schema construction whether to compile validators with `new Function`,
// which the page's CSP (no 'unsafe-eval') rejects and reports as a violation. Jitless validation needs no eval.
import { config } from 'zod';

config({ jitless: true });
