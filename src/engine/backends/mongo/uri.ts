/**
 * MongoDB connection strings, made safe to print.
 *
 * A URI may carry a password in its user info and secrets in its options
 * (`tlsCertificateKeyFilePassword`, `authMechanismProperties=AWS_SESSION_TOKEN:…`). Everything the
 * adapter prints, logs or throws goes through `maskUri` or a `Scrubber` first.
 */

const SCHEME = /^(mongodb(?:\+srv)?:\/\/)/i;
const SECRET_OPTION = /password|secret|token|key|credential|authmechanismproperties/i;

export interface ParsedMongoUri {
  scheme: string;
  username: string | null;
  password: string | null;
  /** host[:port][,host[:port]…] */
  hosts: string;
  /** Without the leading slash; '' when absent. */
  database: string;
  query: string;
}

/**
 * Splits a URI without URL(), which cannot hold the comma-separated host lists MongoDB allows.
 * User info ends at the last '@' before the options, so a password with a stray '/' or '@' is
 * still taken as a password (and masked) rather than printed as a host.
 */
export function parseMongoUri(uri: string): ParsedMongoUri | null {
  const m = SCHEME.exec(uri);
  if (!m) return null;
  const scheme = m[1].toLowerCase();
  let rest = uri.slice(m[1].length);
  const q = rest.indexOf('?');
  const query = q < 0 ? '' : rest.slice(q + 1);
  if (q >= 0) rest = rest.slice(0, q);
  let username: string | null = null;
  let password: string | null = null;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const info = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = info.indexOf(':');
    username = colon < 0 ? info : info.slice(0, colon);
    password = colon < 0 ? null : info.slice(colon + 1);
  }
  const slash = rest.indexOf('/');
  const hosts = slash < 0 ? rest : rest.slice(0, slash);
  const database = slash < 0 ? '' : rest.slice(slash + 1);
  return { scheme, username, password, hosts, database, query };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `mongodb://user:***@host:27017/db`: the password and secret-looking options masked. */
export function maskUri(uri: string): string {
  const p = parseMongoUri(uri);
  if (!p) return uri.replace(/\/\/[^@/]*@/, '//***@');
  let out = p.scheme;
  if (p.username !== null) out += p.password !== null ? `${p.username}:***@` : `${p.username}@`;
  out += p.hosts;
  if (p.database) out += `/${p.database}`;
  if (p.query) {
    const opts = p.query
      .split('&')
      .filter((kv) => kv.length > 0)
      .map((kv) => {
        const eq = kv.indexOf('=');
        const key = eq < 0 ? kv : kv.slice(0, eq);
        return SECRET_OPTION.test(key) && eq >= 0 ? `${key}=***` : kv;
      });
    if (opts.length > 0) out += `${p.database ? '' : '/'}?${opts.join('&')}`;
  }
  return out;
}

/** The database a URI names, or null when it names none. */
export function databaseOf(uri: string): string | null {
  const db = parseMongoUri(uri)?.database ?? '';
  return db ? safeDecode(db) : null;
}

/** Removes every spelling of a URI's secrets from text that may have come from the driver. */
export type Scrubber = (text: string) => string;

export function makeScrubber(uri: string): Scrubber {
  const p = parseMongoUri(uri);
  const secrets = new Set<string>();
  if (p?.password) {
    secrets.add(p.password);
    secrets.add(safeDecode(p.password));
    secrets.add(encodeURIComponent(safeDecode(p.password)));
  }
  for (const kv of p?.query.split('&') ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0 && SECRET_OPTION.test(kv.slice(0, eq)) && eq + 1 < kv.length) {
      secrets.add(kv.slice(eq + 1));
      secrets.add(safeDecode(kv.slice(eq + 1)));
    }
  }
  const masked = maskUri(uri);
  // Longest first, so a secret that contains another is removed whole.
  const list = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.split(uri).join(masked);
    for (const s of list) out = out.split(s).join('***');
    return out;
  };
}
