// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Test} from "../utils/Vm.sol";
import {IOneStep} from "../../src/game/IOneStep.sol";
import {OneStep} from "../../src/game/OneStep.sol";
import {StepReferee} from "../../src/step/StepReferee.sol";
import {Console} from "./GameWorld.sol";

/// @dev The JSON cheatcodes these tests use (beside test/utils/Vm.sol's).
interface VmJson {
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonBytes32(string calldata json, string calldata key) external pure returns (bytes32);
    function parseJsonBytes32Array(string calldata json, string calldata key) external pure returns (bytes32[] memory);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseJsonUintArray(string calldata json, string calldata key) external pure returns (uint256[] memory);
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    function parseJsonBool(string calldata json, string calldata key) external pure returns (bool);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);
}

/// @title The game's verifier on the engine's own step vectors (docs/vectors/step-v1, written by inference's
///        StepVectors from the Java engine): every covered step of the Q8_0 llama3 and the F32 qwen2 (bias)
///        models, and every weight-reading step of the Q4_0, Q6_K and Q4_K models at layer 0, opens its inputs
///        with the engine's proofs and recomputes exactly the engine's bits.
contract GameVectorsTest is Test {
    VmJson internal constant J = VmJson(address(uint160(uint256(keccak256("hevm cheat code")))));
    string internal constant DIR = "../docs/vectors/step-v1/";

    OneStep internal oneStep;
    string internal stepJ;
    string internal modelJ;
    string internal traceJ;
    IOneStep.StepInput internal base; // the file's fields every element shares (parsed once)

    function setUp() public {
        oneStep = new OneStep(new StepReferee());
    }

    function _load(string memory t) internal {
        stepJ = J.readFile(string.concat(DIR, "step-", t, ".json"));
        modelJ = J.readFile(string.concat(DIR, "model-", t, ".json"));
        traceJ = J.readFile(string.concat(DIR, "trace-", t, ".json"));
        base.p = uint32(J.parseJsonUint(stepJ, ".position"));
        base.l = uint32(J.parseJsonUint(stepJ, ".layer"));
        base.traceRoot = J.parseJsonBytes32(traceJ, ".root");
        base.leafCount = uint32(J.parseJsonUintArray(traceJ, ".tokens").length * J.parseJsonUint(traceJ, ".layers"));
        base.weightsRoot = J.parseJsonBytes32(modelJ, ".weights.root");
        base.tokensHash = J.parseJsonBytes32(traceJ, ".tokensHash");
        for (uint256 j; j < 22; j++) base.opRoots[j] = J.parseJsonBytes32(stepJ, string.concat(".ops[", _s(j), "].root"));
        base.spec = J.parseJsonBytes(modelJ, ".spec.encoding");
    }

    function _s(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v != 0) {
            b = bytes.concat(bytes1(uint8(48 + v % 10)), b);
            v /= 10;
        }
        return string(b);
    }

    function _el(uint256 k) internal pure returns (string memory) {
        return string.concat(".elements[", _s(k), "]");
    }

    function _input(uint256 k, uint256 c, bytes memory openings) internal view returns (IOneStep.StepInput memory s) {
        string memory el = _el(k);
        s = base;
        s.op = uint32(J.parseJsonUint(stepJ, string.concat(el, ".op")));
        s.e = uint32(J.parseJsonUint(stepJ, string.concat(el, ".element")));
        s.c = uint32(c);
        s.openings = openings;
    }

    /// @dev A vector opening at `key` ({source, rootOf, bytes, proof}): an op chunk, or x_in from its leaf.
    function _vec(string memory key) internal view returns (bytes memory) {
        string memory rootOf = J.parseJsonString(stepJ, string.concat(key, ".rootOf"));
        if (keccak256(bytes(rootOf)) == keccak256("token_embd")) {
            // x_in at layer 0: the token list and the embedding block holding the chunk (OneStep dequantizes it)
            string memory bk = string.concat(key, ".block");
            uint256 t = J.parseJsonUint(stepJ, string.concat(bk, ".tensor"));
            return abi.encode(
                J.parseJsonBytes(stepJ, ".agreed.tokensBytes"),
                J.parseJsonBytes(stepJ, string.concat(bk, ".bytes")),
                J.parseJsonBytes32Array(stepJ, string.concat(bk, ".proof.siblings")),
                J.parseJsonBytes32Array(modelJ, string.concat(".weights.tensors[", _s(t), "].proof.siblings"))
            );
        }
        bytes memory chunk = J.parseJsonBytes(stepJ, string.concat(key, ".bytes"));
        bytes32[] memory sib = J.parseJsonBytes32Array(stepJ, string.concat(key, ".proof.siblings"));
        bytes memory r = bytes(rootOf);
        if (!(r.length > 5 && r[0] == "l" && r[1] == "e" && r[2] == "a" && r[3] == "f" && r[4] == " ")) {
            return abi.encode(chunk, sib); // "op NAME": an op of this step
        }
        // "leaf I xRoot|kRoot|vRoot": an agreed leaf, opened by its preimage and trace proof
        uint256 leaf = _leafIndex(bytes(rootOf));
        string memory lk = string.concat(".leaves[", _s(leaf), "]");
        bytes32[3] memory pre = [
            J.parseJsonBytes32(traceJ, string.concat(lk, ".xRoot")),
            J.parseJsonBytes32(traceJ, string.concat(lk, ".kRoot")),
            J.parseJsonBytes32(traceJ, string.concat(lk, ".vRoot"))
        ];
        return abi.encode(pre, J.parseJsonBytes32Array(traceJ, string.concat(lk, ".proof.siblings")), chunk, sib);
    }

    function _attOutOpenings(string memory st) internal view returns (bytes memory) {
        bool two = J.keyExistsJson(stepJ, string.concat(st, ".prob.openings[1]"));
        bytes[] memory probs = new bytes[](two ? 2 : 1);
        probs[0] = _vec(string.concat(st, ".prob.openings[0]"));
        if (two) probs[1] = _vec(string.concat(st, ".prob.openings[1]"));
        uint256 n = J.parseJsonUint(stepJ, string.concat(st, ".count"));
        bytes[] memory vs = new bytes[](n);
        for (uint256 j; j < n; j++) vs[j] = _vec(string.concat(st, ".v[", _s(j), "].openings[0]"));
        return abi.encode(probs, vs);
    }

    function _leafIndex(bytes memory rootOf) internal pure returns (uint256 n) {
        for (uint256 i = 5; i < rootOf.length && rootOf[i] != " "; i++) n = 10 * n + (uint8(rootOf[i]) - 48);
    }

    /// @dev A weight block opening at `key` ({tensor, bytes, proof}) with its tensor's proof from the model file.
    function _weight(string memory key) internal view returns (bytes memory) {
        uint256 t = J.parseJsonUint(stepJ, string.concat(key, ".tensor"));
        return abi.encode(
            J.parseJsonBytes(stepJ, string.concat(key, ".bytes")),
            J.parseJsonBytes32Array(stepJ, string.concat(key, ".proof.siblings")),
            J.parseJsonBytes32Array(modelJ, string.concat(".weights.tensors[", _s(t), "].proof.siblings"))
        );
    }

    function _name(uint256 k) internal view returns (string memory) {
        return J.parseJsonString(stepJ, string.concat(_el(k), ".name"));
    }

    function _elementwise(uint256 k) internal view {
        string memory el = _el(k);
        uint256 n = J.keyExistsJson(stepJ, string.concat(el, ".operands[2]")) ? 3 : 2;
        uint256 op = J.parseJsonUint(stepJ, string.concat(el, ".op"));
        bytes memory openings;
        string memory o0 = string.concat(el, ".operands[0].opening");
        string memory o1 = string.concat(el, ".operands[1].opening");
        if (n == 2) {
            openings = abi.encode(_vec(o0), _vec(o1));
        } else {
            string memory o2 = string.concat(el, ".operands[2].opening");
            // att_prob's third operand is att_max (a vector); norms' the weight, rope's the table (cos; sin is
            // in the same block)
            bytes memory third = op == 11 ? _vec(o2) : _weight(o2);
            openings = abi.encode(_vec(o0), _vec(o1), third);
        }
        (uint32 got, uint256 gas) = this.measureElementwise(_input(k, 0, openings));
        Console.log(string.concat("OneStep.elementwise ", _name(k), ": gas"), gas);
        assertEq(got, J.parseJsonUint(stepJ, string.concat(el, ".output")), string.concat("elementwise ", _name(k)));
    }

    function _reduction(uint256 k) internal view {
        string memory el = _el(k);
        string memory st = string.concat(el, ".step");
        uint256 c = J.parseJsonUint(stepJ, string.concat(st, ".chunk"));
        uint256 op = J.parseJsonUint(stepJ, string.concat(el, ".op"));
        bytes memory openings;
        if (op == 12) {
            openings = _attOutOpenings(st);
        } else if (op == 0 || op == 15) {
            openings = _vec(string.concat(st, ".a.openings[0]"));
        } else if (op == 7) {
            openings = abi.encode(_vec(string.concat(st, ".a.openings[0]")), _vec(string.concat(st, ".b.openings[0]")));
        } else if (op == 8 || op == 10) {
            bool two = J.keyExistsJson(stepJ, string.concat(st, ".a.openings[1]"));
            bytes[] memory os = new bytes[](two ? 2 : 1);
            os[0] = _vec(string.concat(st, ".a.openings[0]"));
            if (two) os[1] = _vec(string.concat(st, ".a.openings[1]"));
            openings = abi.encode(os);
        } else {
            openings = abi.encode(_vec(string.concat(st, ".a.openings[0]")), _weight(string.concat(st, ".weightBlock")));
        }
        bytes memory before = _state(J.parseJsonUintArray(stepJ, string.concat(st, ".before")));
        bool zero = c == 0;
        (bytes memory out, uint256 gas) = this.measureReduceChunk(_input(k, c, openings), zero ? bytes("") : before);
        Console.log(string.concat("OneStep.reduceChunk ", _name(k), ": gas"), gas);
        assertTrue(
            keccak256(out) == keccak256(_state(J.parseJsonUintArray(stepJ, string.concat(st, ".after")))),
            string.concat("chunk state of ", _name(k))
        );
        bytes memory fo;
        if (op >= 2 && op <= 4 && J.parseJsonBool(modelJ, ".spec.hasQkvBias")) {
            fo = _weight(string.concat(el, ".finish.bias.opening"));
        }
        bytes memory last = _state(J.parseJsonUintArray(stepJ, string.concat(el, ".finish.state")));
        (uint32 v, uint256 fgas) = this.measureFinish(_input(k, 0, fo), last);
        Console.log(string.concat("OneStep.finish ", _name(k), ": gas"), fgas);
        assertEq(v, J.parseJsonUint(stepJ, string.concat(el, ".finish.output")), string.concat("finish of ", _name(k)));
    }

    // The verifier's calls measured in a frame of their own (the test's big memory of parsed JSON would
    // otherwise make every memory word it touches expensive): the gas of the call as the game makes it,
    // without the game's own checks and without the transaction's calldata.
    function measureElementwise(IOneStep.StepInput calldata s) external view returns (uint32 v, uint256 gas) {
        uint256 g0 = gasleft();
        v = oneStep.elementwise(s);
        gas = g0 - gasleft();
    }

    function measureReduceChunk(IOneStep.StepInput calldata s, bytes calldata prev)
        external
        view
        returns (bytes memory out, uint256 gas)
    {
        uint256 g0 = gasleft();
        out = oneStep.reduceChunk(s, prev);
        gas = g0 - gasleft();
    }

    function measureFinish(IOneStep.StepInput calldata s, bytes calldata state) external view returns (uint32 v, uint256 gas) {
        uint256 g0 = gasleft();
        v = oneStep.finish(s, state);
        gas = g0 - gasleft();
    }

    function _state(uint256[] memory w) internal pure returns (bytes memory b) {
        b = new bytes(4 * w.length);
        for (uint256 i; i < w.length; i++) {
            uint32 v = uint32(w[i]);
            b[4 * i] = bytes1(uint8(v));
            b[4 * i + 1] = bytes1(uint8(v >> 8));
            b[4 * i + 2] = bytes1(uint8(v >> 16));
            b[4 * i + 3] = bytes1(uint8(v >> 24));
        }
    }

    /// @dev Checks every covered element of the loaded file; returns how many.
    function _all() internal view returns (uint256 checked) {
        // (view: the logs go to forge's console, a staticcall)
        for (uint256 k; J.keyExistsJson(stepJ, _el(k)); k++) {
            uint256 op = J.parseJsonUint(stepJ, string.concat(_el(k), ".op"));
            if (op == 1 || op == 5 || op == 6 || op == 9 || op == 11 || op == 14 || op == 16 || op == 19 || op == 21) {
                _elementwise(k);
                checked++;
            } else {
                _reduction(k);
                checked++;
            }
        }
    }

    function testEngineVectorsQ8_0Llama() public {
        _load("q8_0");
        assertEq(_all(), 32, "covered elements of step-q8_0.json");
    }

    function testEngineVectorsF32QwenWithBias() public {
        _load("f32");
        assertEq(_all(), 32, "covered elements of step-f32.json");
    }

    // The quantized addendum (step at layer 0: x_in is the token's embedding chunk, dequantized on-chain): every
    // element that reads a weight block or the embedding, the matrix chunks in several sub-blocks.

    function testEngineVectorsQ4_0Llama() public {
        _load("q4_0");
        assertEq(_all(), 12, "covered elements of step-q4_0.json");
    }

    function testEngineVectorsQ6_KQwenWithBias() public {
        _load("q6_k");
        assertEq(_all(), 12, "covered elements of step-q6_k.json");
    }

    function testEngineVectorsQ4_KLlama() public {
        _load("q4_k");
        assertEq(_all(), 12, "covered elements of step-q4_k.json");
    }
}
