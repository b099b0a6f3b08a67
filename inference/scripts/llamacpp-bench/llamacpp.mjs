// One llama.cpp measurement (node-llama-cpp's prebuilt CPU binaries): prompt processing and greedy decode
// tokens/s of a GGUF file at a thread count. Prints one JSON line. Used by run.sh, which alternates it with
// `ledgermind bench decoder` on the same file; not part of the build.
//   node llamacpp.mjs --modules DIR --model FILE --threads N --prompt-tokens P --decode-tokens D [--repeats R]
// With --repeats R (default 1), one unmeasured warm-up run (prompt and 4 decoded tokens) comes first and the figures
// are the medians of R measured runs, each on a cleared context: the steady state of a long-running process, as
// `ledgermind bench decoder --repeats R` measures its own side. With R = 1 and no warm-up (--repeats 0), the first
// run of a fresh process.
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
const repeats = args.repeats === undefined ? 1 : Number(args.repeats);
for (const [k, v, min] of [["threads", threads, 1], ["prompt-tokens", promptTokens, 1], ["decode-tokens", decodeTokens, 1], ["repeats", repeats, 0]]) {
    if (!Number.isInteger(v) || v < min) {
        console.error(`llamacpp.mjs: --${k} must be an integer >= ${min}, found ${args[k]}`);
        process.exit(2);
    }
}
const {getLlama} = await import(path.join(args.modules, "node-llama-cpp/dist/index.js"));
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: args.model, useMmap: true});
const context = await model.createContext({contextSize: promptTokens + decodeTokens + 8, batchSize: 512, threads});
const sequence = context.getSequence();
// token ids 1..P of the file's vocabulary (synthetic weights: the text does not matter, the work does)
const prompt = Array.from({length: promptTokens}, (_, i) => 1 + (i * 7919) % 250);
async function run(nDecode) {
    await sequence.clearHistory();
    let t0 = process.hrtime.bigint();
    await sequence.evaluateWithoutGeneratingNewTokens(prompt);
    const promptSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    let decoded = 0;
    t0 = process.hrtime.bigint();
    for await (const token of sequence.evaluate([prompt[prompt.length - 1]], {temperature: 0})) {
        if (++decoded >= nDecode) break;
    }
    const decodeSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return {decoded, prefill: promptTokens / promptSeconds, decode: decoded / decodeSeconds};
}
const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
if (repeats > 0) await run(Math.min(4, decodeTokens)); // warm-up, not measured
const runs = [];
for (let r = 0; r < Math.max(1, repeats); r++) runs.push(await run(decodeTokens));
const decoded = runs[0].decoded;
console.log(JSON.stringify({
    engine: "llama.cpp", release: llama.llamaCppRelease?.release ?? null, model: args.model, threads,
    promptTokens, decodeTokens: decoded, repeats: runs.length, warmUp: repeats > 0,
    prefillTokensPerSecond: median(runs.map((r) => r.prefill)), decodeTokensPerSecond: median(runs.map((r) => r.decode)),
}));
await context.dispose();
await model.dispose();
await llama.dispose();
