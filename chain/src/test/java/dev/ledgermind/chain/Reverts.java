package dev.ledgermind.chain;

import org.junit.jupiter.api.function.Executable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Asserts that an action reverts with a named custom error. */
final class Reverts {
    private Reverts() {}

    static ContractRevertedException assertReverts(String contract, String error, Executable action) {
        ContractRevertedException e = assertThrows(ContractRevertedException.class, action);
        assertEquals(error, e.errorName(), e.getMessage());
        assertEquals(contract, e.contract(), e.getMessage());
        return e;
    }
}
