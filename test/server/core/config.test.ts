import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/src/config/config.ts';

describe('config', () => {
  it('Given no variables, then the documented defaults apply and the object is frozen', () => {
    const config = loadConfig({}, []);
    expect(config.core.port).toBe(8080);
    expect(config.core.dataDir).toBe(path.resolve('./data'));
    expect(config.core.imagesDir).toBe(path.join(path.resolve('./data'), 'images'));
    expect(config.core.databaseUrl).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.core)).toBe(true);
  });

  it('Given several invalid values, then one ConfigError lists every one of them', () => {
    let error: unknown;
    try {
      loadConfig(
        { PORT: 'eighty', DATABASE_URL: 'mysql://x', NODE_ENV: 'staging', BRUME_LOG_LEVEL: 'loud' },
        [],
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'NODE_ENV', 'BRUME_LOG_LEVEL'])
      expect(problems).toContain(name);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it('Given flags and env, then flags win and BRUME_IMAGES_DIR follows the data dir', () => {
    const config = loadConfig({ PORT: '9000', BRUME_DATA_DIR: '/srv/a' }, [
      '--port',
      '9100',
      '--data-dir',
      '/srv/b',
    ]);
    expect(config.core.port).toBe(9100);
    expect(config.core.dataDir).toBe('/srv/b');
    expect(config.core.imagesDir).toBe('/srv/b/images');
  });

  it('Given an explicit images dir and a PostgreSQL URL, then both are kept', () => {
    const config = loadConfig({ BRUME_IMAGES_DIR: '/images', DATABASE_URL: 'postgres://u@h/db' }, []);
    expect(config.core.imagesDir).toBe('/images');
    expect(config.core.databaseUrl).toBe('postgres://u@h/db');
  });
});
