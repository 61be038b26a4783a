// The payload codec (temporal/payload-codec.ts) and its keys (temporal/codec-keys.ts): what leaves
// for Temporal is ciphertext that names its key, decrypts under that key after any rotation, fails
// loudly when altered or when its key is gone, and leaves what it did not encrypt alone.
import { createCipheriv, createHash, randomBytes, webcrypto } from 'node:crypto';
import { expect } from 'chai';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadCodecError, isEncrypted } from '../../temporal/payload-codec';
import { keyWeakness, newCodecKeyEntry, parseCodecKeys } from '../../temporal/codec-keys';
import { keysOf, testKeyEntry } from '../support/codec';

const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');
const ticketInput = {
  ticketId: '6f1c2e0a-9b1d-4c55-8f7e-2a3b4c5d6e7f',
  customerName: 'Acme Ltd',
  subject: 'Backups failing since 09:00',
  requester: { name: 'Ana Ruiz', email: 'ana@acme.example' },
};
const plain = (): Payload => defaultPayloadConverter.toPayload(ticketInput)!;

function failure(f: () => unknown): PayloadCodecError {
  try {
    f();
  } catch (err) {
    expect(err).to.be.instanceOf(PayloadCodecError);
    return err as PayloadCodecError;
  }
  throw new Error('it did not fail');
}

describe('payload codec (AES-256-GCM)', () => {
  const old = keysOf(testKeyEntry('k1'));
  const rotated = keysOf([testKeyEntry('k1'), testKeyEntry('k2')].join(','), 'k2');

  it('round-trips a payload, metadata and all, and names the key it encrypted with', async () => {
    const codec = new AesGcmPayloadCodec(old);
    const [encoded] = await codec.encode([plain()]);
    expect(text(encoded.metadata!.encoding)).to.equal(ENCRYPTED_ENCODING);
    expect(text(encoded.metadata![KEY_ID_METADATA])).to.equal('k1');
    // Nothing of the original shows: neither its data nor its own encoding.
    expect(Object.keys(encoded.metadata!).sort()).to.deep.equal(['encoding', KEY_ID_METADATA].sort());
    for (const secret of ['Acme', 'Ana Ruiz', 'ana@acme.example', 'Backups', 'json/plain']) expect(text(encoded.data)).to.not.contain(secret);
    const [decoded] = await codec.decode([encoded]);
    expect(text(decoded.metadata!.encoding)).to.equal('json/plain');
    expect(defaultPayloadConverter.fromPayload(decoded)).to.deep.equal(ticketInput);
  });

  it('draws a new IV for every payload: the same payload twice is two different ciphertexts', async () => {
    const codec = new AesGcmPayloadCodec(old);
    const [a, b] = await codec.encode([plain(), plain()]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).to.equal(false);
    expect(Buffer.from(a.data!).subarray(0, 12).equals(Buffer.from(b.data!).subarray(0, 12))).to.equal(false);
  });

  it('after a rotation the new key encrypts and the old one still decrypts what it wrote', async () => {
    const before = new AesGcmPayloadCodec(old);
    const after = new AesGcmPayloadCodec(rotated);
    const [written] = await before.encode([plain()]);
    const [fresh] = await after.encode([plain()]);
    expect(text(fresh.metadata![KEY_ID_METADATA])).to.equal('k2');
    expect(defaultPayloadConverter.fromPayload((await after.decode([written]))[0])).to.deep.equal(ticketInput);
    expect(defaultPayloadConverter.fromPayload((await after.decode([fresh]))[0])).to.deep.equal(ticketInput);
    // The old key dropped too early: the payloads it wrote say which key they need.
    const withoutOld = new AesGcmPayloadCodec(keysOf(testKeyEntry('k2')));
    const e = failure(() => withoutOld.decodeOne(written));
    expect(e.code).to.equal('UNKNOWN_KEY_ID');
    expect(e.message).to.contain('"k1"').and.contain('TEMPORAL_CODEC_KEYS');
  });

  it('refuses a payload altered anywhere (IV, ciphertext, tag), cut short, or relabelled with another key', () => {
    const codec = new AesGcmPayloadCodec(rotated);
    const encoded = codec.encodeOne(plain());
    const data = Buffer.from(encoded.data!);
    for (const at of [0, 11, 12, data.length - 17, data.length - 16, data.length - 1]) {
      const tampered = Buffer.from(data);
      tampered[at] ^= 0x01;
      expect(failure(() => codec.decodeOne({ ...encoded, data: tampered })).code, `byte ${at}`).to.equal('NOT_AUTHENTIC');
    }
    expect(failure(() => codec.decodeOne({ ...encoded, data: data.subarray(0, data.length - 1) })).code).to.equal('NOT_AUTHENTIC');
    expect(failure(() => codec.decodeOne({ ...encoded, data: data.subarray(0, 20) })).code).to.equal('MALFORMED');
    const relabelled = { ...encoded, metadata: { ...encoded.metadata, [KEY_ID_METADATA]: Buffer.from('k1') } };
    expect(failure(() => codec.decodeOne(relabelled)).code).to.equal('NOT_AUTHENTIC');
    const unnamed = { ...encoded, metadata: { encoding: encoded.metadata!.encoding } };
    expect(failure(() => codec.decodeOne(unnamed)).code).to.equal('MALFORMED');
  });

  it('passes through what it did not encrypt: histories from before, search attributes, null and binary payloads', async () => {
    const codec = new AesGcmPayloadCodec(old);
    const payloads: Payload[] = [plain(), defaultPayloadConverter.toPayload(null)!, defaultPayloadConverter.toPayload(new Uint8Array([1, 2, 3]))!, { data: Buffer.from('no metadata') }, {}];
    const decoded = await codec.decode(payloads);
    decoded.forEach((p, i) => expect(p, `payload ${i}`).to.equal(payloads[i]));
    expect(payloads.some(isEncrypted)).to.equal(false);
  });

  it("reads the format of Temporal's reference samples: IV, then WebCrypto's ciphertext with its tag, over the serialized Payload", async () => {
    const raw = createHash('sha256').update('interop').digest();
    const key = await webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt']);
    const iv = randomBytes(12);
    const serialized = temporal.api.common.v1.Payload.encode(plain()).finish();
    const sealed = new Uint8Array(await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, serialized));
    const theirs: Payload = { metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from('sample') }, data: Buffer.concat([iv, sealed]) };
    const codec = new AesGcmPayloadCodec(keysOf(`sample:${raw.toString('base64')}`));
    expect(defaultPayloadConverter.fromPayload(codec.decodeOne(theirs))).to.deep.equal(ticketInput);
    // And ours is theirs: node's cipher, the same layout.
    const ours = codec.encodeOne(plain());
    const d = Buffer.from(ours.data!);
    const again = createCipheriv('aes-256-gcm', raw, d.subarray(0, 12));
    expect(Buffer.concat([again.update(serialized), again.final(), again.getAuthTag()]).equals(d.subarray(12))).to.equal(true);
  });
});

describe('payload codec keys (TEMPORAL_CODEC_KEYS, TEMPORAL_CODEC_KEY_ID)', () => {
  const problems = (text: string, current?: string): string[] => {
    const r = parseCodecKeys(text, current);
    return 'problems' in r ? r.problems : [];
  };

  it('takes one key, or several with the one that encrypts named', () => {
    const one = parseCodecKeys(testKeyEntry('k1'));
    expect('keys' in one && one.keys.current).to.equal('k1');
    const two = parseCodecKeys(`${testKeyEntry('k1')}, ${testKeyEntry('k2')}`, 'k2');
    expect('keys' in two && [two.keys.current, [...two.keys.keys.keys()]]).to.deep.equal(['k2', ['k1', 'k2']]);
    expect(problems(newCodecKeyEntry('fresh'))).to.deep.equal([]);
  });

  it('refuses keys that are not 32 random bytes, saying why and how to make one, never showing the key', () => {
    const cases: Array<[string, RegExp]> = [
      [`k1:${Buffer.alloc(16, 7).toString('base64')}`, /"k1" is weak: it is 16 bytes; AES-256 takes exactly 32/],
      [`k1:${Buffer.from('correct horse battery staple 123').toString('base64')}`, /"k1" is weak: it is text/],
      [`k1:${Buffer.alloc(32, 0).toString('base64')}`, /"k1" is weak: it has only 1 different bytes/],
      [`k1:${Buffer.concat([createHash('md5').update('x').digest(), createHash('md5').update('x').digest()]).toString('base64')}`, /"k1" is weak: it is a piece of 16 bytes repeated/],
      ['k1:not base64!', /"k1" is not standard base64/],
      [`k1:${createHash('sha256').update('x').digest('base64url')}`, /"k1" is not standard base64/],
      [createHash('sha256').update('x').digest('base64'), /key number 1 is not written id:base64/],
      [`bad id:${createHash('sha256').update('x').digest('base64')}`, /key number 1 is not written id:base64/],
      [`${testKeyEntry('k1')},${testKeyEntry('k1')}`, /"k1" is listed twice/],
      ['', /no key given/],
    ];
    for (const [text, why] of cases) {
      const found = problems(text);
      expect(found.join('\n'), text).to.match(why);
      if (!/twice/.test(String(why))) expect(found.join('\n')).to.contain('openssl rand -base64 32');
      expect(found.join('\n')).to.not.contain(text.split(':')[1] || '@@');
    }
  });

  it('asks which key encrypts once there are several, and refuses one that is not listed', () => {
    expect(problems(`${testKeyEntry('k1')},${testKeyEntry('k2')}`)).to.deep.equal(['TEMPORAL_CODEC_KEY_ID must name the key that encrypts, one of: k1, k2']);
    expect(problems(testKeyEntry('k1'), 'k9')).to.deep.equal(['TEMPORAL_CODEC_KEY_ID "k9" is not among the keys of TEMPORAL_CODEC_KEYS (k1)']);
  });

  it('never judges a random key weak', () => {
    for (let i = 0; i < 2000; i++) expect(keyWeakness(randomBytes(32))).to.equal(null);
  });
});
