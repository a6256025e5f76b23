// What the CLI prints comes partly from stored files (results, experiments, engine logs, hosts files) that anyone
// could have written. A terminal obeys escape sequences in them: OSC 52 writes the clipboard, CSI moves the cursor
// and rewrites what was printed, OSC 8 hides link targets. So text bound for the terminal keeps only printable
// characters, tab and line breaks.

/** CSI (`ESC [` … final byte), OSC (`ESC ]` … BEL or ST), other escape sequences, then any C0/C1 control left. */
const ESCAPE_SEQUENCE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]?|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?/g;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)/g;

export function forTerminal(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}
