// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The one-step verifier the dispute game calls when a game reaches one piece of arithmetic.
/// @notice Pure functions of what both parties agreed: the game checks the spec against its hash and
///         the claimer's opRoots against the claimer's revealed step commitment before calling; the
///         verifier checks every opening in `openings` against the roots in `StepInput` and reverts with
///         a named error when one does not open.
interface IOneStep {
    /// @notice Where the game stands and the roots every opening is checked against.
    /// @param op the disputed op (0..21, step program v1)
    /// @param p the position of the disputed leaf
    /// @param l the layer of the disputed leaf
    /// @param e the disputed element of op's output
    /// @param c the disputed chunk of e's reduction (0-based; unused for an elementwise op)
    /// @param traceRoot the moving party's trace root (leaves below the disputed one are agreed, so they are
    ///        the same in both parties' trees; a proof of one is checked against the mover's own root)
    /// @param leafCount the trace's leaves (positions * layers)
    /// @param weightsRoot the model's weights commitment
    /// @param tokensHash keccak256 of the claimed token ids (uint32 LE)
    /// @param opRoots the claimer's 22 op roots (those below op are agreed)
    /// @param spec the model spec (its hash preimage, StepShapes)
    /// @param openings the op's inputs with their proofs (OneStep documents the layout per op)
    struct StepInput {
        uint32 op;
        uint32 p;
        uint32 l;
        uint32 e;
        uint32 c;
        bytes32 traceRoot;
        uint32 leafCount;
        bytes32 weightsRoot;
        bytes32 tokensHash;
        bytes32[22] opRoots;
        bytes spec;
        bytes openings;
    }

    /// @notice The value of element `e` of an elementwise op, recomputed from opened inputs.
    function elementwise(StepInput calldata s) external view returns (uint32 value);

    /// @notice The state after chunk `c` of element `e`'s reduction, from the agreed state `prev`
    ///         before it (empty when c == 0: the op's initial state).
    function reduceChunk(StepInput calldata s, bytes calldata prev) external view returns (bytes memory state);

    /// @notice finish(state) of element `e`'s reduction (Dot.combine and the op's epilogue).
    function finish(StepInput calldata s, bytes calldata state) external view returns (uint32 value);
}
