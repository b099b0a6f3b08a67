package dev.ledgermind.node.client;

/**
 * How an answer was verified, and what a requester must believe to trust it (DESIGN.md section 5).
 * {@code code} is TaskMarket's {@code Mode} enum; {@link #LOCAL} is no chain mode: the engine on the
 * gateway's own machine computed it, and anyone can recompute it bit for bit.
 */
public enum VerificationMode {
    REPLICATED(0, "an honest majority of the sampled stake: k staked nodes computed it independently and committed before revealing"),
    OPTIMISTIC(1, "one honest validator watching during the challenge window"),
    ENSEMBLE(2, "diversity of models: answers aggregated by stake- and reputation-weighted vote"),
    LOCAL(-1, "the operator of this gateway: one machine computed it on the deterministic engine; recompute it anywhere to check");

    public final int code;
    public final String trustAssumption;

    VerificationMode(int code, String trustAssumption) {
        this.code = code;
        this.trustAssumption = trustAssumption;
    }

    public String label() {
        return name().toLowerCase();
    }

    public static VerificationMode ofCode(int code) {
        for (VerificationMode m : values()) if (m.code == code && code >= 0) return m;
        throw new IllegalArgumentException("unknown verification mode code " + code + " (expected 0 replicated, 1 optimistic, 2 ensemble)");
    }
}
