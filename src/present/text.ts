/**
 * Text from job data (ids, commands, output, errors, worker names) made safe for a terminal, and
 * shell words made safe to paste. Shared by the CLI and the dashboard's status line.
 */

/** Quotes a word for a POSIX shell when it needs it, so a shown command can be pasted as is. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The styles queuectl itself writes (colours, bold, dim and their resets): kept as they are. */
// eslint-disable-next-line no-control-regex
const OWN_STYLE = /^\x1b\[(?:1|2|22|31|32|33|34|35|36|39|90)m/;

// C0 controls but tab and newline, DEL, and the C1 controls (which some terminals obey as ESC + x).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

/** How a control character is shown: caret notation (`^[` for ESC, `^?` for DEL), `\x9b` for C1. */
function shown(c: string): string {
  const code = c.charCodeAt(0);
  if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
  if (code === 0x7f) return '^?';
  return `\\x${code.toString(16)}`;
}

/**
 * Text a terminal shows but never obeys: every control character is made visible, so a job
 * cannot set the title, write the clipboard (OSC 52), clear the screen or move the cursor of the
 * person reading it. Tabs and line breaks stay, and so do queuectl's own styles.
 */
export function terminalSafe(text: string): string {
  if (!CONTROL.test(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\x1b') {
      const own = OWN_STYLE.exec(text.slice(i, i + 6));
      if (own) {
        out += own[0];
        i += own[0].length - 1;
        continue;
      }
    }
    out += CONTROL.test(c) ? shown(c) : c;
  }
  return out;
}

/** The longest piece of user input an error message repeats; the rest is cut. */
const MAX_ECHO = 80;

/**
 * An error message as the user sees it: made terminal-safe, and every quoted piece of input
 * longer than a line cut short, so a 10,000-character id is not echoed whole.
 */
export function safeMessage(message: string): string {
  const cut = message.replace(/"([^"\n]{0,100000})"/g, (whole, inner: string) =>
    inner.length > MAX_ECHO ? `"${inner.slice(0, MAX_ECHO)}…" (${inner.length} characters)` : whole,
  );
  return terminalSafe(cut).replace(/\n/g, ' ');
}
