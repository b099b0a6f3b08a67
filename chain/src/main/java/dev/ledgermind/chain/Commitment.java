package dev.ledgermind.chain;

import org.web3j.abi.TypeEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * The commit-reveal commitment of DESIGN.md section 5, computed exactly as TaskMarket does:
 * {@code keccak256(abi.encode(uint256 taskId, address node, bytes32 resultHash, bytes32 traceRoot, bytes32 salt))},
 * that is keccak256 over five 32-byte words (the address left-padded with zeros).
 */
public final class Commitment {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Commitment() {}

    /**
     * @param taskId the task id
     * @param node the address that will send the reveal (the agent's owner or wallet)
     * @param resultHash 32 bytes
     * @param traceRoot 32 bytes
     * @param salt 32 bytes, secret until the reveal
     * @return the 32-byte commitment
     */
    public static byte[] of(BigInteger taskId, String node, byte[] resultHash, byte[] traceRoot, byte[] salt) {
        require32("resultHash", resultHash);
        require32("traceRoot", traceRoot);
        require32("salt", salt);
        String encoded = TypeEncoder.encode(new Uint256(taskId))
                + TypeEncoder.encode(new Address(node))
                + TypeEncoder.encode(new Bytes32(resultHash))
                + TypeEncoder.encode(new Bytes32(traceRoot))
                + TypeEncoder.encode(new Bytes32(salt));
        return Hash.sha3(Numeric.hexStringToByteArray(encoded));
    }

    /** A fresh random 32-byte salt. Store it durably before committing: losing it forfeits the reveal. */
    public static byte[] randomSalt() {
        byte[] salt = new byte[32];
        RANDOM.nextBytes(salt);
        return salt;
    }

    static void require32(String field, byte[] value) {
        if (value == null || value.length != 32) {
            throw new IllegalArgumentException(field + " must be 32 bytes, got "
                    + (value == null ? "null" : value.length + " bytes"));
        }
    }
}
