package dev.ledgermind.chain.batch;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.web3j.crypto.Hash;

/**
 * One request of a batch, as {@code BatchSettlement.submitBatch} reads it (docs/DESIGN.md section 6.4): a
 * 31-byte big-endian header {@code kind (1) | maxTokens (4) | temperatureMilli (4) | seed (8) | fee (12) |
 * inputLength (2)}, then the input's bytes, or, for an input delivered off-chain ({@code inputLength =
 * 0xffff}), the 32-byte keccak256 of the input.
 *
 * @param kind the task kind (application-defined)
 * @param maxTokens the generation limit (0 for non-generative kinds)
 * @param temperatureMilli sampling temperature in thousandths
 * @param seed the sampling seed
 * @param fee this item's fee share, wei (below 2^96)
 * @param input the inline input (at most 65,534 bytes), or null when off-chain
 * @param inputHash keccak256 of the input (always set: computed for an inline input)
 */
public record BatchItem(int kind, long maxTokens, long temperatureMilli, long seed, BigInteger fee, byte[] input,
                        byte[] inputHash) {
    public static final int HEADER = 31;
    public static final int OFFCHAIN_INPUT = 0xffff;

    public BatchItem {
        if (kind < 0 || kind > 255) throw new IllegalArgumentException("kind " + kind + " is not a uint8");
        if (maxTokens < 0 || maxTokens > 0xffffffffL) throw new IllegalArgumentException("maxTokens " + maxTokens + " is not a uint32");
        if (temperatureMilli < 0 || temperatureMilli > 0xffffffffL) {
            throw new IllegalArgumentException("temperatureMilli " + temperatureMilli + " is not a uint32");
        }
        if (fee == null || fee.signum() < 0 || fee.bitLength() > 96) throw new IllegalArgumentException("fee " + fee + " is not a uint96");
        if (input != null) {
            if (input.length >= OFFCHAIN_INPUT) {
                throw new IllegalArgumentException("inline input is " + input.length + " bytes, at most " + (OFFCHAIN_INPUT - 1));
            }
            input = input.clone();
            inputHash = Hash.sha3(input);
        } else if (inputHash == null || inputHash.length != 32) {
            throw new IllegalArgumentException("an off-chain input needs its 32-byte keccak256");
        } else {
            inputHash = inputHash.clone();
        }
    }

    /** An item whose input travels in the submission's calldata. */
    public static BatchItem inline(int kind, long maxTokens, long temperatureMilli, long seed, BigInteger fee, byte[] input) {
        return new BatchItem(kind, maxTokens, temperatureMilli, seed, fee, input, null);
    }

    /** An item whose input is delivered off-chain; only its hash is submitted. */
    public static BatchItem offchain(int kind, long maxTokens, long temperatureMilli, long seed, BigInteger fee, byte[] inputHash) {
        return new BatchItem(kind, maxTokens, temperatureMilli, seed, fee, null, inputHash);
    }

    public boolean isInline() {
        return input != null;
    }

    /** The item's bytes as submitted. */
    public byte[] encode() {
        byte[] body = input != null ? input : inputHash;
        ByteBuffer b = ByteBuffer.allocate(HEADER + body.length);
        b.put((byte) kind).putInt((int) maxTokens).putInt((int) temperatureMilli).putLong(seed);
        byte[] f = fee.toByteArray();
        byte[] f12 = new byte[12];
        int n = Math.min(f.length, 12);
        System.arraycopy(f, f.length - n, f12, 12 - n, n);
        b.put(f12).putShort((short) (input != null ? input.length : OFFCHAIN_INPUT)).put(body);
        return b.array();
    }

    /** The request tree's leaf hash of this item: keccak256 of its bytes. */
    public byte[] leafHash() {
        return Hash.sha3(encode());
    }

    /** The request root of {@code items}: the batch tree ({@link BatchTree}) over their leaf hashes, in order. */
    public static byte[] requestRoot(List<BatchItem> items) {
        List<byte[]> leaves = new ArrayList<>(items.size());
        for (BatchItem it : items) leaves.add(it.leafHash());
        return BatchTree.of(leaves).root();
    }

    /** The sum of {@code items}' fee shares: the value a batch of them is submitted with. */
    public static BigInteger totalFee(List<BatchItem> items) {
        BigInteger fee = BigInteger.ZERO;
        for (BatchItem it : items) fee = fee.add(it.fee());
        return fee;
    }

    /** The concatenated items, as submitBatch takes them. */
    public static byte[] encodeAll(List<BatchItem> items) {
        int len = 0;
        List<byte[]> parts = new ArrayList<>(items.size());
        for (BatchItem it : items) {
            byte[] e = it.encode();
            parts.add(e);
            len += e.length;
        }
        byte[] out = new byte[len];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /**
     * Decodes a submission's items (BatchSubmitted.items); a truncated list is refused naming the item and
     * the byte offset.
     */
    public static List<BatchItem> decodeAll(byte[] items) {
        List<BatchItem> out = new ArrayList<>();
        int p = 0;
        while (p < items.length) {
            if (p + HEADER > items.length) {
                throw new IllegalArgumentException("batch item " + out.size() + " at byte " + p + ": header needs " + HEADER
                        + " bytes, " + (items.length - p) + " left");
            }
            ByteBuffer b = ByteBuffer.wrap(items, p, HEADER);
            int kind = b.get() & 0xff;
            long maxTokens = b.getInt() & 0xffffffffL;
            long temp = b.getInt() & 0xffffffffL;
            long seed = b.getLong();
            byte[] f = new byte[12];
            b.get(f);
            int len = b.getShort() & 0xffff;
            int bodyLen = len == OFFCHAIN_INPUT ? 32 : len;
            if (p + HEADER + bodyLen > items.length) {
                throw new IllegalArgumentException("batch item " + out.size() + " at byte " + p + ": body needs " + bodyLen
                        + " bytes, " + (items.length - p - HEADER) + " left");
            }
            byte[] body = Arrays.copyOfRange(items, p + HEADER, p + HEADER + bodyLen);
            BigInteger fee = new BigInteger(1, f);
            out.add(len == OFFCHAIN_INPUT ? offchain(kind, maxTokens, temp, seed, fee, body) : inline(kind, maxTokens, temp, seed, fee, body));
            p += HEADER + bodyLen;
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchItem other && Arrays.equals(encode(), other.encode());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "BatchItem[kind=" + kind + ", maxTokens=" + maxTokens + ", temperatureMilli=" + temperatureMilli + ", seed=" + seed
                + ", fee=" + fee + (input != null ? ", input=" + input.length + " bytes" : ", off-chain input") + "]";
    }
}
