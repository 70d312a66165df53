import { execFileSync } from 'node:child_process';
import { parseEnv } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { dotenvLine, dotenvText } from './simulator-dotenv.js';

const AWKWARD = {
  DEFAULT_PASSWORD: 'sim-p@ss+w0rd=50%',
  URL: 'http://127.0.0.1:4010',
  SPACES: 'p@ss w0rd',
  SHELL: 'a&b;c|d$HOME`x`"q"\\n#not-a-comment',
  EDGES: ' leading and trailing ',
};

describe('the .env lines of the simulator command', () => {
  it('writes a value no reader interprets bare, the simulator’s default password included', () => {
    expect(dotenvLine('ENKASH_PASSWORD', 'sim-p@ss+w0rd=50%')).toBe(
      'ENKASH_PASSWORD=sim-p@ss+w0rd=50%',
    );
    expect(dotenvLine('ENKASH_BASE_URL', 'http://127.0.0.1:4010')).toBe(
      'ENKASH_BASE_URL=http://127.0.0.1:4010',
    );
  });

  it('puts any other value in single quotes', () => {
    expect(dotenvLine('ENKASH_PASSWORD', 'p@ss w0rd')).toBe("ENKASH_PASSWORD='p@ss w0rd'");
    expect(dotenvLine('ENKASH_PASSWORD', 'a#b')).toBe("ENKASH_PASSWORD='a#b'");
  });

  it('ends every line with a line break', () => {
    expect(dotenvText({ A: '1', B: '2' })).toBe('A=1\nB=2\n');
  });

  it("reads back as the same values with Node's own .env parser", () => {
    expect(parseEnv(dotenvText(AWKWARD))).toEqual(AWKWARD);
  });

  it('reads back as the same values in a POSIX shell', () => {
    // `set -a` exports what the lines assign; "$0" is this very node, to print the environment as JSON.
    const script = `set -a; eval "$DOTENV"; set +a; exec "$0" -e 'process.stdout.write(JSON.stringify(process.env))'`;
    const { NODE_OPTIONS: _jest, ...environment } = process.env;
    const output = execFileSync('sh', ['-c', script, process.execPath], {
      env: { ...environment, DOTENV: dotenvText(AWKWARD) },
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toMatchObject(AWKWARD);
  });

  it('refuses a value that no quoting puts on one line', () => {
    expect(() => dotenvLine('ENKASH_PASSWORD', "it's")).toThrow(RangeError);
    expect(() => dotenvLine('ENKASH_PASSWORD', 'a\nb')).toThrow(/cannot be one \.env line/);
  });
});
