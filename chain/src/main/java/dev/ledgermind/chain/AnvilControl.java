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

    /** Takes a snapshot; returns its id for {@link #revert}. */
    public String snapshot() {
        return String.valueOf(call("evm_snapshot", List.of()));
    }

    /** Reverts to a snapshot (which is then consumed: take a new one to revert again). */
    public void revert(String snapshotId) {
        Object ok = call("evm_revert", List.of(snapshotId));
        if (!Boolean.TRUE.equals(ok)) throw new ChainException("evm_revert(" + snapshotId + ") answered " + ok);
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
