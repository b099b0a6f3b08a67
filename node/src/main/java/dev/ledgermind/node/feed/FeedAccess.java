package dev.ledgermind.node.feed;

import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SignatureException;
import java.util.Arrays;

/**
 * Who may read a task's token feed: its requester only. A node publishing its tokens to anyone before it
 * has committed would let another node on the same task copy the answer instead of computing it (it would
 * still have to recompute the trace, but from known tokens that is one batched prefill, far cheaper than
 * decoding). So a reader proves it holds the requester's key: an EIP-191 personal signature over a message
 * naming the chain, the market and the task, sent as {@code Authorization: Ledgermind-Feed 0x<65 bytes>}.
 * The message names the task, so a signature opens that task's feed and no other.
 */
public final class FeedAccess {
    public static final String SCHEME = "Ledgermind-Feed";

    private FeedAccess() {}

    /** The signed text. */
    public static byte[] message(long chainId, String market, BigInteger taskId) {
        return ("Ledgermind token feed\nchain: " + chainId + "\nmarket: " + market.toLowerCase() + "\ntask: " + taskId)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The Authorization header value for {@code taskId}, signed by the requester's key. */
    public static String authorization(Credentials requester, long chainId, String market, BigInteger taskId) {
        Sign.SignatureData s = Sign.signPrefixedMessage(message(chainId, market, taskId), requester.getEcKeyPair());
        byte[] sig = new byte[65];
        System.arraycopy(s.getR(), 0, sig, 0, 32);
        System.arraycopy(s.getS(), 0, sig, 32, 32);
        sig[64] = s.getV()[0];
        return SCHEME + " " + Numeric.toHexString(sig);
    }

    /**
     * The address that signed the header for {@code taskId}.
     *
     * @throws IllegalArgumentException naming what is wrong with the header (scheme, length, signature)
     */
    public static String signer(String header, long chainId, String market, BigInteger taskId) {
        if (header == null || !header.startsWith(SCHEME + " ")) {
            throw new IllegalArgumentException("the Authorization header must be '" + SCHEME + " 0x<signature>' (the task requester's "
                    + "EIP-191 signature of the feed message)");
        }
        byte[] sig;
        try {
            sig = Numeric.hexStringToByteArray(header.substring(SCHEME.length() + 1).trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the feed signature is not hex");
        }
        if (sig.length != 65) throw new IllegalArgumentException("the feed signature must be 65 bytes, got " + sig.length);
        byte v = sig[64];
        if (v < 27) v += 27;
        try {
            BigInteger key = Sign.signedPrefixedMessageToKey(message(chainId, market, taskId),
                    new Sign.SignatureData(v, Arrays.copyOfRange(sig, 0, 32), Arrays.copyOfRange(sig, 32, 64)));
            return "0x" + Keys.getAddress(key);
        } catch (SignatureException | RuntimeException e) {
            throw new IllegalArgumentException("the feed signature does not recover to an address: " + e.getMessage());
        }
    }
}
