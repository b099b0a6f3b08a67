// tokenizer.json (Hugging Face) -> vocabulary-only GGUF, following what llama.cpp's convert_hf_to_gguf.py
// writes for a byte-level BPE ("gpt2") vocabulary: every id in order, added tokens typed CONTROL (3) when
// marked special or when they look special (<|...|>), USER_DEFINED (4) otherwise, the rest NORMAL (1).
import fs from "node:fs";
import {str, u32, bool, strArr, i32Arr, writeGgufMetadata} from "./gguf.mjs";

const NORMAL = 1, CONTROL = 3, USER_DEFINED = 4;

function looksSpecial(t) {
    return (t.startsWith("<|") && t.endsWith("|>")) || (t.startsWith("<\uFF5C") && t.endsWith("\uFF5C>"))
        || t === "<pad>" || t === "<mask>" || (t.startsWith("<unused") && t.endsWith(">"));
}

/**
 * @param tokenizerJson path of tokenizer.json
 * @param opts {name, pre, bos, eos, eot, pad, addBos (undefined: no key), chatTemplate}
 */
export function bpeVocabGguf(tokenizerJson, out, opts) {
    const tj = JSON.parse(fs.readFileSync(tokenizerJson, "utf8"));
    if (tj.model.type !== "BPE") throw new Error(`${tokenizerJson}: model.type ${tj.model.type}, expected BPE`);
    const byId = new Map();
    for (const [t, id] of Object.entries(tj.model.vocab)) byId.set(id, t);
    const added = new Map();
    for (const a of tj.added_tokens) { byId.set(a.id, a.content); added.set(a.id, a); }
    let n = 0;
    for (const k of byId.keys()) n = Math.max(n, k + 1);
    const tokens = [], types = [];
    for (let i = 0; i < n; i++) {
        const t = byId.get(i);
        if (t === undefined) { tokens.push(`[PAD${i}]`); types.push(5); continue; }
        tokens.push(t);
        const a = added.get(i);
        types.push(a ? (a.special || looksSpecial(t) ? CONTROL : USER_DEFINED) : NORMAL);
    }
    const merges = tj.model.merges.map((m) => (Array.isArray(m) ? m.join(" ") : m));
    const index = new Map(tokens.map((t, i) => [t, i]));
    const id = (t) => { const i = index.has(t) ? index.get(t) : -1; if (i < 0) throw new Error(`${tokenizerJson}: no token ${t}`); return i; };
    const kv = {
        "general.architecture": str("llama"),
        "general.name": str(opts.name),
        "llama.vocab_size": u32(n),
        "tokenizer.ggml.model": str("gpt2"),
        "tokenizer.ggml.pre": str(opts.pre),
        "tokenizer.ggml.tokens": strArr(tokens),
        "tokenizer.ggml.token_type": i32Arr(types),
        "tokenizer.ggml.merges": strArr(merges),
    };
    for (const k of ["bos", "eos", "eot", "pad"]) {
        if (opts[k] !== undefined) kv[`tokenizer.ggml.${k === "eot" ? "eot" : k}_token_id`] = u32(id(opts[k]));
    }
    if (opts.addBos !== undefined) kv["tokenizer.ggml.add_bos_token"] = bool(opts.addBos);
    if (opts.chatTemplate !== undefined) kv["tokenizer.chat_template"] = str(opts.chatTemplate);
    writeGgufMetadata(out, kv);
    return {tokens, types};
}

/**
 * tokenizer.json of a SentencePiece BPE vocabulary (model BPE with byte_fallback, Metaspace "▁") -> a
 * "llama" (SPM) GGUF. tokenizer.json has merges, not SentencePiece scores; a piece's score is minus the
 * rank of the first merge that produces it (SentencePiece's BPE trainer scores pieces -0, -1, -2, ... in
 * the order it creates them, so the order is the same), -1e9 for a piece no merge produces.
 * Types: <unk> UNKNOWN (2), added special tokens CONTROL (3), <0xNN> BYTE (6), the rest NORMAL (1).
 */
export function spmVocabGguf(tokenizerJson, out, opts) {
    const tj = JSON.parse(fs.readFileSync(tokenizerJson, "utf8"));
    if (tj.model.type !== "BPE" || !tj.model.byte_fallback) throw new Error(`${tokenizerJson}: not a SentencePiece BPE vocabulary with byte fallback`);
    const tokens = [];
    for (const [t, id] of Object.entries(tj.model.vocab)) tokens[id] = t;
    for (const a of tj.added_tokens) tokens[a.id] = a.content;
    const special = new Set(tj.added_tokens.filter((a) => a.special).map((a) => a.id));
    const rank = new Map();
    tj.model.merges.forEach((m, i) => {
        const [l, r] = Array.isArray(m) ? m : m.split(" ");
        if (!rank.has(l + r)) rank.set(l + r, i);
    });
    const scores = [], types = [];
    for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (t === undefined) throw new Error(`${tokenizerJson}: no token with id ${i}`);
        if (t === tj.model.unk_token) { types.push(2); scores.push(0); continue; }
        if (special.has(i)) { types.push(CONTROL); scores.push(0); continue; }
        if (/^<0x[0-9A-F]{2}>$/.test(t)) { types.push(6); scores.push(0); continue; }
        types.push(NORMAL);
        scores.push(rank.has(t) ? -rank.get(t) : (t.length === 1 || [...t].length === 1 ? 0 : -1e9));
    }
    const id = (t) => { const i = tokens.indexOf(t); if (i < 0) throw new Error(`${tokenizerJson}: no token ${t}`); return i; };
    const kv = {
        "general.architecture": str("llama"),
        "general.name": str(opts.name),
        "llama.vocab_size": u32(tokens.length),
        "tokenizer.ggml.model": str("llama"),
        "tokenizer.ggml.pre": str("default"),
        "tokenizer.ggml.tokens": strArr(tokens),
        "tokenizer.ggml.scores": {type: 9, elem: 6, value: scores},
        "tokenizer.ggml.token_type": i32Arr(types),
        "tokenizer.ggml.bos_token_id": u32(id(opts.bos)),
        "tokenizer.ggml.eos_token_id": u32(id(opts.eos)),
        "tokenizer.ggml.unknown_token_id": u32(id(tj.model.unk_token)),
    };
    if (opts.addBos !== undefined) kv["tokenizer.ggml.add_bos_token"] = bool(opts.addBos);
    if (opts.chatTemplate !== undefined) kv["tokenizer.chat_template"] = str(opts.chatTemplate);
    writeGgufMetadata(out, kv);
    return {tokens, types, scores};
}
