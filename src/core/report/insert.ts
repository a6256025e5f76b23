// Managed regions: the report lives between `<!-- serving-lab:begin ID -->` and `<!-- serving-lab:end ID -->` in a
// user's document. Inserting replaces that region (or appends one) and leaves every other byte as it was, so
// inserting the same content twice changes nothing, and re-inserting after a new run updates only the region.
import { readFile, realpath } from 'node:fs/promises';
import { writeFileAtomic } from '../results/store';

export const REGION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A marker problem. `message` is "line N: reason"; `line` (1-based) and `reason` are there for callers that add the file name. */
export class RegionMarkerError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

function beginMarker(regionId: string): string {
  return `<!-- serving-lab:begin ${regionId} -->`;
}

function endMarker(regionId: string): string {
  return `<!-- serving-lab:end ${regionId} -->`;
}

// A marker is a line of its own (up to three spaces of indentation, as for any HTML block in CommonMark).
const MARKER = /^ {0,3}<!--\s*serving-lab:(begin|end)\s+(\S+?)\s*-->[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

interface Line {
  number: number;
  /** Offset of the line's first character. */
  start: number;
  /** Offset just past the line's terminator. */
  end: number;
  text: string;
  eol: string;
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\n|\r|$)/g;
  let m: RegExpExecArray | null;
  let number = 1;
  while ((m = re.exec(text)) !== null) {
    if (m.index === text.length && m[0] === '') break;
    lines.push({ number: number++, start: m.index, end: m.index + m[0].length, text: m[1]!, eol: m[2]! });
  }
  return lines;
}

export interface Region {
  id: string;
  begin: Line;
  end: Line;
}

/**
 * Every managed region in the text. Markers inside fenced code blocks are examples, not markers. Throws
 * RegionMarkerError for a begin without end, an end without begin, a region inside another, or an ID used twice.
 */
export function findRegions(text: string): Region[] {
  const regions: Region[] = [];
  let open: { id: string; line: Line } | undefined;
  let fence: string | undefined;
  for (const line of splitLines(text)) {
    const fenceMatch = FENCE.exec(line.text);
    if (fence !== undefined) {
      if (fenceMatch && fenceMatch[1]![0] === fence[0] && fenceMatch[1]!.length >= fence.length && line.text.trim() === fenceMatch[1]) fence = undefined;
      continue;
    }
    if (fenceMatch) {
      fence = fenceMatch[1]!;
      continue;
    }
    const marker = MARKER.exec(line.text);
    if (!marker) continue;
    const [, kind, id] = marker as unknown as [string, 'begin' | 'end', string];
    if (kind === 'begin') {
      if (open) {
        throw new RegionMarkerError(
          `"${beginMarker(id)}" starts a region inside region "${open.id}" (begun on line ${open.line.number} and not ended); add "${endMarker(open.id)}" before line ${line.number}`,
          line.number,
        );
      }
      const earlier = regions.find((r) => r.id === id);
      if (earlier) {
        throw new RegionMarkerError(
          `region "${id}" appears a second time (first on line ${earlier.begin.number}); remove one of the two regions`,
          line.number,
        );
      }
      open = { id, line };
    } else {
      if (!open) {
        throw new RegionMarkerError(`"${endMarker(id)}" has no matching "${beginMarker(id)}" above it; remove it or add the begin marker`, line.number);
      }
      if (open.id !== id) {
        throw new RegionMarkerError(
          `"${endMarker(id)}" ends region "${id}", but the open region is "${open.id}" (begun on line ${open.line.number}); fix the marker's ID`,
          line.number,
        );
      }
      regions.push({ id, begin: open.line, end: line });
      open = undefined;
    }
  }
  if (open) {
    throw new RegionMarkerError(`"${beginMarker(open.id)}" is never ended; add "${endMarker(open.id)}" after the region`, open.line.number);
  }
  return regions;
}

/**
 * Puts `content` into region `regionId`: between its markers when the region exists, else appended at the end as a
 * new region. Bytes outside the region are kept as they are; the region uses the line ending of its begin marker
 * (or of the file), so a CRLF document stays CRLF.
 */
export function insertRegion(text: string, regionId: string, content: string): string {
  if (!REGION_ID_PATTERN.test(regionId)) {
    throw new Error(`region ID "${regionId}" must start with a letter or digit and contain only letters, digits, ".", "_" and "-"`);
  }
  if (splitLines(content).some((line) => MARKER.test(line.text))) {
    throw new Error('the content to insert contains serving-lab region markers itself; remove them, or the next insertion could not tell the regions apart');
  }
  const region = findRegions(text).find((r) => r.id === regionId);
  const eol = region?.begin.eol || /\r\n|\n|\r/.exec(text)?.[0] || '\n';
  // A blank line on each side keeps the markers separate HTML blocks in every markdown parser.
  const body = `${eol}${content.replace(/\r\n|\r|\n/g, eol).replace(new RegExp(`(${eol})+$`), '')}${eol}${eol}`;
  if (region) {
    return text.slice(0, region.begin.end) + body + text.slice(region.end.start);
  }
  const separator = text === '' ? '' : /(\r\n|\n|\r)$/.test(text) ? eol : eol + eol;
  return `${text}${separator}${beginMarker(regionId)}${eol}${body}${endMarker(regionId)}${eol}`;
}

/** A region-insertion failure with the file named: `FILE:LINE: what is wrong and what to do`. */
export class RegionFileError extends Error {}

/**
 * insertRegion on a file, written atomically. Returns whether the file changed; an unchanged file is not rewritten.
 * A missing file is created with just the region. Marker errors leave the file untouched.
 */
export async function insertRegionIntoFile(file: string, regionId: string, content: string): Promise<{ changed: boolean }> {
  // Write through a symlink to its target: renaming over the link would replace it with a plain file.
  const target = await realpath(file).catch(() => file);
  let text = '';
  try {
    text = await readFile(target, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let updated: string;
  try {
    updated = insertRegion(text, regionId, content);
  } catch (err) {
    if (err instanceof RegionMarkerError) throw new RegionFileError(`${file}:${err.line}: ${err.reason}`);
    throw err;
  }
  if (updated === text) return { changed: false };
  await writeFileAtomic(target, updated);
  return { changed: true };
}
