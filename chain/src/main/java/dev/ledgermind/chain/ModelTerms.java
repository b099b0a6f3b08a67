package dev.ledgermind.chain;

import java.math.BigInteger;

/**
 * What a model's registrant lets a task ask of it (ModelRegistry terms): the largest input in bytes, the
 * largest {@code maxTokens}, and a price per token. The TaskMarket refuses at submission a task whose
 * inline input is longer than {@code maxInputBytes} ({@code InputOverModelBound}), whose maxTokens is above
 * {@code maxOutputTokens} ({@code OutputOverModelBound}), or whose fee is below {@link #requiredFee}
 * ({@code FeeBelowModelPrice}). Input bytes bound input tokens (every tokenizer the nodes run emits at most
 * one token per byte, plus a few special tokens); an off-chain input, which the contract cannot see, counts
 * as {@code maxInputBytes}, and nodes check its real length before they compute (and decline a longer one).
 *
 * @param maxInputBytes   largest input, bytes, 1..2^32-1
 * @param maxOutputTokens largest maxTokens, 0..2^32-1
 * @param pricePerToken   least fee per token of the task's bound, wei (below 2^96)
 */
public record ModelTerms(long maxInputBytes, long maxOutputTokens, BigInteger pricePerToken) {
    /** ModelRegistry.UNBOUNDED: no bound beyond the market's own caps. */
    public static final long UNBOUNDED = 0xFFFF_FFFFL;
    /** The terms of a model registered without any: unbounded, free. */
    public static final ModelTerms NONE = new ModelTerms(UNBOUNDED, UNBOUNDED, BigInteger.ZERO);

    public ModelTerms {
        if (maxInputBytes < 1 || maxInputBytes > UNBOUNDED) {
            throw new IllegalArgumentException("maxInputBytes must be 1.." + UNBOUNDED + ", got " + maxInputBytes);
        }
        if (maxOutputTokens < 0 || maxOutputTokens > UNBOUNDED) {
            throw new IllegalArgumentException("maxOutputTokens must be 0.." + UNBOUNDED + ", got " + maxOutputTokens);
        }
        if (pricePerToken == null || pricePerToken.signum() < 0 || pricePerToken.bitLength() > 96) {
            throw new IllegalArgumentException("pricePerToken must be 0..2^96-1 wei, got " + pricePerToken);
        }
    }

    /** The least fee the market accepts for a task with this inline input length (0: off-chain) and maxTokens. */
    public BigInteger requiredFee(int inputLength, long maxTokens) {
        long inputBound = inputLength == 0 ? maxInputBytes : inputLength;
        return pricePerToken.multiply(BigInteger.valueOf(inputBound).add(BigInteger.valueOf(maxTokens)));
    }

    /** Whether a task of this input length and maxTokens is within the bounds (the fee aside). */
    public boolean admits(int inputLength, long maxTokens) {
        return inputLength <= maxInputBytes && maxTokens <= maxOutputTokens;
    }
}
