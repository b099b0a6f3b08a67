package dev.ledgermind.inference.fuzz;

import dev.ledgermind.inference.llama.SyntheticVocab;
import dev.ledgermind.inference.tokenizer.Tokenizer;
import dev.ledgermind.inference.tokenizer.Vocabulary;
import dev.ledgermind.inference.tokenizer.bpe.BpeTokenizer;
import dev.ledgermind.inference.tokenizer.bpe.PreTokenizer;

/**
 * Fuzz target: byte-level BPE on arbitrary text, with a learned vocabulary and merges for each
 * pre-tokenizer family (Llama 3, Qwen2, SmolLM, and GPT-2's default split). Flags (first byte): bits
 * 0-1 the family, bit 2 parse special tokens, bit 3 read the text as UTF-16.
 *
 * <p>Encoding documents no error for a vocabulary that holds all 256 byte-level characters, so any
 * exception is a crash. Every id must be in the vocabulary, decoding must succeed, and without special
 * parsing well-formed text must decode back to itself (byte-level BPE is lossless).
 */
public final class BpeFuzzer {
    private static BpeTokenizer[] tokenizers;

    private BpeFuzzer() {
    }

    static Vocabulary.Ids ids(int bos, int eos, int eot, int unk) {
        return new Vocabulary.Ids(bos, eos, eot, -1, unk, -1, -1, -1, -1, -1, -1);
    }

    public static synchronized void fuzzerInitialize() {
        if (tokenizers != null) return;
        String[][] families = {{"llama3", null}, {"qwen2", null}, {"smollm", null}, {"smollm", "default"}};
        BpeTokenizer[] t = new BpeTokenizer[families.length];
        for (int i = 0; i < t.length; i++) {
            SyntheticVocab.Vocab v = SyntheticVocab.gpt2(families[i][0], 1024);
            String pre = families[i][1] != null ? families[i][1] : v.pre();
            t[i] = new BpeTokenizer(new Vocabulary(v.tokens(), v.types(), ids(v.bos(), v.eos(), v.eot(), -1)), v.merges(),
                    PreTokenizer.forName(pre), false);
        }
        tokenizers = t;
    }

    public static void fuzzerTestOneInput(byte[] input) {
        int flags = FuzzText.flags(input);
        Tokenizer t = tokenizers[flags & 3];
        boolean special = (flags & 4) != 0;
        String text = FuzzText.text(input, (flags & 8) != 0);
        int[] ids = t.encode(text, special);
        for (int id : ids) {
            if (id < 0 || id >= t.vocabularySize()) throw new AssertionError("id " + id + " outside the vocabulary of " + t.vocabularySize());
        }
        String back = t.decode(ids);
        if (!special && FuzzText.wellFormed(text) && !back.equals(text)) {
            throw new AssertionError("byte-level BPE lost text: " + escape(text) + " came back as " + escape(back));
        }
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.chars().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return b.append('"').toString();
    }
}
