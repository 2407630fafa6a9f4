/**
 * Reads field lists out of the vendor fact sheets in ../shared/vendor (beside the
 * repository, as CI lays it out), so contract tests check the sandbox against the
 * documents rather than against a copy of them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function vendorDoc(name: string): string {
  return readFileSync(resolve(REPO_ROOT, '../shared/vendor', name), 'utf8');
}

/** The text of the `## ` section whose heading starts with `heading`. */
export function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}`);
  if (start < 0) throw new Error(`no section '${heading}'`);
  const end = markdown.indexOf('\n## ', start + 4);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** PascalCase column names listed after `marker`, up to the first bullet. */
export function columnList(sectionText: string, marker: string): string[] {
  const from = sectionText.indexOf(marker);
  if (from < 0) throw new Error(`no '${marker}'`);
  const body = sectionText.slice(from + marker.length);
  const bullet = body.indexOf('\n- ');
  return (bullet < 0 ? body : body.slice(0, bullet)).split(/[\s,;.]+/).filter((t) => /^[A-Z][A-Za-z0-9]*$/.test(t));
}

/** Where `phrase` occurs in `text`, whatever whitespace (line breaks) separates its words. */
function find(text: string, phrase: string): { at: number; end: number } {
  const pattern = new RegExp(phrase.split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'));
  const match = pattern.exec(text);
  if (!match) throw new Error(`no '${phrase}'`);
  return { at: match.index, end: match.index + match[0].length };
}

/** The bullet (one list item, continuation lines included) that contains `phrase`. */
export function bullet(sectionText: string, phrase: string): string {
  const { at } = find(sectionText, phrase);
  const start = sectionText.lastIndexOf('\n- ', at);
  const end = sectionText.indexOf('\n- ', at);
  return sectionText.slice(start < 0 ? 0 : start, end < 0 ? undefined : end);
}

/** `backticked` names after `phrase` in `text`, leaving out anything in parentheses. */
export function backtickedNames(text: string, phrase: string): string[] {
  const rest = text.slice(find(text, phrase).end).replace(/\([^)]*\)/g, '');
  return [...rest.matchAll(/`([A-Za-z][A-Za-z0-9]*)`/g)].map((m) => m[1] as string);
}
