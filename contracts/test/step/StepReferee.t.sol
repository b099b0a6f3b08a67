// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Test} from "../utils/Vm.sol";
import {IStepReferee} from "../../src/step/IStepReferee.sol";
import {StepReferee} from "../../src/step/StepReferee.sol";
import {StepCodec} from "../../src/step/StepCodec.sol";

/// @title Hand-checked cases of the referee's step arithmetic: each expected bit pattern is worked out in the
///        comment beside it (binary32 by hand), not produced by the code under test. The random parity against
///        the Java kernels is node's StepRefereeParityTest.
contract StepRefereeTest is Test {
    StepReferee internal referee;

    uint32 internal constant ONE = 0x3f800000;
    uint32 internal constant NEG_ZERO = 0x80000000;
    uint32 internal constant NEG_INF = 0xff800000;
    uint32 internal constant NAN = 0x7fc00000;

    function setUp() public {
        referee = new StepReferee();
    }

    // ------------------------------------------------------------------ helpers

    function _le(uint32[] memory v) internal pure returns (bytes memory out) {
        for (uint256 i = 0; i < v.length; ++i) {
            out = bytes.concat(out, StepCodec.le(v[i]));
        }
    }

    /// @dev raw LE bytes, NaN payloads kept (StepCodec.le canonicalises)
    function _raw(uint32 x) internal pure returns (bytes4) {
        return bytes4((x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24));
    }

    function _v(uint32 a) internal pure returns (uint32[] memory v) {
        v = new uint32[](1);
        v[0] = a;
    }

    function _v(uint32 a, uint32 b) internal pure returns (uint32[] memory v) {
        v = new uint32[](2);
        (v[0], v[1]) = (a, b);
    }

    function _v(uint32 a, uint32 b, uint32 c) internal pure returns (uint32[] memory v) {
        v = new uint32[](3);
        (v[0], v[1], v[2]) = (a, b, c);
    }

    function _zeros16() internal pure returns (bytes memory) {
        return new bytes(64);
    }

    function _partial(bytes memory state, uint256 k) internal pure returns (uint32) {
        return StepCodec.f32AtMem(state, k);
    }

    function _state(uint32[16] memory s) internal pure returns (bytes memory out) {
        for (uint256 k = 0; k < 16; ++k) {
            out = bytes.concat(out, StepCodec.le(s[k]));
        }
    }

    // ------------------------------------------------------------------ dot chunks

    function testDotChunkPutsElementsInTheirPartials() public view {
        // [1, 2, 3] . [4, 5, 6] from S_0: s0 = 4, s1 = 10, s2 = 18, the rest +0; combine = 32 (0x42000000)
        bytes memory s = referee.dotChunkActs(_zeros16(), _le(_v(ONE, 0x40000000, 0x40400000)),
            _le(_v(0x40800000, 0x40a00000, 0x40c00000)), 0);
        assertEq(_partial(s, 0), 0x40800000, "s0 = 4");
        assertEq(_partial(s, 1), 0x41200000, "s1 = 10");
        assertEq(_partial(s, 2), 0x41900000, "s2 = 18");
        for (uint256 k = 3; k < 16; ++k) assertEq(_partial(s, k), 0, "untouched partials stay +0");
        assertEq(referee.combine16(s), 0x42000000, "combine = 32");
        // the same chunk starting at element 14: partials 14, 15, then 0
        s = referee.dotChunkF32(_zeros16(), _le(_v(ONE, 0x40000000, 0x40400000)),
            _le(_v(0x40800000, 0x40a00000, 0x40c00000)), 14);
        assertEq(_partial(s, 14), 0x40800000, "element 14 -> s14");
        assertEq(_partial(s, 15), 0x41200000, "element 15 -> s15");
        assertEq(_partial(s, 0), 0x41900000, "element 16 -> s0");
    }

    function testDotChunkRoundsOnceLikeFma() public view {
        // s0 = -(1 + 2^-22), a = b = 1 + 2^-23: a*b + s0 = 2^-46 exactly (0x28800000); a rounded product
        // (1 + 2^-22, the 2^-46 lost) would give +0
        uint32[16] memory st;
        st[0] = 0xbf800002;
        bytes memory s = referee.dotChunkActs(_state(st), _le(_v(0x3f800001)), _le(_v(0x3f800001)), 0);
        assertEq(_partial(s, 0), 0x28800000, "fma keeps 2^-46");
    }

    function testCombineIsTheFixedTree() public view {
        // s0 = 2^24, s1 = s2 = s3 = 1: (2^24 + 1) -> 2^24 (tie, even), (1 + 1) = 2, 2^24 + 2 = 0x4b800001;
        // a left-to-right sum would stay at 2^24
        uint32[16] memory st;
        (st[0], st[1], st[2], st[3]) = (0x4b800000, ONE, ONE, ONE);
        assertEq(referee.combine16(_state(st)), 0x4b800001, "tree order");
    }

    function testQ8_0BlockFollowsTheTensorsOrder() public view {
        // scale 1.0 (f16 0x3c00), q[0] = 2, q[16] = 3, x[0] = 1.5, x[16] = 0.5: p = 2*1.5 = 3, p = fma(3, 0.5, 3) = 4.5,
        // s0 = fma(4.5, 1, 0) = 4.5 (0x40900000); scale 0.5 (0x3800): 2.25 (0x40100000); q[1] = -1 at x[1] = 8: -8
        bytes memory blk = new bytes(34);
        (blk[0], blk[1], blk[2], blk[3], blk[18]) = (0x00, 0x3c, 0x02, 0xff, 0x03);
        uint32[] memory x = new uint32[](32);
        (x[0], x[1], x[16]) = (0x3fc00000, 0x41000000, 0x3f000000);
        bytes memory s = referee.dotChunkQ8_0(_zeros16(), _le(x), blk);
        assertEq(_partial(s, 0), 0x40900000, "s0 = 4.5");
        assertEq(_partial(s, 1), 0xc1000000, "s1 = -8");
        assertEq(_partial(s, 2), 0, "s2 = +0");
        blk[1] = 0x38;
        s = referee.dotChunkQ8_0(_zeros16(), _le(x), blk);
        assertEq(_partial(s, 0), 0x40100000, "s0 = 2.25 with scale 0.5");
        // f16 scale 0x0001 = 2^-24 (subnormal): p = 4.5 as before, s0 = 4.5 * 2^-24 = 1.125 * 2^-22 = 0x34900000
        (blk[0], blk[1]) = (0x01, 0x00);
        s = referee.dotChunkQ8_0(_zeros16(), _le(x), blk);
        assertEq(_partial(s, 0), 0x34900000, "subnormal f16 scale widened exactly");
    }

    /// @dev 32 floats of 1.0, LE
    function _ones32() internal pure returns (bytes memory) {
        uint32[] memory x = new uint32[](32);
        for (uint256 j; j < 32; j++) x[j] = ONE;
        return _le(x);
    }

    function testQ4_0BlockDecodesNibblesMinusEight() public view {
        // scale 1.0; qs[0] = 0x0f: element 0 = 15 - 8 = 7, element 16 = 0 - 8 = -8; qs[j] = 0x88 elsewhere: 0.
        // x = 1: p = 7 * 1 = 7, p = fma(-8, 1, 7) = -1, s0 = fma(-1, 1, 0) = -1 (0xbf800000); s1 = 0 * 1 ... = +0
        bytes memory blk = new bytes(18);
        (blk[0], blk[1], blk[2]) = (0x00, 0x3c, 0x0f);
        for (uint256 j = 1; j < 16; j++) blk[2 + j] = 0x88;
        bytes memory s = referee.dotChunkQ4_0(_zeros16(), _ones32(), blk);
        assertEq(_partial(s, 0), 0xbf800000, "s0 = 7 - 8 = -1");
        assertEq(_partial(s, 1), 0, "s1 = +0");
        bytes memory w = referee.dequantChunk(2, blk, 0);
        assertEq(_partial(w, 0), 0x40e00000, "element 0 = 7 * 1");
        assertEq(_partial(w, 16), 0xc1000000, "element 16 = -8 * 1");
        assertEq(_partial(w, 1), 0, "element 1 = 0 * 1 = +0");
    }

    function testQ4_KSubBlocksUnpackScalesMinsAndNibbles() public view {
        // d = 1.0 (0x3c00), dmin = 0.5 (0x3800). Sub-block 5 (odd: high nibbles of bytes 80..111; packed scale):
        // sc = (b[13] & 15) | (b[5] >> 6) << 4 = 1 | 16 = 17, mn = (b[13] >> 4) | (b[9] >> 6) << 4 = 2 | 32 = 34,
        // d1 = 17, m1 = 0.5 * 34 = 17; b[80] = 0x30: q = 3, 17 * 3 - 17 = 34 (0x42080000); q = 0: -17 (0xc1880000).
        // Sub-block 2 (even: low nibbles of bytes 48..79): sc = b[6] & 63 = 3, mn = b[10] & 63 = 1: d1 = 3, m1 = 0.5;
        // b[48] = 0x0a: 3 * 10 - 0.5 = 29.5 (0x41ec0000); q = 0: -0.5 (0xbf000000).
        bytes memory blk = new bytes(144);
        (blk[0], blk[1], blk[2], blk[3]) = (0x00, 0x3c, 0x00, 0x38);
        (blk[5], blk[9], blk[13], blk[80]) = (0x40, 0x80, 0x21, 0x30);
        (blk[6], blk[10], blk[48]) = (0xc3, 0x01, 0x0a);
        bytes memory w = referee.dequantChunk(12, blk, 5);
        assertEq(_partial(w, 0), 0x42080000, "sub 5 element 0 = 17 * 3 - 17");
        assertEq(_partial(w, 31), 0xc1880000, "sub 5 element 31 = 17 * 0 - 17");
        w = referee.dequantChunk(12, blk, 2);
        assertEq(_partial(w, 0), 0x41ec0000, "sub 2 element 0 = 3 * 10 - 0.5");
        assertEq(_partial(w, 7), 0xbf000000, "sub 2 element 7 = -0.5");
        // the chunk against x = 1: s0 = fma(34, 1, 0) then fma(-17, 1, 34) = 17 (0x41880000); s1 = -17 - 17 = -34
        bytes memory s = referee.dotChunkQ4_K(_zeros16(), _ones32(), blk, 5);
        assertEq(_partial(s, 0), 0x41880000, "s0 = 34 - 17");
        assertEq(_partial(s, 1), 0xc2080000, "s1 = -34");
    }

    function testQ6_KSubBlocksJoinLowAndHighBitsAndSignedScales() public view {
        // d = 1.0 at byte 208. Sub-block 6: n = 1, k = 2: low bits the high nibbles of ql[64 + l], high bits
        // (qh[160 + l] >> 4) & 3, scales sc[204] (l < 16) = -2 and sc[205] (l >= 16) = 3.
        // l = 0: b[64] = 0x50, b[160] = 0x20: q = 5 | 2 << 4 = 37, minus 32 = 5: (1 * -2) * 5 = -10 (0xc1200000);
        // l = 1: q = 0 - 32: -2 * -32 = 64 (0x42800000); l = 16: b[80] = 0xf0, b[176] = 0x30: q = 63 - 32 = 31:
        // 3 * 31 = 93 (0x42ba0000); l = 17: 3 * -32 = -96 (0xc2c00000)
        bytes memory blk = new bytes(210);
        (blk[208], blk[209], blk[204], blk[205]) = (0x00, 0x3c, 0xfe, 0x03);
        (blk[64], blk[160], blk[80], blk[176]) = (0x50, 0x20, 0xf0, 0x30);
        bytes memory w = referee.dequantChunk(14, blk, 6);
        assertEq(_partial(w, 0), 0xc1200000, "element 0 = -2 * 5");
        assertEq(_partial(w, 1), 0x42800000, "element 1 = -2 * -32");
        assertEq(_partial(w, 16), 0x42ba0000, "element 16 = 3 * 31");
        assertEq(_partial(w, 17), 0xc2c00000, "element 17 = 3 * -32");
        // against x = 1: s0 = fma(93, 1, -10) = 83 (0x42a60000); s1 = 64 - 96 = -32 (0xc2000000)
        bytes memory s = referee.dotChunkQ6_K(_zeros16(), _ones32(), blk, 6);
        assertEq(_partial(s, 0), 0x42a60000, "s0 = -10 + 93");
        assertEq(_partial(s, 1), 0xc2000000, "s1 = 64 - 96");
    }

    function testMalformedQuantBlocksRevertWithNamedErrors() public {
        bytes memory s0 = _zeros16();
        bytes memory x = _ones32();
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadStateLength.selector, "block18", uint256(17), uint256(18)));
        referee.dotChunkQ4_0(s0, x, new bytes(17));
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadStateLength.selector, "block144", uint256(143), uint256(144)));
        referee.dotChunkQ4_K(s0, x, new bytes(143), 0);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.IndexOutOfRange.selector, "sub", uint256(8), uint256(8)));
        referee.dotChunkQ6_K(s0, x, new bytes(210), 8);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadStateLength.selector, "x", uint256(124), uint256(128)));
        referee.dotChunkQ4_K(s0, new bytes(124), new bytes(144), 0);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.IndexOutOfRange.selector, "sub", uint256(1), uint256(1)));
        referee.dequantChunk(2, new bytes(18), 1);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.UnknownWeightType.selector, uint8(3)));
        referee.dequantChunk(3, new bytes(20), 0);
    }

    // ------------------------------------------------------------------ sum, max, weighted sum

    function testSumChunkAddsIntoPartials() public view {
        // e = [1, 2, 3] at start 16: s0 = 1, s1 = 2, s2 = 3; combine = 6 (0x40c00000)
        bytes memory s = referee.sumChunk(_zeros16(), _le(_v(ONE, 0x40000000, 0x40400000)), 16);
        assertEq(_partial(s, 0), ONE, "s0 = 1");
        assertEq(referee.combine16(s), 0x40c00000, "sum = 6");
    }

    function testMaxScanIsJavasGreaterThan() public view {
        // NaN never wins; of equal values the first stays (-0 before +0 keeps -0, and the other way round)
        assertEq(referee.maxChunk(NEG_INF, _le(_v(NAN, NEG_ZERO, 0))), NEG_ZERO, "-0 first stays");
        assertEq(referee.maxChunk(NEG_INF, _le(_v(0, NEG_ZERO))), 0, "+0 first stays");
        assertEq(referee.maxChunk(NEG_INF, _le(_v(NAN))), NEG_INF, "NaN never replaces the max");
        assertEq(referee.maxChunk(0xc0000000, _le(_v(0xbf800000, 0x3f800000, 0xc2c80000))), ONE, "-2, -1, 1, -100 -> 1");
        assertEq(referee.maxChunk(ONE, _le(_v(0x7f800000))), 0x7f800000, "+inf wins");
    }

    function testWeightedSumIsFmaInOrder() public view {
        // o = 0; fma(0.5, 2, 0) = 1; fma(0.25, 4, 1) = 2 (0x40000000)
        assertEq(referee.weightedSumChunk(0, _le(_v(0x3f000000, 0x3e800000)), _le(_v(0x40000000, 0x40800000))),
            0x40000000, "0.5*2 + 0.25*4");
    }

    // ------------------------------------------------------------------ finishes

    function testFinishPerOp() public view {
        uint32[16] memory st;
        (st[0], st[1]) = (0x40000000, ONE); // combine = 3
        bytes memory s = _state(st);
        assertEq(referee.finish(0, s, false, 0, 0), 0x40400000, "attn_ss: combine");
        assertEq(referee.finish(2, s, true, ONE, 0), 0x40800000, "q: combine + bias = 4");
        assertEq(referee.finish(7, s, false, 0, 0x3f000000), 0x3fc00000, "scores: combine * 0.5 = 1.5");
        assertEq(referee.finish(8, abi.encodePacked(StepCodec.le(0xc0000000)), false, 0, 0), 0xc0000000, "att_max: itself");
        // no bias: nothing is added (a -0 element stays -0; -0 + +0 would be +0)
        for (uint256 k = 0; k < 16; ++k) st[k] = NEG_ZERO;
        assertEq(referee.finish(3, _state(st), false, 0, 0), NEG_ZERO, "k without bias keeps -0");
        assertEq(referee.finish(3, _state(st), true, 0, 0), 0, "k with bias +0 gives +0");
    }

    function testFinishRejectsElementwiseOps() public {
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.NotAReduction.selector, uint256(1)));
        referee.finish(1, _zeros16(), false, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.NotAReduction.selector, uint256(22)));
        referee.finish(22, _zeros16(), false, 0, 0);
    }

    // ------------------------------------------------------------------ elementwise

    function testRmsInvAndScale() public view {
        // ss = 16, n = 4, eps = 0: 1 / sqrt(4) = 0.5; (3 * 0.5) * 2 = 3
        assertEq(referee.rmsInv(0x41800000, 4, 0), 0x3f000000, "1/sqrt(16/4)");
        assertEq(referee.rmsScale(0x40400000, 0x3f000000, 0x40000000), 0x40400000, "(3*0.5)*2");
        // ss = 0, eps = 0: 1 / sqrt(0) = +inf
        assertEq(referee.rmsInv(0, 8, 0), 0x7f800000, "1/sqrt(0)");
        // n = 2^31 - 1 rounds to 2^31 as a float: ss = 2^31 gives 1 / sqrt(1) = 1
        assertEq(referee.rmsInv(0x4f000000, (1 << 31) - 1, 0), ONE, "(float) n rounds like Java's int to float");
    }

    function testRopeRoundsEachProduct() public view {
        // a = c = 1 + 2^-12, b = 1, s = 1 + 2^-11: a*c = 1 + 2^-11 (the 2^-24 tie rounds to even) = b*s, so a' = +0
        // (an fma would keep 2^-24); b' = (1 + 2^-11 + 2^-12 + 2^-23) + (1 + 2^-12) = 2 + 2^-10 + 2^-23 -> 2 + 2^-10
        (uint32 a2, uint32 b2) = referee.ropePair(0x3f800800, ONE, 0x3f800800, 0x3f801000);
        assertEq(a2, 0, "a*c - b*s = +0");
        assertEq(b2, 0x40001000, "a*s + b*c");
        (a2, b2) = referee.ropePair(ONE, 0x40000000, 0x3f000000, 0x3e800000);
        assertEq(a2, 0, "1*0.5 - 2*0.25");
        assertEq(b2, 0x3fa00000, "1*0.25 + 2*0.5 = 1.25");
    }

    function testSoftmaxExpAndProb() public view {
        assertEq(referee.softmaxExp(ONE, ONE), ONE, "exp(0) = 1");
        assertEq(referee.softmaxExp(0xc3480000, 0), 0, "exp(-200) below the -104 cut = +0");
        assertEq(referee.softmaxExp(NEG_INF, NEG_INF), 0, "all masked: +0");
        assertEq(referee.softmaxExp(NAN, 0), NAN, "NaN score");
        assertEq(referee.softmaxProb(ONE, 0x40000000, 0), 0x3f000000, "1/2");
        assertEq(referee.softmaxProb(0, 0, NEG_INF), 0, "all masked: +0, not 0/0");
        assertEq(referee.div(0, 0), NAN, "0/0");
    }

    function testSiluMul() public view {
        // silu(0) = 0 / (1 + 1) = +0; silu(100) = 100 / (1 + e^-100) = 100 (e^-100 is below half an ulp of 1)
        assertEq(referee.siluMul(0, 0x40a00000), 0, "silu(0)*5");
        assertEq(referee.siluMul(0x42c80000, 0x40000000), 0x43480000, "silu(100)*2 = 200");
        assertEq(referee.add(0x3f800000, 0xbf800000), 0, "1 + -1 = +0");
    }

    function testDequantisation() public view {
        bytes memory blk = new bytes(34);
        (blk[0], blk[1], blk[2], blk[3]) = (0x00, 0x3c, 0xfd, 0x00); // scale 1.0, q[0] = -3, q[1] = 0
        assertEq(referee.dequantQ8_0(blk, 0), 0xc0400000, "-3 * 1");
        blk[1] = 0xb8; // scale -0.5
        assertEq(referee.dequantQ8_0(blk, 0), 0x3fc00000, "-3 * -0.5 = 1.5");
        assertEq(referee.dequantQ8_0(blk, 1), NEG_ZERO, "0 * -0.5 = -0");
        (blk[0], blk[1]) = (0x00, 0x7c); // scale +inf
        assertEq(referee.dequantQ8_0(blk, 1), NAN, "0 * inf = NaN");
        bytes memory f32 = abi.encodePacked(_raw(0x7f800001), _raw(0x3f800000));
        assertEq(referee.dequantF32(f32, 0), NAN, "a NaN weight reads as the canonical NaN");
        assertEq(referee.dequantF32(f32, 1), ONE, "1.0");
    }

    function testCanonicalStateBytes() public view {
        // a NaN partial comes back as 0x7fc00000 (LE 00 00 c0 7f), whatever NaN went in
        uint32[16] memory st;
        bytes memory s = referee.dotChunkActs(abi.encodePacked(_raw(0xffc00001), new bytes(60)), _le(_v(ONE)), _le(_v(ONE)), 0);
        assertEq(_partial(s, 0), NAN, "canonical NaN");
        assertEq(uint8(s[3]), 0x7f, "LE byte 3");
        assertEq(uint8(s[2]), 0xc0, "LE byte 2");
        st[0] = NAN;
        assertEq(uint256(keccak256(s)), uint256(keccak256(_state(st))), "state bytes canonical");
    }

    // ------------------------------------------------------------------ malformed input

    function testMalformedInputRevertsWithNamedErrors() public {
        uint32[] memory long = new uint32[](33);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadVectorLength.selector, "a", uint256(132), uint256(32)));
        referee.dotChunkActs(_zeros16(), _le(long), _le(long), 0);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.LengthMismatch.selector, "w", uint256(8), uint256(4)));
        referee.dotChunkF32(_zeros16(), _le(_v(ONE)), _le(_v(ONE, ONE)), 0);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadStateLength.selector, "state", uint256(63), uint256(64)));
        referee.sumChunk(new bytes(63), _le(_v(ONE)), 0);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadVectorLength.selector, "s", uint256(5), uint256(32)));
        referee.maxChunk(NEG_INF, new bytes(5));
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadVectorLength.selector, "prob", uint256(36), uint256(8)));
        referee.weightedSumChunk(0, new bytes(36), new bytes(36));
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadStateLength.selector, "block34", uint256(33), uint256(34)));
        referee.dequantQ8_0(new bytes(33), 0);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.IndexOutOfRange.selector, "j", uint256(32), uint256(32)));
        referee.dequantQ8_0(new bytes(34), 32);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadStateLength.selector, "x", uint256(124), uint256(128)));
        referee.dotChunkQ8_0(_zeros16(), new bytes(124), new bytes(34));
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.BadStateLength.selector, "state", uint256(64), uint256(4)));
        referee.finish(12, _zeros16(), false, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(IStepReferee.IndexOutOfRange.selector, "n", uint256(1 << 31), uint256(1 << 31)));
        referee.rmsInv(ONE, 1 << 31, 0);
    }

    // ------------------------------------------------------------------ fuzz: a chunk split anywhere composes

    /// @dev n floats of arbitrary bit patterns drawn from seed (every NaN payload, subnormal and infinity can occur)
    function _draw(bytes32 seed, uint256 n) internal pure returns (bytes memory out) {
        out = new bytes(4 * n);
        for (uint256 i = 0; i < n; ++i) {
            bytes4 w = bytes4(keccak256(abi.encodePacked(seed, i)));
            for (uint256 k = 0; k < 4; ++k) out[4 * i + k] = w[k];
        }
    }

    function _slice(bytes memory b, uint256 from, uint256 to) internal pure returns (bytes memory out) {
        out = new bytes(to - from);
        for (uint256 i = from; i < to; ++i) out[i - from] = b[i];
    }

    function testFuzzDotChunkSplitAnywhereGivesTheSameState(bytes32 seed, uint8 len, uint8 cut, uint8 start) public view {
        uint256 n = uint256(len) % 33;
        uint256 c = n == 0 ? 0 : uint256(cut) % (n + 1);
        bytes memory a = _draw(seed, n);
        bytes memory b = _draw(keccak256(abi.encode(seed)), n);
        bytes memory s0 = _draw(keccak256(abi.encode(seed, "state")), 16);
        bytes memory whole = referee.dotChunkActs(s0, a, b, start);
        bytes memory first = referee.dotChunkActs(s0, _slice(a, 0, 4 * c), _slice(b, 0, 4 * c), start);
        bytes memory split = referee.dotChunkActs(first, _slice(a, 4 * c, 4 * n), _slice(b, 4 * c, 4 * n), uint256(start) + c);
        assertEq(uint256(keccak256(split)), uint256(keccak256(whole)), "the state after both halves is the state after the whole");
        assertEq(uint256(keccak256(referee.dotChunkF32(s0, a, b, start))), uint256(keccak256(whole)), "F32 and activation chunks agree");
    }

    function testFuzzSumAndMaxChunksSplitAnywhereGiveTheSameState(bytes32 seed, uint8 len, uint8 cut, uint8 start) public view {
        uint256 n = uint256(len) % 33;
        uint256 c = n == 0 ? 0 : uint256(cut) % (n + 1);
        bytes memory e = _draw(seed, n);
        bytes memory s0 = _draw(keccak256(abi.encode(seed, "state")), 16);
        bytes memory whole = referee.sumChunk(s0, e, start);
        bytes memory split = referee.sumChunk(referee.sumChunk(s0, _slice(e, 0, 4 * c), start), _slice(e, 4 * c, 4 * n), uint256(start) + c);
        assertEq(uint256(keccak256(split)), uint256(keccak256(whole)), "sum state");
        uint32 m = referee.maxChunk(NEG_INF, e);
        assertEq(referee.maxChunk(referee.maxChunk(NEG_INF, _slice(e, 0, 4 * c)), _slice(e, 4 * c, 4 * n)), m, "max state");
        // NaN is never taken as the max
        assertTrue((m & 0x7fffffff) <= 0x7f800000, "max is not NaN");
    }
}
