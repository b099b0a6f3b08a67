package dev.ledgermind.chain;

import org.web3j.protocol.Web3jService;
import org.web3j.protocol.core.Request;
import org.web3j.protocol.core.Response;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;

/**
 * anvil's test-only JSON-RPC methods: move time, mine blocks, snapshot and revert state. For tests and
 * the devnet only; a production chain refuses these methods.
 */
public final class AnvilControl {
    /** A JSON-RPC answer whose result is any JSON value. */
    public static final class AnyResponse extends Response<Object> {}

    private final Web3jService service;

    public AnvilControl(Web3jService service) {
        this.service = service;
    }

    /** Moves the next block's timestamp forward by {@code seconds} and mines a block. */
    public void increaseTime(long seconds) {
        call("evm_increaseTime", List.of(seconds));
        mine();
    }

    public void mine() {
        call("evm_mine", List.of());
    }

    /** Turns mining on every transaction on or off (evm_setAutomine); off, blocks come from {@link #mine()} only. */
    public void setAutomine(boolean on) {
        call("evm_setAutomine", List.of(on));
    }

    /** Mines {@code blocks} empty blocks at once (anvil_mine). */
    public void mine(long blocks) {
        call("anvil_mine", List.of("0x" + Long.toHexString(blocks)));
    }

    /** Takes a snapshot; returns its id for {@link #revert}. */
    public String snapshot() {
        return String.valueOf(call("evm_snapshot", List.of()));
    }

    /** Reverts to a snapshot (which is then consumed: take a new one to revert again). */
    public void revert(String snapshotId) {
        Object ok = call("evm_revert", List.of(snapshotId));
        if (!Boolean.TRUE.equals(ok)) throw new ChainException("evm_revert(" + snapshotId + ") answered " + ok);
    }

    /** Removes a transaction from anvil's pool before it is mined, as a lossy RPC path or a node restart would. */
    public void dropTransaction(String txHash) {
        call("anvil_dropTransaction", List.of(txHash));
    }

    /**
     * The hashes of the transactions waiting in anvil's pool ({@code txpool_content}, pending and queued),
     * by sender address in lower case.
     */
    @SuppressWarnings("unchecked")
    public java.util.Map<String, List<String>> poolTransactions() {
        Object content = call("txpool_content", List.of());
        java.util.Map<String, List<String>> out = new java.util.HashMap<>();
        if (!(content instanceof java.util.Map<?, ?> pools)) return out;
        for (String pool : List.of("pending", "queued")) {
            Object bySender = pools.get(pool);
            if (!(bySender instanceof java.util.Map<?, ?> senders)) continue;
            for (var e : senders.entrySet()) {
                if (!(e.getValue() instanceof java.util.Map<?, ?> byNonce)) continue;
                for (Object tx : byNonce.values()) {
                    if (tx instanceof java.util.Map<?, ?> t && t.get("hash") instanceof String h) {
                        out.computeIfAbsent(String.valueOf(e.getKey()).toLowerCase(), k -> new java.util.ArrayList<>()).add(h);
                    }
                }
            }
        }
        return out;
    }

    /** Sets an account's balance (wei). */
    public void setBalance(String address, BigInteger wei) {
        call("anvil_setBalance", List.of(address, "0x" + wei.toString(16)));
    }

    private Object call(String method, List<?> params) {
        try {
            AnyResponse r = new Request<>(method, params, service, AnyResponse.class).send();
            if (r.hasError()) throw new ChainException(method + " failed: " + r.getError().getMessage());
            return r.getResult();
        } catch (IOException e) {
            throw new ChainException(method + " failed: " + e.getMessage(), e);
        }
    }
}
