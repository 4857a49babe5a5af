/**
 * A small iPXE script checker for tests: it knows the commands Brume emits and the rules iPXE
 * applies when it runs a script (first line `#!ipxe`, `:label` lines, `&&`/`||` chains, `${var}`
 * expansion, quotes) and reports every problem it finds. Not a full iPXE parser: anything it does
 * not recognise is an error, so a script using more than it knows fails loudly.
 */

export interface IpxeCommand {
  readonly line: number;
  readonly name: string;
  readonly args: readonly string[];
}

export interface IpxeMenuItem {
  readonly label: string | null;
  readonly text: string;
  readonly gap: boolean;
}

export interface IpxeCheck {
  readonly errors: readonly string[];
  readonly labels: ReadonlySet<string>;
  readonly commands: readonly IpxeCommand[];
  readonly items: readonly IpxeMenuItem[];
}

const LABEL = /^[A-Za-z0-9_.-]+$/;
const VAR_NAME = /^[A-Za-z0-9_./-]+(:[a-z]+)?$/;
const URI = /^(https?:\/\/|tftp:\/\/|\$\{)/;
const INT = /^(0x[0-9a-fA-F]+|\d+)$/;

type ArgCheck = (args: readonly string[], err: (m: string) => void, gotos: string[]) => void;

/** Splits leading `--opt [value]` options off; `valued` lists the options that take a value. */
function options(args: readonly string[], known: Record<string, boolean>, err: (m: string) => void) {
  const opts = new Map<string, string>();
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('--')) break;
    if (!(a in known)) err(`unknown option ${a}`);
    if (!known[a]) {
      opts.set(a, '');
      continue;
    }
    i += 1;
    const value = args[i];
    if (value === undefined) err(`option ${a} needs a value`);
    opts.set(a, value ?? '');
  }
  return { opts, rest: args.slice(i) };
}

const isVarRef = (s: string) => /^\$\{[^}]+\}$/.test(s);

const imageCommand: ArgCheck = (args, err) => {
  const { rest } = options(
    args,
    { '--name': true, '--autofree': false, '--replace': false, '--timeout': true },
    err,
  );
  if (rest.length === 0) err('needs a URI');
  else if (!URI.test(rest[0] ?? '')) err(`bad URI ${rest[0]}`);
};

const count =
  (min: number, max: number, what = 'arguments'): ArgCheck =>
  (args, err) => {
    if (args.length < min || args.length > max) err(`takes ${min}-${max} ${what}, got ${args.length}`);
  };

const COMMANDS: Record<string, ArgCheck> = {
  menu: () => {},
  item: (args, err, gotos) => {
    const { opts, rest } = options(
      args,
      { '--key': true, '--default': false, '--gap': false, '--menu': true },
      err,
    );
    if (opts.has('--gap')) return;
    if (rest.length < 1) err('item needs a label');
    else gotos.push(rest[0] ?? '');
  },
  choose: (args, err, gotos) => {
    const { opts, rest } = options(
      args,
      { '--default': true, '--timeout': true, '--menu': true, '--keep': false },
      err,
    );
    const d = opts.get('--default');
    if (d !== undefined) gotos.push(d);
    const t = opts.get('--timeout');
    if (t !== undefined && !INT.test(t)) err(`bad timeout ${t}`);
    if (rest.length !== 1 || !VAR_NAME.test(rest[0] ?? '')) err('choose needs one variable name');
  },
  goto: (args, err, gotos) => {
    if (args.length !== 1) err('goto takes one label');
    else if (!isVarRef(args[0] ?? '')) gotos.push(args[0] ?? '');
  },
  kernel: imageCommand,
  initrd: imageCommand,
  imgfetch: imageCommand,
  chain: imageCommand,
  boot: count(0, 1),
  exit: (args, err) => {
    if (args.length > 1 || (args[0] !== undefined && !INT.test(args[0])))
      err('exit takes an optional number');
  },
  sleep: (args, err) => {
    if (args.length !== 1 || !INT.test(args[0] ?? '')) err('sleep takes a number of seconds');
  },
  echo: () => {},
  login: count(0, 0),
  params: (args, err) => {
    options(args, { '--name': true, '--delete': false }, err);
  },
  param: (args, err) => {
    const { rest } = options(args, { '--params': true, '--header': false }, err);
    if (rest.length < 1 || rest.length > 2)
      err(`param takes a key and an optional value, got ${rest.length}`);
  },
  sanboot: (args, err) => {
    const { opts, rest } = options(args, { '--no-describe': false, '--drive': true, '--keep': false }, err);
    const drive = opts.get('--drive');
    if (drive !== undefined && !INT.test(drive)) err(`bad drive ${drive}`);
    if (rest.length > 1) err('sanboot takes at most one URI');
  },
  set: (args, err) => {
    if (args.length < 1 || !VAR_NAME.test(args[0] ?? '')) err('set needs a setting name');
  },
  isset: count(1, 1),
  iseq: count(2, 2),
  read: (args, err) => {
    if (args.length !== 1 || !VAR_NAME.test(args[0] ?? '')) err('read needs one variable name');
  },
};

/** Checks `${...}` balance and names; returns the problems. */
function checkExpansions(line: string): string[] {
  const problems: string[] = [];
  for (let at = line.indexOf('${'); at !== -1; at = line.indexOf('${', at + 2)) {
    const close = line.indexOf('}', at);
    if (close === -1) {
      problems.push('unclosed ${');
      break;
    }
    const name = line.slice(at + 2, close);
    if (name.includes('${')) problems.push('nested ${ is not used by Brume');
    else if (!VAR_NAME.test(name)) problems.push(`bad variable name ${JSON.stringify(name)}`);
  }
  return problems;
}

function tokenize(line: string, err: (m: string) => void): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of line) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (ch === ' ' || ch === '\t') {
      if (has) tokens.push(current);
      current = '';
      has = false;
    } else {
      current += ch;
      has = true;
    }
  }
  if (quote !== null) err('unbalanced quote');
  if (has) tokens.push(current);
  return tokens;
}

function parseLine(
  line: string,
  n: number,
  err: (m: string) => void,
  gotos: string[],
  out: IpxeCommand[],
  items: IpxeMenuItem[],
) {
  const lineErr = (m: string) => err(`line ${n}: ${m}`);
  for (const p of checkExpansions(line)) lineErr(p);
  const tokens = tokenize(line, lineErr);
  let segment: string[] = [];
  const flush = (op: string | null) => {
    const [name, ...args] = segment;
    segment = [];
    if (name === undefined) {
      if (op !== null || out.length === 0) lineErr(op === null ? 'empty command' : `nothing before ${op}`);
      return;
    }
    const check = COMMANDS[name];
    if (check === undefined) return lineErr(`unknown command ${name}`);
    check(args, (m) => lineErr(`${name}: ${m}`), gotos);
    out.push({ line: n, name, args });
    if (name === 'item') {
      const gap = args.includes('--gap');
      const rest = args.filter((a) => !a.startsWith('--'));
      items.push(
        gap
          ? { label: null, text: rest.join(' '), gap }
          : { label: rest[0] ?? null, text: rest.slice(1).join(' '), gap },
      );
    }
  };
  const before = out.length;
  tokens.forEach((t, i) => {
    if (t === '&&' || t === '||') {
      if (segment.length === 0) lineErr(`nothing before ${t}`);
      flush(t);
      // A trailing `||` means "ignore failure"; a trailing `&&` is an error.
      if (i === tokens.length - 1 && t === '&&') lineErr('line ends with &&');
    } else segment.push(t);
  });
  if (segment.length > 0) flush(null);
  if (out.length === before && tokens.length > 0 && !tokens.every((t) => t === '||')) lineErr('no command');
}

function hasControlCharacter(line: string): boolean {
  return Array.from(line).some((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return (code < 0x20 && code !== 0x09) || code === 0x7f;
  });
}

export function checkIpxeScript(text: string): IpxeCheck {
  const errors: string[] = [];
  const err = (m: string) => errors.push(m);
  const lines = text.split('\n');
  if (lines[0] !== '#!ipxe') err('line 1: must be #!ipxe');
  if (!text.endsWith('\n')) err('script must end with a newline');
  const labels = new Set<string>();
  const gotos: string[] = [];
  const commands: IpxeCommand[] = [];
  const items: IpxeMenuItem[] = [];
  lines.slice(1).forEach((raw, i) => {
    const n = i + 2;
    if (hasControlCharacter(raw)) err(`line ${n}: control character`);
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith(':')) {
      const label = line.slice(1);
      if (!LABEL.test(label)) err(`line ${n}: bad label ${JSON.stringify(label)}`);
      if (labels.has(label)) err(`line ${n}: duplicate label ${label}`);
      labels.add(label);
      return;
    }
    parseLine(line, n, err, gotos, commands, items);
  });
  for (const target of gotos) if (!labels.has(target)) err(`target label ${target} does not exist`);
  return { errors, labels, commands, items };
}
