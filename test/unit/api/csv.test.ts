import { describe, expect, it } from 'vitest';
import { csvCell, csvDocument } from '../../../server/api/csv.js';

describe('CSV documents', () => {
  it('quotes fields with the delimiter, quotes or line breaks, and doubles quotes', () => {
    expect(csvCell('plain', 'en')).toBe('plain');
    expect(csvCell('a,b', 'en')).toBe('"a,b"');
    expect(csvCell('a,b', 'pl')).toBe('a,b');
    expect(csvCell('a;b', 'pl')).toBe('"a;b"');
    expect(csvCell('say "hi"', 'en')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines', 'en')).toBe('"two\nlines"');
    expect(csvCell('cr\r', 'pl')).toBe('"cr\r"');
  });

  it('writes numbers with the dialect decimal separator and leaves empties empty', () => {
    expect(csvCell(98.5, 'en')).toBe('98.5');
    expect(csvCell(98.5, 'pl')).toBe('98,5');
    expect(csvCell(-3, 'en')).toBe('-3');
    expect(csvCell(null, 'en')).toBe('');
    expect(csvCell(undefined, 'pl')).toBe('');
    expect(csvCell(Number.NaN, 'en')).toBe('');
    expect(csvCell(true, 'en')).toBe('true');
  });

  it('defuses text a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("x")', 'en')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('+48 600', 'en')).toBe("'+48 600");
    expect(csvCell('@sum', 'pl')).toBe("'@sum");
    expect(csvCell('-1', 'en')).toBe("'-1");
  });

  it('builds a BOM-prefixed document with CRLF lines and checks the row width', () => {
    const doc = csvDocument(
      ['customer', 'percent'],
      [
        ['Łódź Sp. z o.o.', 99.5],
        ['ACME, Inc.', null],
      ],
      'en',
    );
    expect(doc).toBe('\uFEFFcustomer,percent\r\nŁódź Sp. z o.o.,99.5\r\n"ACME, Inc.",\r\n');
    expect(csvDocument(['a', 'b'], [[1.5, 'x;y']], 'pl')).toBe('\uFEFFa;b\r\n1,5;"x;y"\r\n');
    expect(() => csvDocument(['a', 'b'], [['only one']])).toThrow(/row 1 has 1 cells, expected 2 \(a, b\)/);
  });
});
