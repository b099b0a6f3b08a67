package dev.ledgermind.inference.encoder;

/** How an encoder turns per-token states into one vector. */
public enum Pooling {
    /** the mean over all tokens (sentence-transformers' default) */
    MEAN,
    /** the state of the first token, [CLS] */
    CLS
}
