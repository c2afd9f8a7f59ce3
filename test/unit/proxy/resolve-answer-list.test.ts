/**
 * How answer records are kept and handed to servers, as HAProxy 2.6's resolvers.c does:
 * XXH32 matches its published vectors; records are ordered by their key, not by the
 * answer; a server keeps the record it holds while it lives; a free record goes to the
 * first server asking (preferred family first, then its current address); a record held
 * in the same backend is never handed out twice, in another backend it may be; records
 * unseen for longer than `hold obsolete` go, and their servers let go of them.
 */
import { describe, expect, it } from 'vitest';
import { AnswerList, recordKey, type AddressHolder, type AnswerAddress } from '../../../src/proxy/resolve/answer-list.js';
import { addressBytes, addressText } from '../../../src/proxy/resolve/dns-message.js';
import { xxh32 } from '../../../src/proxy/resolve/xxh32.js';

const ip = (text: string): AnswerAddress => addressBytes(text)!;
const holder = (backend = 'b'): AddressHolder => ({ backend });
const text = (choice: ReturnType<AnswerList['choose']>) => (choice.outcome === 'change' ? addressText(choice.address) : choice.outcome);

describe('xxh32', () => {
  it('gives the specification’s values', () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(xxh32(bytes(''), 0)).toBe(0x02cc5d05);
    expect(xxh32(bytes('a'), 0)).toBe(0x550d7456);
    expect(xxh32(bytes('abc'), 0)).toBe(0x32d153ff);
    expect(xxh32(bytes('Nobody inspects the spammish repetition'), 0)).toBe(0xe2293b2f);
  });

  it('keys A and AAAA records with their type as the seed', () => {
    const v4 = ip('127.0.0.2');
    expect(recordKey(v4)).toBe(xxh32(v4.bytes, 1));
    const v6 = ip('::1');
    expect(recordKey(v6)).toBe(xxh32(v6.bytes, 28));
  });
});

describe('AnswerList', () => {
  // Keys: .2 < .3 < .5 < .4 (see recordKey): the order free addresses are handed out in.
  it('orders records by key whatever the answer order', () => {
    const list = new AnswerList();
    list.merge(['127.0.0.4', '127.0.0.5', '127.0.0.3', '127.0.0.2'].map(ip), 1);
    expect(list.records.map((r) => addressText(r))).toEqual(['127.0.0.2', '127.0.0.3', '127.0.0.5', '127.0.0.4']);
    const keys = list.records.map((r) => r.key);
    expect([...keys].sort((a, b) => a - b)).toEqual(keys);
  });

  it('hands free records to servers in turn, and none when all are held', () => {
    const list = new AnswerList();
    list.merge(['127.0.0.4', '127.0.0.3'].map(ip), 1);
    const [a, b, c] = [holder(), holder(), holder()];
    expect(text(list.choose(a, undefined, 4))).toBe('127.0.0.3');
    expect(text(list.choose(b, undefined, 4))).toBe('127.0.0.4');
    expect(text(list.choose(c, undefined, 4))).toBe('none');
  });

  it('lets a server keep what it holds, and take back its current address when free', () => {
    const list = new AnswerList();
    list.merge(['127.0.0.2', '127.0.0.3'].map(ip), 1);
    const a = holder();
    expect(text(list.choose(a, ip('127.0.0.3'), 4))).toBe('keep');
    expect(list.holderOf(a) && addressText(list.holderOf(a)!)).toBe('127.0.0.3');
    expect(text(list.choose(a, undefined, 4))).toBe('keep');
  });

  it('prefers the preferred family over a current address of the other', () => {
    const list = new AnswerList();
    list.merge([ip('127.0.0.2'), ip('fd00::2')], 1);
    expect(text(list.choose(holder(), ip('127.0.0.2'), 6))).toBe('fd00:0:0:0:0:0:0:2');
    const other = new AnswerList();
    other.merge([ip('fd00::2'), ip('127.0.0.2')], 1);
    expect(text(other.choose(holder(), undefined, 4))).toBe('127.0.0.2');
  });

  it('shares a record across backends but not within one', () => {
    const list = new AnswerList();
    list.merge([ip('127.0.0.2')], 1);
    expect(text(list.choose(holder('one'), undefined, 4))).toBe('127.0.0.2');
    expect(text(list.choose(holder('two'), undefined, 4))).toBe('127.0.0.2');
    expect(text(list.choose(holder('one'), undefined, 4))).toBe('none');
  });

  it('drops records unseen for longer than hold obsolete, freeing their servers', () => {
    const list = new AnswerList();
    list.merge(['127.0.0.2', '127.0.0.3'].map(ip), 100);
    const [a, b] = [holder(), holder()];
    list.choose(a, undefined, 4); // .2
    list.choose(b, undefined, 4); // .3
    list.merge([ip('127.0.0.3'), ip('127.0.0.4')], 200);
    list.purgeObsolete(150, 200);
    expect(list.records).toHaveLength(3); // .2 was seen 100 ms ago: held for 150
    list.purgeObsolete(0, 200);
    expect(list.records.map((r) => addressText(r))).toEqual(['127.0.0.3', '127.0.0.4']);
    expect(list.holderOf(a)).toBeUndefined();
    expect(text(list.choose(a, ip('127.0.0.2'), 4))).toBe('127.0.0.4');
    expect(text(list.choose(b, ip('127.0.0.3'), 4))).toBe('keep');
  });

  it('frees a server that is released, and everything on clear', () => {
    const list = new AnswerList();
    list.merge([ip('127.0.0.2')], 1);
    const [a, b] = [holder(), holder()];
    list.choose(a, undefined, 4);
    expect(text(list.choose(b, undefined, 4))).toBe('none');
    list.release(a);
    expect(text(list.choose(b, undefined, 4))).toBe('127.0.0.2');
    list.clear();
    expect(list.records).toHaveLength(0);
    expect(list.holderOf(b)).toBeUndefined();
  });
});
