package dev.ledgermind.node.client;

import dev.ledgermind.chain.events.ChainEvents;
import dev.ledgermind.chain.events.RegisteredModel;
import org.web3j.abi.TypeEncoder;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The network's models by name, read from the ModelRegistry on chain (not from a local file). Names are
 * matched case-insensitively; when several models share a name the newest registration wins. The
 * directory re-reads the registry when asked for a name it does not know, so a model registered after
 * start-up is found.
 */
public final class ModelDirectory {
    private final ChainEvents events;
    private volatile Map<String, RegisteredModel> byName = Map.of();

    public ModelDirectory(ChainEvents events) {
        this.events = events;
    }

    /** The model registered under {@code name}. */
    public RegisteredModel resolve(String name) {
        RegisteredModel m = byName.get(key(name));
        if (m == null) {
            refresh();
            m = byName.get(key(name));
        }
        if (m == null) throw new UnknownModelException(name, byName.values().stream().map(RegisteredModel::name).toList());
        return m;
    }

    public Optional<RegisteredModel> byId(int id) {
        RegisteredModel m = byName.values().stream().filter(r -> r.id() == id).findFirst().orElse(null);
        if (m == null) {
            refresh();
            m = byName.values().stream().filter(r -> r.id() == id).findFirst().orElse(null);
        }
        return Optional.ofNullable(m);
    }

    /** Every model, re-read from chain. */
    public List<RegisteredModel> all() {
        refresh();
        return List.copyOf(byName.values());
    }

    /** keccak256(abi.encode(weights, tokenizer, architecture)): the ModelRegistry's content hash. */
    public static String contentHash(RegisteredModel m) {
        return contentHash(m.weightsHash(), m.tokenizerHash(), m.architectureHash());
    }

    /** The content hash of a model with these three hashes, as the ModelRegistry computes it. */
    public static String contentHash(byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash) {
        String encoded = TypeEncoder.encode(new Bytes32(weightsHash)) + TypeEncoder.encode(new Bytes32(tokenizerHash))
                + TypeEncoder.encode(new Bytes32(architectureHash));
        return Numeric.toHexString(Hash.sha3(Numeric.hexStringToByteArray(encoded)));
    }

    private synchronized void refresh() {
        Map<String, RegisteredModel> m = new LinkedHashMap<>();
        for (RegisteredModel r : events.models()) m.put(key(r.name()), r);
        byName = m;
    }

    private static String key(String name) {
        return name == null ? "" : name.toLowerCase(java.util.Locale.ROOT);
    }
}
