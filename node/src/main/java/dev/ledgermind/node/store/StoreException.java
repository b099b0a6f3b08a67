package dev.ledgermind.node.store;

/** The node's local store failed (disk, corruption, or an illegal state transition). */
public class StoreException extends RuntimeException {
    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
