// One llama.cpp measurement (node-llama-cpp's prebuilt CPU binaries): prompt processing and greedy decode
// tokens/s of a GGUF file at a thread count. Prints one JSON line. Used by run.sh, which alternates it with
// `ledgermind bench decoder` on the same file; not part of the build.
//   node llamacpp.mjs --modules DIR --model FILE --threads N --prompt-tokens P --decode-tokens D
import path from "node:path";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
for (const k of ["modules", "model", "threads", "prompt-tokens", "decode-tokens"]) {
    if (args[k] === undefined) {
        console.error(`llamacpp.mjs: --${k} is required`);
        process.exit(2);
    }
}
const threads = Number(args.threads), promptTokens = Number(args["prompt-tokens"]), decodeTokens = Number(args["decode-tokens"]);
const {getLlama} = await import(path.join(args.modules, "node-llama-cpp/dist/index.js"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: args.model, useMmap: true});
const context = await model.createContext({contextSize: promptTokens + decodeTokens + 8, batchSize: 512, threads});
const sequence = context.getSequence();
// token ids 1..P of the file's vocabulary (synthetic weights: the text does not matter, the work does)
const prompt = Array.from({length: promptTokens}, (_, i) => 1 + (i * 7919) % 250);
let t0 = process.hrtime.bigint();
await sequence.evaluateWithoutGeneratingNewTokens(prompt);
const promptSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
let decoded = 0;
t0 = process.hrtime.bigint();
for await (const token of sequence.evaluate([prompt[prompt.length - 1]], {temperature: 0})) {
    if (++decoded >= decodeTokens) break;
}
const decodeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({
    engine: "llama.cpp", release: llama.llamaCppRelease?.release ?? null, model: args.model, threads,
    promptTokens, decodeTokens: decoded,
    prefillTokensPerSecond: promptTokens / promptSeconds, decodeTokensPerSecond: decoded / decodeSeconds,
}));
await context.dispose();
await model.dispose();
await llama.dispose();
