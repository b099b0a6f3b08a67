package dev.ledgermind.node.client;

import java.util.Collection;

/** A model name that the network's ModelRegistry does not know. */
public final class UnknownModelException extends IllegalArgumentException {
    private final String model;

    public UnknownModelException(String model, Collection<String> known) {
        super("model '" + model + "' is not registered on this network; it has " + known);
        this.model = model;
    }

    public String model() {
        return model;
    }
}
