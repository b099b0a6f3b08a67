package dev.ledgermind.inference.tokenizer;

/**
 * What the GGUF tokenizers share: the {@link Vocabulary} (texts, attributes, special ids, end-of-generation
 * set, special-token splitting) and whether a BOS is added. Subclasses encode the text fragments and decode.
 */
public abstract class VocabularyTokenizer implements Tokenizer {
    protected final Vocabulary vocab;
    private final boolean addBos;

    protected VocabularyTokenizer(Vocabulary vocab, boolean addBos) {
        this.vocab = vocab;
        this.addBos = addBos;
    }

    public Vocabulary vocabulary() {
        return vocab;
    }

    @Override
    public int vocabularySize() {
        return vocab.size();
    }

    @Override
    public int bos() {
        return vocab.special().bos();
    }

    @Override
    public int eos() {
        return vocab.special().eos();
    }

    @Override
    public boolean isEndOfGeneration(int token) {
        return vocab.isEndOfGeneration(token);
    }

    @Override
    public int[] endOfGenerationTokens() {
        return vocab.endOfGeneration();
    }

    @Override
    public boolean addBos() {
        return addBos;
    }

    @Override
    public int tokenId(String piece) {
        return vocab.id(piece);
    }

    @Override
    public String tokenText(int token) {
        return vocab.text(token);
    }
}
