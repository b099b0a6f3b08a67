package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.tokenizer.bpe.ByteLevel;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Tokenizer vocabularies for synthetic models: a real BPE vocabulary learned from a short built-in
 * English text (so that tokenization actually merges), padded with unused or reserved tokens to the
 * requested size, with the special tokens of the model family.
 */
public final class SyntheticVocab {
    /** The tokens, their GGUF token types, and the family's special ids. */
    public record Vocab(String model, String pre, String[] tokens, int[] types, String[] merges, float[] scores,
                        int bos, int eos, int eot, int unk) {
    }

    static final String CORPUS = """
            The quick brown fox jumps over the lazy dog. A ledger records what happened, in order, so that
            anyone can check it later. Independent nodes run the same model on the same input and must get
            the same bits: the same tokens, the same logits and the same trace. When two answers differ, the
            network finds the first step where they disagree and settles the dispute on chain. Why is the sky
            blue? Sunlight is scattered by the air, and blue light is scattered more than red light. Hello,
            world! What is the capital of France? Paris is the capital of France. Numbers like 1, 2, 3, 42
            and 2026 appear in text too. The model reads the prompt, then writes one token at a time.
            """;

    private SyntheticVocab() {
    }

    /** Byte-level BPE (gpt2 model) for llama3, qwen2 or smollm, with {@code size} tokens. */
    public static Vocab gpt2(String family, int size) {
        List<String> specials = switch (family) {
            case "llama3" -> {
                List<String> s = new ArrayList<>();
                int n = size >= 4096 ? 256 : 16;
                for (int i = 0; i < n; i++) s.add("<|reserved_special_token_" + i + "|>");
                s.set(0, "<|begin_of_text|>");
                s.set(1, "<|end_of_text|>");
                s.set(6, "<|start_header_id|>");
                s.set(7, "<|end_header_id|>");
                s.set(9, "<|eot_id|>");
                yield s;
            }
            default -> List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>");
        };
        int base = size - specials.size();
        List<String> tokens = new ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
        // Learn merges over byte-level words (split before spaces, GPT-2 style).
        List<List<String>> words = new ArrayList<>();
        for (String w : CORPUS.replace('\n', ' ').split("(?= )")) {
            if (w.isEmpty()) continue;
            String bl = ByteLevel.encode(w.getBytes(StandardCharsets.UTF_8));
            List<String> sym = new ArrayList<>();
            for (int i = 0; i < bl.length(); i++) sym.add(String.valueOf(bl.charAt(i)));
            words.add(sym);
        }
        List<String> merges = new ArrayList<>();
        LinkedHashSet<String> known = new LinkedHashSet<>(tokens);
        while (tokens.size() < base) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) counts.merge(w.get(i) + " " + w.get(i + 1), 1, Integer::sum);
            }
            String best = null;
            int bc = 1;
            for (Map.Entry<String, Integer> e : counts.entrySet()) if (e.getValue() > bc) { bc = e.getValue(); best = e.getKey(); }
            if (best == null) break;
            String[] ab = best.split(" ");
            String merged = ab[0] + ab[1];
            merges.add(best);
            if (known.add(merged)) tokens.add(merged);
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (w.get(i).equals(ab[0]) && w.get(i + 1).equals(ab[1])) {
                        w.set(i, merged);
                        w.remove(i + 1);
                    }
                }
            }
        }
        int filler = 0;
        while (tokens.size() < base) tokens.add("<unused_" + filler++ + ">");
        int[] types = new int[size];
        for (int i = 0; i < base; i++) types[i] = 1;
        for (int i = base; i < size; i++) types[i] = 3;
        tokens.addAll(specials);
        String[] t = tokens.toArray(String[]::new);
        if (family.equals("llama3")) {
            return new Vocab("gpt2", "llama-bpe", t, types, merges.toArray(String[]::new), null, base, base + 1, base + 9, -1);
        }
        String pre = family.equals("qwen2") ? "qwen2" : "smollm";
        return new Vocab("gpt2", pre, t, types, merges.toArray(String[]::new), null, -1, base, base + 2, -1);
    }

    /** SentencePiece (llama model) with byte fallback, as Llama 2 and Mistral use, with {@code size} pieces. */
    public static Vocab sentencePiece(int size) {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Integer> types = new ArrayList<>(List.of(2, 3, 3));
        List<Float> scores = new ArrayList<>(List.of(0f, 0f, 0f));
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format("<0x%02X>", b));
            types.add(6);
            scores.add(0f);
        }
        String text = ("▁" + CORPUS.replace('\n', ' ').trim().replace(' ', '▁'));
        List<List<String>> words = new ArrayList<>();
        for (String w : text.split("(?=▁)")) {
            List<String> sym = new ArrayList<>();
            w.codePoints().forEach(cp -> sym.add(new String(Character.toChars(cp))));
            words.add(sym);
        }
        Map<String, Integer> index = new HashMap<>();
        LinkedHashSet<String> chars = new LinkedHashSet<>();
        for (List<String> w : words) chars.addAll(w);
        float score = 0f;
        List<String> learned = new ArrayList<>();
        while (pieces.size() + chars.size() + learned.size() < size) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (List<String> w : words) for (int i = 0; i + 1 < w.size(); i++) counts.merge(w.get(i) + "\u0000" + w.get(i + 1), 1, Integer::sum);
            String best = null;
            int bc = 1;
            for (Map.Entry<String, Integer> e : counts.entrySet()) if (e.getValue() > bc) { bc = e.getValue(); best = e.getKey(); }
            if (best == null) break;
            String[] ab = best.split("\u0000");
            String merged = ab[0] + ab[1];
            if (!learned.contains(merged)) learned.add(merged);
            for (List<String> w : words) {
                for (int i = 0; i + 1 < w.size(); i++) {
                    if (w.get(i).equals(ab[0]) && w.get(i + 1).equals(ab[1])) {
                        w.set(i, merged);
                        w.remove(i + 1);
                    }
                }
            }
        }
        for (String m : learned) {
            pieces.add(m);
            types.add(1);
            scores.add(score -= 1f);
        }
        for (String ch : chars) {
            pieces.add(ch);
            types.add(1);
            scores.add(score -= 1f);
        }
        int filler = 0;
        while (pieces.size() < size) {
            pieces.add("<unused_" + filler++ + ">");
            types.add(5);
            scores.add(-1e9f);
        }
        int[] ty = types.stream().mapToInt(Integer::intValue).toArray();
        float[] sc = new float[scores.size()];
        for (int i = 0; i < sc.length; i++) sc[i] = scores.get(i);
        for (String p : pieces) index.putIfAbsent(p, index.size());
        return new Vocab("llama", "default", pieces.toArray(String[]::new), ty, null, sc, 1, 2, -1, 0);
    }
}
