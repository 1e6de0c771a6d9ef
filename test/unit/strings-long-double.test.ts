import { describe, expect, it } from 'vitest';
import { formatLongDouble, incrementByFloat, parseLongDouble } from '../../src/commands/long-double.js';

/**
 * INCRBYFLOAT results of a real redis-server 7.0.15 on x86-64 (80-bit long double), captured with
 * `SET x <a>` then `INCRBYFLOAT x <b>`: [a, b, reply].
 */
const REDIS_7_0_X86_64: [string, string, string][] = [
  ['0.1', '0.2', '0.3'],
  ['1.5', '-1.5', '0'],
  ['3', '1e-20', '3'],
  ['123456789.123456789', '0.000000001', '123456789.12345678999554366'],
  ['-0', '0', '0'],
  ['-5', '3.25', '-1.75'],
  ['1e30', '1', '1000000000000000000024696061952'],
  ['0x1p-3', '0', '0.125'],
  ['2.5', '1e17', '100000000000000002.5'],
  ['1e-10', '1e-10', '0.0000000002'],
  ['99999999999999999999', '1', '100000000000000000000'],
  ['0', '5e-18', '0'],
  ['0', '6e-18', '0.00000000000000001'],
  [
    '1e400',
    '0',
    '10000000000000000000281880683947586514586453433629052038625910693539685534008629862039363994848324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116674971723778943824391593338047470675026246684401359237513603830343735485505244955964979021825038280091068414947402456898653040951017512658092615827588920183472511643316591362664138176309734806343732497430221946880',
  ],
  [
    '7',
    '1.7976931348623157e308',
    '179769313486231569995921046774104434048386446944329178485314420765176628523124396354701868608387085564428793419425520689308708363451136055357897278026477617073498977686288394835618163294045594434929537447290627480669417384648879122776218333598953852832103282504751611691208117720159985926376802466863339536384',
  ],
];

describe('INCRBYFLOAT arithmetic in emulated x87 long double', () => {
  it.each(REDIS_7_0_X86_64)('%s + %s', (a, b, expected) => {
    expect(incrementByFloat(a, b)).toBe(expected);
  });

  it('parses what strtold accepts and refuses the rest', () => {
    for (const ok of ['1', '-1.5', '+2', '.5', '5.', '1e3', '1E+3', '0x1A', '0x.8p1', 'inf', '-Infinity']) {
      expect(parseLongDouble(ok), ok).not.toBeUndefined();
    }
    for (const bad of ['', ' 1', '1 ', 'nan', 'abc', '1e', '.', 'e5', '0x', '1e5000', '1e-5000', '--1']) {
      expect(parseLongDouble(bad), bad).toBeUndefined();
    }
  });

  it('reports non-finite results and invalid operands distinctly', () => {
    expect(incrementByFloat('1', 'inf')).toBe('nan-or-inf');
    expect(incrementByFloat('1e4932', '1e4932')).toBe('nan-or-inf');
    expect(incrementByFloat('x', '1')).toBe('notfloat');
  });

  it('formats with at most 17 fractional digits and no trailing zeros', () => {
    const third = parseLongDouble('0.333333333333333333333333');
    expect(third).not.toBeUndefined();
    expect(formatLongDouble(third as Exclude<typeof third, 'inf' | undefined>)).toBe('0.33333333333333333');
  });
});
