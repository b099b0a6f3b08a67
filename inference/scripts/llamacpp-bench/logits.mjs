// llama.cpp's logits at every position of a fixed token sequence (node-llama-cpp's prebuilt CPU binaries), for
// the fidelity comparison in FidelityBench: one batched evaluation of the whole sequence, the raw logits of the
// next token after each position, no sampling options. Prints one JSON object {vocab, positions, logits: [[...]]}.
// Not part of the build.
//   node logits.mjs --modules DIR --model FILE --tokens 1,2,3,... [--threads N]
import path from "node:path";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
for (const k of ["modules", "model", "tokens"]) {
    if (args[k] === undefined) {
        console.error(`logits.mjs: --${k} is required`);
        process.exit(2);
    }
}
const tokens = args.tokens.split(",").map(Number);
if (tokens.some(t => !Number.isInteger(t) || t < 0)) {
    console.error(`logits.mjs: --tokens must be comma-separated token ids, got ${args.tokens}`);
    process.exit(2);
}
const {getLlama} = await import(path.join(args.modules, "node-llama-cpp/dist/index.js"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: args.model, useMmap: true});
const context = await model.createContext({contextSize: tokens.length + 8, batchSize: 512, threads: Number(args.threads ?? 1)});
const sequence = context.getSequence();
const out = await sequence.controlledEvaluate(tokens.map(t => [t, {generateNext: {logits: true}}]));
const vocab = out[0]?.next?.logits?.size ?? 0;
const logits = out.map((o, i) => {
    const m = o?.next?.logits;
    if (m == null) throw new Error(`no logits at position ${i}`);
    if (m.size !== vocab) throw new Error(`position ${i} has ${m.size} logits, position 0 has ${vocab}`);
    const row = new Array(vocab).fill(null);
    for (const [tok, v] of m) row[tok] = v;
    return row;
});
console.log(JSON.stringify({engine: "llama.cpp", release: llama.llamaCppRelease?.release ?? null, vocab, positions: tokens.length, logits}));
await context.dispose();
await model.dispose();
await llama.dispose();
