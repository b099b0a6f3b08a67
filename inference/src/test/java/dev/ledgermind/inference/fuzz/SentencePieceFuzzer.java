package dev.ledgermind.inference.fuzz;

import dev.ledgermind.inference.llama.SyntheticVocab;
import dev.ledgermind.inference.tokenizer.Vocabulary;
import dev.ledgermind.inference.tokenizer.sentencepiece.SentencePieceTokenizer;

/**
 * Fuzz target: SentencePiece (scores, {@code ▁}, byte fallback) on arbitrary text. Flags (first byte):
 * bit 0 parse special tokens, bit 1 add the space prefix, bit 2 read the text as UTF-16.
 *
 * <p>With byte-fallback tokens for all 256 bytes, encoding documents no error, so any exception is a
 * crash; every id must be in the vocabulary and decoding must succeed.
 */
public final class SentencePieceFuzzer {
    private static SentencePieceTokenizer[] tokenizers;

    private SentencePieceFuzzer() {
    }

    public static synchronized void fuzzerInitialize() {
        if (tokenizers != null) return;
        SyntheticVocab.Vocab v = SyntheticVocab.sentencePiece(1024);
        tokenizers = new SentencePieceTokenizer[]{
                new SentencePieceTokenizer(new Vocabulary(v.tokens(), v.types(), BpeFuzzer.ids(v.bos(), v.eos(), v.eot(), v.unk())),
                        v.scores(), true, false),
                new SentencePieceTokenizer(new Vocabulary(v.tokens(), v.types(), BpeFuzzer.ids(v.bos(), v.eos(), v.eot(), v.unk())),
                        v.scores(), true, true)};
    }

    public static void fuzzerTestOneInput(byte[] input) {
        int flags = FuzzText.flags(input);
        SentencePieceTokenizer t = tokenizers[(flags >> 1) & 1];
        String text = FuzzText.text(input, (flags & 4) != 0);
        int[] ids = t.encode(text, (flags & 1) != 0);
        for (int id : ids) {
            if (id < 0 || id >= t.vocabularySize()) throw new AssertionError("id " + id + " outside the vocabulary of " + t.vocabularySize());
        }
        t.decode(ids);
    }
}
