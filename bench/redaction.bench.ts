// The redaction stage's cost per transcript chunk, pure (no I/O): realistic lines, a quarter
// of them carrying personal data (cards written and spoken, phones, emails, account numbers),
// the rest look-alikes and plain talk, through redactChunk with each speaker's tail.
import { redactChunk, REDACT_ALL, type SpeakerTail } from '../packages/engine/src/index.ts';
import { LOOK_ALIKES, PII_SAMPLES } from '../packages/engine/test/fixtures/pii.ts';
import { measure, report } from './support/measure.ts';

const PLAIN = [
  'Hi, this is Dana calling from Brightside Solar. Is that Sam?',
  'You asked for a quote, how much do you currently spend on power each month?',
  "That sounds interesting, but I'm not sure we can afford the installation right now.",
  'Many customers felt the same; the finance plan costs less than the saving each month.',
  'Okay, how soon could someone come out and have a look at the roof?',
  'I can book a free survey for Thursday morning, would that work for you?',
];
const CHUNKS = [
  ...PII_SAMPLES.map(([, text]) => text),
  ...LOOK_ALIKES,
  ...PLAIN,
  ...PLAIN,
  ...PLAIN,
  'my card number is four one one one one one one one',
  'one one one one one one one one, and it expires oh four twenty seven',
];

export async function run(): Promise<void> {
  // Warm-up, so the figures are a running server's rather than the JIT's.
  for (let i = 0; i < 20_000; i++) redactChunk(CHUNKS[i % CHUNKS.length]!, undefined, REDACT_ALL);
  const tails: Array<SpeakerTail | undefined> = [undefined, undefined];
  const result = await measure(
    `redaction: one chunk (${CHUNKS.length} realistic lines in rotation, ${PII_SAMPLES.length} with PII)`,
    'chunks',
    50_000,
    1,
    async (i) => {
      const speaker = i % 2;
      const out = redactChunk(CHUNKS[i % CHUNKS.length]!, tails[speaker], REDACT_ALL);
      tails[speaker] = out.tail;
    },
  );
  console.log(report(result));
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
