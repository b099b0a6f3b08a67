// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {StepArithmetic} from "./StepArithmetic.sol";

/**
 * @title StepActivations
 * @notice The referee's two transcendental elements, in a contract of their own so that {StepReferee} stays under
 * the 24 KB code limit (the binary64 exponentials are most of the code): softmax's exponential and SiLU. Its
 * deployer ({StepReferee}'s constructor) forwards {IStepReferee.softmaxExp} and {IStepReferee.siluMul} to it.
 */
contract StepActivations {
    /// @notice see {IStepReferee.softmaxExp}
    function softmaxExp(uint32 s, uint32 m) external pure returns (uint32) {
        return StepArithmetic.softmaxExp(s, m);
    }

    /// @notice see {IStepReferee.siluMul}
    function siluMul(uint32 g, uint32 u) external pure returns (uint32) {
        return StepArithmetic.siluMul(g, u);
    }
}
