// Minimal GGUF (v3) reader and writer for vocabulary-only files: metadata only, no tensors.
// Independent of the Java reader/writer on purpose, so that a file both llama.cpp and Ledgermind
// read is a cross-check of the format and not a round trip through one implementation.
import fs from "node:fs";

const T = {UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12};
export const GgufType = T;

/** Reads a GGUF file's metadata as {key: {type, elem?, value}} in file order. */
export function readGgufMetadata(path) {
    const b = fs.readFileSync(path);
    let o = 0;
    const u32 = () => { const v = b.readUInt32LE(o); o += 4; return v; };
    const u64 = () => { const v = b.readBigUInt64LE(o); o += 8; return Number(v); };
    const str = () => { const n = u64(); const s = b.toString("utf8", o, o + n); o += n; return s; };
    const scalar = (t) => {
        switch (t) {
            case T.UINT8: return b.readUInt8(o++);
            case T.INT8: return b.readInt8(o++);
            case T.UINT16: { const v = b.readUInt16LE(o); o += 2; return v; }
            case T.INT16: { const v = b.readInt16LE(o); o += 2; return v; }
            case T.UINT32: return u32();
            case T.INT32: { const v = b.readInt32LE(o); o += 4; return v; }
            case T.FLOAT32: { const v = b.readFloatLE(o); o += 4; return v; }
            case T.BOOL: return b.readUInt8(o++) !== 0;
            case T.STRING: return str();
            case T.UINT64: return u64();
            case T.INT64: { const v = Number(b.readBigInt64LE(o)); o += 8; return v; }
            case T.FLOAT64: { const v = b.readDoubleLE(o); o += 8; return v; }
            default: throw new Error(`${path}: unknown GGUF value type ${t} at offset ${o}`);
        }
    };
    if (b.readUInt32LE(0) !== 0x46554747) throw new Error(`${path}: not a GGUF file`);
    o = 4;
    const version = u32();
    if (version !== 3 && version !== 2) throw new Error(`${path}: GGUF version ${version}`);
    const nTensors = u64();
    const nKv = u64();
    const kv = {};
    for (let i = 0; i < nKv; i++) {
        const key = str();
        const type = u32();
        if (type === T.ARRAY) {
            const elem = u32();
            const n = u64();
            const value = new Array(n);
            for (let j = 0; j < n; j++) value[j] = scalar(elem);
            kv[key] = {type, elem, value};
        } else {
            kv[key] = {type, value: scalar(type)};
        }
    }
    return {version, nTensors, kv};
}

/** Writes a vocabulary-only GGUF v3 file from {key: {type, elem?, value}}. */
export function writeGgufMetadata(path, kv) {
    const parts = [];
    const u32 = (v) => { const x = Buffer.alloc(4); x.writeUInt32LE(v); parts.push(x); };
    const u64 = (v) => { const x = Buffer.alloc(8); x.writeBigUInt64LE(BigInt(v)); parts.push(x); };
    const str = (s) => { const x = Buffer.from(s, "utf8"); u64(x.length); parts.push(x); };
    const scalar = (t, v) => {
        const x = Buffer.alloc(8);
        switch (t) {
            case T.UINT8: x.writeUInt8(v); parts.push(x.subarray(0, 1)); return;
            case T.INT8: x.writeInt8(v); parts.push(x.subarray(0, 1)); return;
            case T.UINT16: x.writeUInt16LE(v); parts.push(x.subarray(0, 2)); return;
            case T.INT16: x.writeInt16LE(v); parts.push(x.subarray(0, 2)); return;
            case T.UINT32: x.writeUInt32LE(v); parts.push(x.subarray(0, 4)); return;
            case T.INT32: x.writeInt32LE(v); parts.push(x.subarray(0, 4)); return;
            case T.FLOAT32: x.writeFloatLE(v); parts.push(x.subarray(0, 4)); return;
            case T.BOOL: x.writeUInt8(v ? 1 : 0); parts.push(x.subarray(0, 1)); return;
            case T.STRING: str(v); return;
            case T.UINT64: x.writeBigUInt64LE(BigInt(v)); parts.push(x); return;
            case T.INT64: x.writeBigInt64LE(BigInt(v)); parts.push(x); return;
            case T.FLOAT64: x.writeDoubleLE(v); parts.push(x); return;
            default: throw new Error(`unknown GGUF value type ${t}`);
        }
    };
    u32(0x46554747);
    u32(3);
    u64(0);
    const keys = Object.keys(kv);
    u64(keys.length);
    for (const key of keys) {
        const e = kv[key];
        str(key);
        u32(e.type);
        if (e.type === T.ARRAY) {
            u32(e.elem);
            u64(e.value.length);
            for (const v of e.value) scalar(e.elem, v);
        } else {
            scalar(e.type, e.value);
        }
    }
    // no tensor infos; pad the header to the default alignment (32), as the data section would start there
    let size = parts.reduce((s, p) => s + p.length, 0);
    parts.push(Buffer.alloc((32 - (size % 32)) % 32));
    fs.writeFileSync(path, Buffer.concat(parts));
}

export const str = (value) => ({type: T.STRING, value});
export const u32 = (value) => ({type: T.UINT32, value});
export const bool = (value) => ({type: T.BOOL, value});
export const strArr = (value) => ({type: T.ARRAY, elem: T.STRING, value});
export const i32Arr = (value) => ({type: T.ARRAY, elem: T.INT32, value});
export const f32Arr = (value) => ({type: T.ARRAY, elem: T.FLOAT32, value});
