// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The forge cheatcodes these tests use (forge-std cannot be fetched offline).
/// @notice forge answers calls to VM_ADDRESS = address(uint160(uint256(keccak256("hevm cheat code")))).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
    function setBlockhash(uint256 blockNumber, bytes32 blockHash) external;
    /// @dev block.number as the cheatcodes set it (with viaIR the optimizer may reuse an earlier NUMBER)
    function getBlockNumber() external view returns (uint256);
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function prevrandao(bytes32 value) external;
    function fee(uint256 baseFee) external;
    function deal(address account, uint256 balance) external;
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 selector) external;
    function expectRevert() external;
    function assume(bool condition) external pure;
    function addr(uint256 privateKey) external pure returns (address);
    function label(address account, string calldata name) external;
    function getNonce(address account) external view returns (uint64);
    function computeCreateAddress(address deployer, uint256 nonce) external pure returns (address);
    function snapshotGasLastCall(string calldata name) external returns (uint256 gasUsed);
    function startSnapshotGas(string calldata name) external;
    function stopSnapshotGas() external returns (uint256 gasUsed);
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    function parseJsonBytes32Array(string calldata json, string calldata key) external pure returns (bytes32[] memory);
    function toString(uint256 value) external pure returns (string memory);
}

/// @title The base of the forge tests: cheatcodes, assertions and fuzz-input bounding.
abstract contract Test {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    /// @dev forge collects contracts with this flag as tests.
    bool public IS_TEST = true;

    error AssertionFailed(string what, uint256 expected, uint256 actual);
    error AssertionFailedAddress(string what, address expected, address actual);
    error AssertionFailedBool(string what);

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailed(what, expected, actual);
    }

    function assertEq(address actual, address expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedAddress(what, expected, actual);
    }

    function assertTrue(bool condition, string memory what) internal pure {
        if (!condition) revert AssertionFailedBool(what);
    }

    function assertLe(uint256 actual, uint256 most, string memory what) internal pure {
        if (actual > most) revert AssertionFailed(what, most, actual);
    }

    function assertGe(uint256 actual, uint256 least, string memory what) internal pure {
        if (actual < least) revert AssertionFailed(what, least, actual);
    }

    /// @dev Maps any x into [lo, hi] (fuzz inputs).
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + x % (hi - lo + 1);
    }
}
