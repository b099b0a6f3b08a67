package dev.ledgermind.chain;

/**
 * A model to register: the three content hashes (32 bytes each), a human name, its verification modes and
 * its terms ({@link ModelTerms#NONE} registers it unbounded, as the five-argument constructor does).
 */
public record ModelSpec(byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash, String name, int modes,
                        ModelTerms terms) {
    public static final int MODE_REPLICATED = 1;
    public static final int MODE_OPTIMISTIC = 2;
    public static final int MODE_ENSEMBLE = 4;

    public ModelSpec {
        Commitment.require32("weightsHash", weightsHash);
        Commitment.require32("tokenizerHash", tokenizerHash);
        Commitment.require32("architectureHash", architectureHash);
        if (name == null || name.isBlank()) throw new IllegalArgumentException("model name must not be blank");
        if (modes < 1 || modes > 7) throw new IllegalArgumentException("modes must be a non-zero bitmask of 1|2|4, got " + modes);
        if (terms == null) terms = ModelTerms.NONE;
    }

    /** A model without terms (unbounded, free). */
    public ModelSpec(byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash, String name, int modes) {
        this(weightsHash, tokenizerHash, architectureHash, name, modes, ModelTerms.NONE);
    }

    /** The same model with these terms. */
    public ModelSpec withTerms(ModelTerms t) {
        return new ModelSpec(weightsHash, tokenizerHash, architectureHash, name, modes, t);
    }
}
