package dev.ledgermind.inference.tokenizer;

import java.util.HashMap;
import java.util.Map;

/**
 * What the GGUF tokenizers share: the vocabulary (token text to id, first occurrence wins), the special
 * ids and whether a BOS is added. Subclasses do the encoding and decoding.
 */
public abstract class VocabularyTokenizer implements Tokenizer {
    protected final String[] tokens;
    protected final Map<String, Integer> ids = new HashMap<>();
    protected final int bos, eos, eot;
    private final boolean addBos;

    protected VocabularyTokenizer(String[] tokens, int bos, int eos, int eot, boolean addBos) {
        this.tokens = tokens;
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        this.bos = bos;
        this.eos = eos;
        this.eot = eot;
        this.addBos = addBos;
    }

    @Override
    public int vocabularySize() {
        return tokens.length;
    }

    @Override
    public int bos() {
        return bos;
    }

    @Override
    public int eos() {
        return eos;
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return token == eos || (eot >= 0 && token == eot);
    }

    @Override
    public boolean addBos() {
        return addBos;
    }

    @Override
    public int tokenId(String piece) {
        Integer id = ids.get(piece);
        return id == null ? -1 : id;
    }
}
