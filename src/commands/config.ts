import { CONFIG_KEYS, CONFIG_KEY_NAMES, DEFAULT_CONFIG, parseConfigValue, resolveConfigKey } from '../engine/config.js';
import { paint, renderTable } from './format.js';
import { type GlobalOptions, out, printJson, withQueue } from './shared.js';

export interface ConfigOptions extends GlobalOptions {
  json?: boolean;
}

export async function runConfigList(o: ConfigOptions): Promise<number> {
  const config = await withQueue(o.db, (queue) => queue.config());
  if (o.json) {
    printJson(config);
    return 0;
  }
  const rows = CONFIG_KEY_NAMES.map((k) => {
    const changed = config[k] !== DEFAULT_CONFIG[k];
    return [k, changed ? paint(String(config[k]), 'yellow') : String(config[k]), String(DEFAULT_CONFIG[k]), CONFIG_KEYS[k].help];
  });
  out(
    renderTable(
      [{ header: 'KEY' }, { header: 'VALUE', align: 'right' }, { header: 'DEFAULT', align: 'right' }, { header: 'MEANING', shrink: true, min: 20 }],
      rows,
    ),
  );
  return 0;
}

export async function runConfigGet(key: string, o: ConfigOptions): Promise<number> {
  const k = resolveConfigKey(key);
  const config = await withQueue(o.db, (queue) => queue.config());
  if (o.json) printJson({ key: k, value: config[k] });
  else out(String(config[k]));
  return 0;
}

export async function runConfigSet(key: string, value: string, o: ConfigOptions): Promise<number> {
  // Checked before opening, so a typo creates no database.
  parseConfigValue(resolveConfigKey(key), value);
  const set = await withQueue(o.db, (queue) => queue.setConfig(key, value), { create: true });
  if (o.json) printJson(set);
  else out(`${set.key} = ${set.value}`);
  return 0;
}
