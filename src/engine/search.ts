/**
 * What a text filter (`list --search`, the dashboard's `/`) means, for every adapter: a job
 * matches when the term is a substring of its id or of its command, ignoring case (Unicode
 * lower case, so `ÉCOLE` finds `école`). Adapters answer terms of `MIN_INDEXED_CHARS` or more
 * through an index of three-character pieces (trigrams) and shorter terms by reading jobs newest
 * first until a page is full; both give the same answers. (SQLite's index folds case by
 * Unicode's simple case folding, JavaScript by its lower-case mapping: they differ only for a
 * handful of characters, such as the dotted `İ`.)
 */

/** The shortest term an index of trigrams can answer (shorter ones have no trigram). */
export const MIN_INDEXED_CHARS = 3;

/**
 * How many of the newest matches a filtered count reads before it stops. Beyond it the counts
 * are lower bounds (`MatchCounts.exact` false) and are shown as `N+`: an exact count of a term
 * found in most of a million jobs costs as much as reading them all.
 */
export const COUNT_BOUND = 10_000;

/** The term as matched: lower case (the index folds case the same way). */
export function foldTerm(term: string): string {
  return term.toLowerCase();
}

/** Characters, not UTF-16 units: a trigram is three code points. */
export function termLength(term: string): number {
  return [...term].length;
}

export function isIndexedTerm(term: string): boolean {
  return termLength(term) >= MIN_INDEXED_CHARS;
}

/** Whether `text` (an id or a command) contains the already-folded term. */
export function containsFolded(text: string, folded: string): boolean {
  return text.toLowerCase().includes(folded);
}

/** The distinct trigrams of a text, lower case: what a job is indexed under, or what a term needs. */
export function trigrams(text: string): string[] {
  const chars = [...foldTerm(text)];
  const out = new Set<string>();
  for (let i = 0; i + MIN_INDEXED_CHARS <= chars.length; i++) out.add(chars.slice(i, i + MIN_INDEXED_CHARS).join(''));
  return [...out];
}
