import { describe, expect, it } from 'vitest';
import { checkIpxeScript } from './ipxe-syntax.ts';

// The checker guards the boot-script tests, so it must itself be able to fail.
describe('iPXE syntax checker', () => {
  it('Given a well-formed menu script, then no errors, its labels and items', () => {
    const check = checkIpxeScript(
      [
        '#!ipxe',
        ':menu',
        'menu Host is NOT registered!',
        'item --gap -- Host is NOT registered!',
        'item fog.local Boot from hard disk',
        'choose --default fog.local --timeout 3000 target || goto fog.local',
        `goto \${target}`,
        ':fog.local',
        `iseq \${platform} efi && exit 0 || sanboot --no-describe --drive 0x80 || exit 0`,
        'login || goto menu',
        'params',
        `param username \${username}`,
        'chain http://10.0.0.1/boot.ipxe##params ||',
        '',
      ].join('\n'),
    );
    expect(check.errors).toEqual([]);
    expect([...check.labels]).toEqual(['menu', 'fog.local']);
    expect(check.items.map((i) => i.label)).toEqual([null, 'fog.local']);
  });

  it.each([
    ['missing shebang', 'echo hi\n', 'line 1: must be #!ipxe'],
    ['goto to a missing label', '#!ipxe\ngoto nowhere\n', 'target label nowhere does not exist'],
    ['item whose label is missing', '#!ipxe\nitem a A\nchoose x\n', 'target label a does not exist'],
    ['choose default missing', '#!ipxe\nchoose --default b x\n', 'target label b does not exist'],
    ['unclosed variable', `#!ipxe\necho \${name\n`, `line 2: unclosed \${`],
    ['unbalanced quote', '#!ipxe\necho "hi\n', 'line 2: unbalanced quote'],
    ['unknown command', '#!ipxe\nshell\n', 'line 2: unknown command shell'],
    ['dangling &&', '#!ipxe\nlogin &&\n', 'line 2: line ends with &&'],
    ['duplicate label', '#!ipxe\n:a\n:a\n', 'line 3: duplicate label a'],
    ['bad kernel URI', '#!ipxe\nkernel vmlinuz\n', 'line 2: kernel: bad URI vmlinuz'],
    [
      'param with three words',
      '#!ipxe\nparam a b c\n',
      'line 2: param: param takes a key and an optional value, got 3',
    ],
    ['control character', '#!ipxe\necho a\x1bb\n', 'line 2: control character'],
  ])('Given %s, then it reports it', (_name, script, error) => {
    expect(checkIpxeScript(script).errors).toContain(error);
  });
});
