// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Test} from "../utils/Vm.sol";
import {IOneStep} from "../../src/game/IOneStep.sol";
import {OneStep} from "../../src/game/OneStep.sol";
import {StepReferee} from "../../src/step/StepReferee.sol";
import {Trees} from "./GameWorld.sol";

/// @title OneStep's openings of Q4_K super-blocks and its refusal of quantized vectors: a chunk c of a row opens
///        the super-block c / 8 of that row (never another leaf, never a block of another size), and a norm whose
///        spec type is not F32 is refused by name, because the game reads its elements as raw floats.
/// @notice A one-layer model of dim 256, FFN 256 (12 tensors, tied output); trees built here, opaque where no
///         opening reads them. The arithmetic itself is checked elsewhere (GameVectorsTest, StepRefereeTest).
contract OneStepQuantTest is Test {
    OneStep internal oneStep;
    StepReferee internal referee;
    uint256 internal constant TENSORS = 12;
    uint256 internal constant E = 5; // down's row
    uint256 internal constant C = 3; // chunk: super-block 0 of the row, sub-block 3

    function setUp() public {
        referee = new StepReferee();
        oneStep = new OneStep(referee);
    }

    function _spec(uint8 matrices, uint8 ffnNorm) internal pure returns (bytes memory) {
        uint8[] memory t = new uint8[](TENSORS);
        (t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9]) =
            (matrices, matrices, matrices, matrices, ffnNorm, matrices, matrices, matrices, matrices);
        return abi.encode(
            uint32(1), uint32(1), uint32(256), uint32(2), uint32(1), uint32(128), uint32(256), uint32(4),
            uint32(0x3727c5ac), uint32(0x3db504f3), uint8(0), uint32(128), uint32(4), false, true, t
        );
    }

    /// @dev A tree of `size` opaque leaves with `node` at `index`: its levels.
    function _tree(bytes32 node, uint256 index, uint256 size, bytes32 seed) internal pure returns (bytes32[][] memory) {
        bytes32[] memory nodes = new bytes32[](size);
        for (uint256 i; i < size; i++) nodes[i] = i == index ? node : keccak256(abi.encode(seed, i));
        return Trees.build(nodes);
    }

    function _vector(uint256 n, uint256 seed) internal pure returns (uint32[] memory v) {
        v = new uint32[](n);
        for (uint256 i; i < n; i++) v[i] = Trees.f(int256((i * 7 + seed) % 9) - 4);
    }

    /// @dev The weight opening of `blk` proved at leaf `leaf` of tensor t's `size`-leaf tree, and the weights root.
    function _weights(bytes memory blk, uint256 t, uint256 leaf, uint256 size, uint256 proveAt)
        internal
        pure
        returns (bytes32 weightsRoot, bytes memory opening)
    {
        bytes32[][] memory tl = _tree(Trees.leafNode(blk), leaf, size, "tensor");
        bytes32[][] memory wl = _tree(Trees.leafNode32(Trees.root(tl)), t, TENSORS, "weights");
        weightsRoot = Trees.root(wl);
        opening = abi.encode(blk, Trees.proof(tl, proveAt), Trees.proof(wl, t));
    }

    function _downInput(bytes memory spec, bytes32 weightsRoot, uint32[] memory act, bytes memory wOpening)
        internal
        pure
        returns (IOneStep.StepInput memory s)
    {
        s.op = 20;
        s.e = uint32(E);
        s.c = uint32(C);
        s.leafCount = 1;
        s.weightsRoot = weightsRoot;
        s.opRoots[19] = Trees.root(Trees.vec(act));
        s.spec = spec;
        s.openings = abi.encode(abi.encode(Trees.chunk(act, C), Trees.proof(Trees.vec(act), C)), wOpening);
    }

    function _superBlock() internal pure returns (bytes memory b) {
        b = new bytes(144);
        for (uint256 i = 4; i < 144; i++) b[i] = bytes1(uint8(i * 37));
        (b[1], b[3]) = (0x3c, 0x38); // d = 1.0, dmin = 0.5
    }

    function testAQ4_KChunkOpensItsRowsSuperBlockAndComputesItsSubBlock() public view {
        bytes memory blk = _superBlock();
        uint32[] memory act = _vector(256, 1);
        // down (tensor 8): 256 rows of one super-block each; chunk C of row E is leaf E * 1 + C / 8 = E
        (bytes32 root, bytes memory w) = _weights(blk, 8, E, 256, E);
        bytes memory got = oneStep.reduceChunk(_downInput(_spec(12, 0), root, act, w), "");
        bytes memory want = referee.dotChunkQ4_K(new bytes(64), Trees.chunk(act, C), blk, C % 8);
        assertTrue(keccak256(got) == keccak256(want), "the chunk is sub-block C % 8 of the row's super-block");
        assertTrue(keccak256(got) != keccak256(referee.dotChunkQ4_K(new bytes(64), Trees.chunk(act, C), blk, 0)), "not sub-block 0");
    }

    function testASuperBlockProvedAtAnotherLeafIsRefused() public {
        bytes memory blk = _superBlock();
        uint32[] memory act = _vector(256, 1);
        // the block sits at leaf C of the tensor (as if leaves were 32-element chunks), and is proved there
        (bytes32 root, bytes memory w) = _weights(blk, 8, C, 256, C);
        vm.expectRevert(abi.encodeWithSelector(OneStep.WrongOpening.selector, "weight blk"));
        oneStep.reduceChunk(_downInput(_spec(12, 0), root, act, w), "");
    }

    function testABlockOfAnotherSizeIsRefused() public {
        bytes memory blk = new bytes(34); // a Q8_0 block where the spec says Q4_K
        uint32[] memory act = _vector(256, 1);
        (bytes32 root, bytes memory w) = _weights(blk, 8, E, 256, E);
        vm.expectRevert(abi.encodeWithSelector(OneStep.OpeningLength.selector, "weight block", uint256(144), uint256(34)));
        oneStep.reduceChunk(_downInput(_spec(12, 0), root, act, w), "");
    }

    function testAQuantizedNormIsRefusedByName() public {
        // ffn_norm (tensor 5, 1 x 256) typed Q4_0: a valid 18-byte block at leaf 0, properly proved
        bytes memory blk = new bytes(18);
        (blk[1], blk[2]) = (0x3c, 0x99);
        (bytes32 root, bytes memory w) = _weights(blk, 5, 0, 8, 0);
        uint32[] memory xMid = _vector(256, 2);
        uint32[] memory ss = _vector(1, 8); // ss = 4.0
        IOneStep.StepInput memory s;
        s.op = 16; // ffn_norm
        s.e = 3;
        s.leafCount = 1;
        s.weightsRoot = root;
        s.opRoots[14] = Trees.root(Trees.vec(xMid));
        s.opRoots[15] = Trees.root(Trees.vec(ss));
        s.spec = _spec(12, 2);
        s.openings = abi.encode(
            abi.encode(Trees.chunk(xMid, 0), Trees.proof(Trees.vec(xMid), 0)),
            abi.encode(Trees.chunk(ss, 0), Trees.proof(Trees.vec(ss), 0)),
            w
        );
        vm.expectRevert(abi.encodeWithSelector(OneStep.WeightTypeNotCovered.selector, uint8(2)));
        oneStep.elementwise(s);
        // the same with the norm F32 (a 128-byte block of 32 floats) opens and computes
        bytes memory f32 = new bytes(128);
        (root, w) = _weights(f32, 5, 0, 8, 0);
        s.weightsRoot = root;
        s.spec = _spec(12, 0);
        s.openings = abi.encode(
            abi.encode(Trees.chunk(xMid, 0), Trees.proof(Trees.vec(xMid), 0)),
            abi.encode(Trees.chunk(ss, 0), Trees.proof(Trees.vec(ss), 0)),
            w
        );
        assertEq(oneStep.elementwise(s) & 0x7fffffff, 0, "x * inv * (+0 weight) is a zero");
    }
}
