// Prints the packaged extension's size, so growth is visible in every packaging run.
import { statSync } from 'node:fs';

const file = process.argv[2] ?? 'serving-lab.vsix';
const bytes = statSync(file).size;
console.log(`${file}: ${(bytes / 1024 / 1024).toFixed(2)} MB (${bytes} bytes)`);
