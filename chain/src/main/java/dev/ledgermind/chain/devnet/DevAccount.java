package dev.ledgermind.chain.devnet;

import org.web3j.crypto.Credentials;

/**
 * A funded account that anvil created at start-up, as anvil itself printed it.
 *
 * @param index      anvil's index for the account (0 is the deployer by convention)
 * @param address    the checksummed address
 * @param privateKey the hex private key, 0x-prefixed; never log it
 */
public record DevAccount(int index, String address, String privateKey) {
    public Credentials credentials() {
        return Credentials.create(privateKey);
    }

    @Override
    public String toString() {
        return "DevAccount[" + index + ", " + address + "]"; // keeps the key out of logs
    }
}
