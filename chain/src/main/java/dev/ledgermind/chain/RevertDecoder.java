package dev.ledgermind.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Type;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns revert data into a named error. The error table is built from the ABIs the contracts module
 * compiled ({@code dev/ledgermind/contracts/artifacts.json} on the classpath), plus Solidity's
 * built-in {@code Error(string)} and {@code Panic(uint256)}. A 4-byte selector can belong to errors
 * of several contracts (e.g. {@code InvalidConfig(string)}); they have the same signature, hence the
 * same argument layout, so any one of them decodes the data.
 */
public final class RevertDecoder {
    private record ErrorDef(String name, List<String> names, List<String> types) {}

    private static final String ARTIFACTS = "/dev/ledgermind/contracts/artifacts.json";
    private static final RevertDecoder INSTANCE = load();

    private final Map<String, ErrorDef> bySelector;

    private RevertDecoder(Map<String, ErrorDef> bySelector) {
        this.bySelector = bySelector;
    }

    /** The decoder for the ABIs on the classpath. */
    public static RevertDecoder instance() {
        return INSTANCE;
    }

    /**
     * Decodes {@code revertData} into an exception naming the error.
     *
     * @param contract the called contract's name, for the message
     * @param revertData 0x-hex revert data (may be empty)
     * @param txHash the reverted transaction, or null
     */
    public ContractRevertedException decode(String contract, String revertData, String txHash) {
        String data = revertData == null ? "0x" : Numeric.prependHexPrefix(revertData.strip());
        if (data.length() < 10) return new ContractRevertedException(contract, "unknown", Map.of(), data, txHash);
        String selector = data.substring(0, 10).toLowerCase();
        ErrorDef def = bySelector.get(selector);
        if (def == null) return new ContractRevertedException(contract, "unknown", Map.of(), data, txHash);
        Map<String, Object> args = new LinkedHashMap<>();
        if (!def.types().isEmpty()) {
            List<TypeReference<Type>> refs = new ArrayList<>();
            try {
                for (String type : def.types()) refs.add(TypeReference.makeTypeReference(type));
                @SuppressWarnings({"rawtypes", "unchecked"})
                List<Type> values = FunctionReturnDecoder.decode("0x" + data.substring(10), (List) refs);
                for (int i = 0; i < values.size(); i++) args.put(def.names().get(i), render(values.get(i)));
            } catch (ClassNotFoundException | RuntimeException e) {
                args.put("undecodable", data);
            }
        }
        return new ContractRevertedException(contract, def.name(), args, data, txHash);
    }

    private static Object render(Type<?> value) {
        Object v = value.getValue();
        if (value instanceof Address a) return a.toString();
        if (v instanceof byte[] bytes) return Numeric.toHexString(bytes);
        if (v instanceof BigInteger || v instanceof Boolean || v instanceof String) return v;
        return String.valueOf(v);
    }

    private static RevertDecoder load() {
        Map<String, ErrorDef> table = new HashMap<>();
        put(table, new ErrorDef("Error", List.of("message"), List.of("string")));
        put(table, new ErrorDef("Panic", List.of("code"), List.of("uint256")));
        try (InputStream in = RevertDecoder.class.getResourceAsStream(ARTIFACTS)) {
            if (in == null) throw new IllegalStateException("compiled contracts not on the classpath: " + ARTIFACTS);
            JsonNode artifacts = new ObjectMapper().readTree(in);
            for (JsonNode contract : artifacts) {
                for (JsonNode entry : contract.path("abi")) {
                    if (!"error".equals(entry.path("type").asText())) continue;
                    List<String> names = new ArrayList<>();
                    List<String> types = new ArrayList<>();
                    int i = 0;
                    for (JsonNode input : entry.path("inputs")) {
                        String n = input.path("name").asText();
                        names.add(n.isEmpty() ? "arg" + i : n);
                        types.add(input.path("type").asText());
                        i++;
                    }
                    put(table, new ErrorDef(entry.path("name").asText(), names, types));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + ARTIFACTS + ": " + e.getMessage(), e);
        }
        return new RevertDecoder(Map.copyOf(table));
    }

    private static void put(Map<String, ErrorDef> table, ErrorDef def) {
        String signature = def.name() + "(" + String.join(",", def.types()) + ")";
        table.putIfAbsent(Hash.sha3String(signature).substring(0, 10), def);
    }
}
