// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title What a consumer contract asks the task market about one result of a batch (issue 13).
/// @notice Served by TaskMarket's fallback at the market's address: call it on the market.
interface IBatchResults {
    /// @notice True when (resultHash, traceRoot) is the accepted result of item `index` of batch `batchId`,
    ///         a batch of `count` items: the leaf keccak256(abi.encode(batchId << 32 | index, resultHash,
    ///         traceRoot)) hashes up its BatchTree `proof` (siblings bottom-up, promoted levels skipped) to the
    ///         batch's accepted results root. False for an open, refunded or unknown batch, a wrong count, a
    ///         forged proof. Never reverts on a malformed proof. Serves optimistic batches too (OptimisticBatches):
    ///         an item challenged there is not proven until its game upholds it, and (0, 0) proves "no result".
    ///         Gas from a consumer contract at 1,024 items, warm and cold: docs/gas.md ("Where verifyResult's gas
    ///         goes"); about 4,700 more when the market's account and the batch's root word are cold.
    /// @param batchId the batch
    /// @param index the item (its request id is batchId << 32 | index)
    /// @param count the batch's number of items
    /// @param resultHash the item's result hash
    /// @param traceRoot the item's trace root
    /// @param proof the item's proof under the accepted results root
    function verifyResult(uint256 batchId, uint256 index, uint256 count, bytes32 resultHash, bytes32 traceRoot, bytes32[] calldata proof)
        external
        view
        returns (bool);
}
