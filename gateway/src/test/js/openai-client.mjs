// Drives the official `openai` npm client, unchanged, against a running gateway and prints one JSON
// document with what it saw; the Java test (OpenAiNpmClientTest) asserts on it.
// Usage: node openai-client.mjs BASE_URL
import OpenAI from 'openai';

const baseURL = process.argv[2] + '/v1';
const client = new OpenAI({ baseURL, apiKey: 'unused' });
const out = {};

// chat, streamed, with stream_options.include_usage
const stream = await client.chat.completions.create({
  model: 'tiny',
  messages: [{ role: 'user', content: 'Hello there' }],
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: 8,
  temperature: 0,
  seed: 11,
});
let text = '';
let chunks = 0, emptyChoiceChunks = 0, usage = null, receipt = null, finish = null;
for await (const chunk of stream) {
  chunks++;
  if (chunk.choices.length === 0) emptyChoiceChunks++;
  for (const c of chunk.choices) {
    if (c.delta?.content) text += c.delta.content;
    if (c.finish_reason) finish = c.finish_reason;
  }
  if (chunk.usage) usage = chunk.usage;
  if (chunk.ledgermind) receipt = chunk.ledgermind.receipts[0];
}
out.chat = { text, chunks, emptyChoiceChunks, usage, finish, receiptId: receipt?.id };

// the same request without streaming
const whole = await client.chat.completions.create({
  model: 'tiny', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 8, temperature: 0, seed: 11,
});
out.chatWhole = { text: whole.choices[0].message.content, receiptId: whole.ledgermind.receipts[0].id };

// embeddings: with no encoding_format the client asks for base64 on the wire and decodes it to floats
// itself; with encoding_format 'base64' it hands back the strings, decoded here as float32 little-endian
const input = ['A cat sits on the mat', 'Stocks fell'];
const auto = await client.embeddings.create({ model: 'all-minilm-l6-v2', input });
const b64 = await client.embeddings.create({ model: 'all-minilm-l6-v2', input, encoding_format: 'base64' });
const flt = await client.embeddings.create({ model: 'all-minilm-l6-v2', input, encoding_format: 'float' });
const decode = s => { const b = Buffer.from(s, 'base64'); return Array.from(new Float32Array(b.buffer, b.byteOffset, b.length / 4)); };
out.embeddings = {
  auto: auto.data.map(d => Array.from(d.embedding)),
  base64: b64.data.map(d => decode(d.embedding)),
  base64IsString: typeof b64.data[0].embedding === 'string',
  float: flt.data.map(d => d.embedding),
  receiptId: auto.ledgermind.receipts[0].id,
};

// a bad request surfaces as the client's typed error
try {
  await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] });
  out.error = null;
} catch (e) {
  out.error = { status: e.status, code: e.code, type: e.type, param: e.param };
}
console.log(JSON.stringify(out));
