/** better-sqlite3's constructor, from the file its package entry re-exports (sqlite-backend.ts bundles it). */
declare module 'better-sqlite3/lib/database.js' {
  import type Database from 'better-sqlite3';
  const Constructor: typeof Database;
  export default Constructor;
}
