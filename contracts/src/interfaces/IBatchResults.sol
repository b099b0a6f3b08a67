// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title What a consumer contract asks the task market about one result of a batch (issue 13).
/// @notice Served by TaskMarket's fallback at the market's address: call it on the market.
interface IBatchResults {
    /// @notice True when (resultHash, traceRoot) is the accepted result of item `index` of batch `batchId`,
    ///         a batch of `count` items: the leaf keccak256(abi.encode(batchId << 32 | index, resultHash,
    ///         traceRoot)) hashes up its BatchTree `proof` (siblings bottom-up, promoted levels skipped) to the
    ///         batch's accepted results root. False for an open, refunded or unknown batch, a wrong count, a
    ///         forged proof. Never reverts on a malformed proof. From a consumer contract, warm, about 3,800 gas
    ///         for a 9-item batch and 5,700 for 1,024 items (about 300 per tree level); 4,600 more when the
    ///         market's account and the batch's root word are cold (docs/gas.md).
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
