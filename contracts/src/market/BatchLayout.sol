// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Where a batch's words live in the market's storage: one ERC-7201 namespace, shared by BatchSettlement
///        (replicated batches), OptimisticBatches (optimistic batches: the same Batch, so the views, deliverItem
///        and verifyResult serve both) and, for verifyResult, TaskMarket's fallback.
library BatchLayout {
    /// @dev keccak256(abi.encode(uint256(keccak256("ledgermind.storage.BatchSettlement")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE = 0x1e2e01838276b24584cb44c71c4dc843e89b1d313e6000fc51499715a438a900;
    /// @dev BatchStorage.batches is the namespace's second slot; Batch.verified is a Batch's fifth word.
    uint256 internal constant VERIFIED_WORD = 4;

    /// @custom:storage-location erc7201:ledgermind.storage.BatchSettlement
    struct BatchStorage {
        uint256 batchCount;
        mapping(uint256 batchId => Batch) batches;
        /// @dev per agent, the optimistic batches it claimed that are not final yet (OptimisticBatches): the stake
        ///      behind them is held like a task's (TaskMarket.openCommitments)
        mapping(uint256 agentId => uint256) openClaims;
    }

    struct Batch {
        uint256 state; // TaskMarketBase's task-word layout
        uint256 payment; // requester (160) | fee (96)
        bytes32 requestRoot;
        uint256 count; // items
        /// @dev keccak256(abi.encode(acceptedRoot, count)) once Accepted: what verifyResult checks against
        bytes32 verified;
        /// @dev replicated: per position, the commitment, then the results root; optimistic: the claimed results
        ///      root, the live root (the claimed one with the challenged items struck; 0 until a challenge), the
        ///      shapes root (OptimisticBatches)
        bytes32[4] seat;
        /// @dev per position, in a held batch: fee shares of the items resolved against it (bits 0..127) |
        ///      number of such items (128..255)
        uint256[4] lost;
        /// @dev slash proceeds taken from dissenters while held, paid out at the release
        uint256 proceeds;
        /// @dev positions (bitmap) whose agent declined the batch before committing
        uint256 declined;
        /// @dev callback batches: one bit per item delivered
        mapping(uint256 word => uint256) delivered;
    }

    function store() internal pure returns (BatchStorage storage $) {
        assembly ("memory-safe") {
            $.slot := STORAGE
        }
    }

    /// @notice The slot of batch `batchId`'s `verified` word.
    function verifiedSlot(uint256 batchId) internal pure returns (uint256 slot) {
        assembly ("memory-safe") {
            mstore(0x00, batchId)
            mstore(0x20, add(STORAGE, 1))
            slot := add(keccak256(0x00, 0x40), VERIFIED_WORD)
        }
    }
}
