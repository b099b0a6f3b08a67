// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IBatchResults} from "../../src/interfaces/IBatchResults.sol";

/// @title Test helper: a consumer contract that accepts a batched result only with its item proof.
/// @notice Deployed only by tests; not part of a Ledgermind deployment. `use` stores the result when the
///         market proves it (and the gas the check cost), and reverts ResultNotProven otherwise.
contract BatchItemVerifier {
    IBatchResults public immutable market;
    mapping(uint256 requestId => bytes32) public accepted;
    /// @notice Gas of the first verifyResult in the last `use`: the market's account and the batch's root word
    ///         cold (EIP-2929: 2,600 + 2,100 of it), as for a consumer's first call in a transaction.
    uint256 public lastGas;
    /// @notice Gas of a second, identical verifyResult in the same transaction: both warm.
    uint256 public warmGas;

    error ResultNotProven(uint256 batchId, uint256 index);

    constructor(IBatchResults market_) {
        market = market_;
    }

    /// @notice Records item `index` of batch `batchId` as (resultHash) once the market proves it.
    function use(uint256 batchId, uint256 index, uint256 count, bytes32 resultHash, bytes32 traceRoot, bytes32[] calldata proof)
        external
    {
        uint256 before = gasleft();
        bool ok = market.verifyResult(batchId, index, count, resultHash, traceRoot, proof);
        uint256 mid = gasleft();
        market.verifyResult(batchId, index, count, resultHash, traceRoot, proof);
        uint256 end = gasleft();
        lastGas = before - mid;
        warmGas = mid - end;
        if (!ok) revert ResultNotProven(batchId, index);
        accepted[(batchId << 32) | index] = resultHash;
    }
}
