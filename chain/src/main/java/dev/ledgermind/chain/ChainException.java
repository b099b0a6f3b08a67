package dev.ledgermind.chain;

/** A chain interaction failed: the RPC was unreachable, answered an error, or a transaction failed. */
public class ChainException extends RuntimeException {
    public ChainException(String message) {
        super(message);
    }

    public ChainException(String message, Throwable cause) {
        super(message, cause);
    }
}
