package dev.ledgermind.chain.devnet;

/** A devnet could not be started or used; the message says what and why. */
public class DevnetException extends RuntimeException {
    public DevnetException(String message) {
        super(message);
    }

    public DevnetException(String message, Throwable cause) {
        super(message, cause);
    }
}
