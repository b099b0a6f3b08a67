package dev.ledgermind.inference.chat;

/** A chat template that does not compile or refuses a conversation (its {@code raise_exception}); says which and why. */
public final class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
