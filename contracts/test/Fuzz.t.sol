// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {TaskMarketBase} from "../src/market/TaskMarketBase.sol";
import {AgentRegistry} from "../src/AgentRegistry.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";

/// @title Fuzz tests of the external functions of the market and the registries: random arguments
///        either do what the function promises or revert with the custom error that names the fault.
contract FuzzTest is MarketFixture {
    address internal constant REQUESTER = address(0xBEEF);

    function setUp() public {
        deployAll();
        for (uint256 i; i < 5; ++i) addNode(operator(i), 2 ether);
    }

    function testFuzzSubmitTaskEscrowsTheFeeOrNamesTheBadArgument(uint8 k, uint96 fee, uint8 flags, uint8 mode, bytes calldata input)
        public
    {
        vm.deal(REQUESTER, uint256(fee) + 1);
        (, uint256 escrowedBefore,) = market.totals();
        bytes32 inputHash = keccak256(input);
        vm.prank(REQUESTER);
        (bool ok, bytes memory ret) = address(market).call{value: fee}(
            abi.encodeCall(market.submitTask, (modelId, inputHash, input, 1, 0, 16, 0, k, mode, flags))
        );
        (, uint256 escrowedAfter,) = market.totals();
        bytes4 expected;
        if (mode != 0) expected = TaskMarketBase.ModeNotSupported.selector;
        else if (k == 0 || k == 2 || k > 7) expected = TaskMarketBase.InvalidRedundancy.selector;
        else if (flags != 0) expected = flags & ~uint8(1) != 0 ? TaskMarketBase.InvalidFlags.selector : TaskMarketBase.CallbackRequiresContract.selector;
        else if (input.length > 4096) expected = TaskMarketBase.InputTooLarge.selector;
        else if (fee < MIN_FEE) expected = TaskMarketBase.FeeTooLow.selector;
        else if (k > 5) expected = TaskMarketBase.NotEnoughNodes.selector;
        if (expected == 0) {
            assertTrue(ok, "valid submission accepted");
            assertEq(escrowedAfter, escrowedBefore + fee, "fee escrowed");
            uint256 taskId = abi.decode(ret, (uint256));
            assertEq(market.getTask(taskId).k, k, "k seats to draw");
            assertTrue(drawPending(taskId), "seats drawn by the first commit");
        } else {
            assertTrue(!ok && ret.length >= 4 && bytes4(ret) == expected, "named error");
            assertEq(escrowedAfter, escrowedBefore, "nothing escrowed");
        }
    }

    function testFuzzCommitOnlyByTheAssignedOperator(address caller, uint256 agentSeed, uint8 lane, bytes32 commitment) public {
        // address(0) never sends a transaction (the operator cache's empty value is address(0))
        vm.assume(caller != address(0));
        uint256 taskId = submit(REQUESTER, 3, 3e15);
        uint32[] memory nodes = seats(taskId);
        uint256 agentId = 1 + agentSeed % 6; // 1..5 exist; 6 does not
        bool assigned;
        for (uint256 i; i < nodes.length; ++i) if (nodes[i] == agentId) assigned = true;
        bool isOperator = agentId <= 5 && caller == ownerOf(agentId);
        vm.prank(caller);
        (bool ok, bytes memory ret) = address(market).call(abi.encodeWithSignature("commit(uint256,uint256,uint8,bytes32,bytes)", taskId, agentId, lane, commitment, pools[taskId]));
        if (!assigned) assertTrue(!ok && bytes4(ret) == TaskMarketBase.NotAssigned.selector, "NotAssigned");
        else if (commitment == 0) assertTrue(!ok && bytes4(ret) == TaskMarketBase.ZeroCommitment.selector, "ZeroCommitment");
        else if (!isOperator) assertTrue(!ok && bytes4(ret) == TaskMarketBase.NotOperator.selector, "NotOperator");
        else assertTrue(ok, "assigned operator commits");
    }

    function testFuzzRevealOpensOnlyTheCommittedResult(bytes32 result, bytes32 guess, bytes32 salt) public {
        vm.assume(result != 0);
        uint256 taskId = submitDistinct(REQUESTER, 3, 3e15);
        uint32[] memory nodes = seats(taskId);
        for (uint256 i; i < 3; ++i) {
            address op = ownerOf(nodes[i]);
            bytes32 c = market.commitmentOf(taskId, op, result, result, salt);
            vm.prank(op);
            market.commit(taskId, nodes[i], 7, c, pools[taskId]); // the pool is ignored once drawn
        }
        vm.prank(ownerOf(nodes[0]));
        (bool ok, bytes memory ret) =
            address(market).call(abi.encodeCall(market.reveal, (taskId, nodes[0], 7, guess, result, salt, "")));
        if (guess == result) assertTrue(ok, "the committed result opens");
        else assertTrue(!ok && bytes4(ret) == TaskMarketBase.CommitmentMismatch.selector, "CommitmentMismatch");
    }

    function testFuzzFinalizeIsTooEarlyBeforeTheDeadlineAndAlwaysWorksAfter(uint32 wait, uint8 committers) public {
        uint256 taskId = submitDistinct(REQUESTER, 3, 3e15);
        uint32[] memory nodes = seats(taskId);
        uint256 n = committers % 4;
        for (uint256 i; i < n; ++i) commitAs(taskId, nodes[i], keccak256("r"));
        vm.warp(block.timestamp + wait % 400);
        TaskMarketBase.TaskView memory t = market.getTask(taskId);
        uint256 ready = n == 3 ? t.revealDeadline : t.commitDeadline;
        (bool ok, bytes memory ret) = address(market).call(abi.encodeWithSignature("finalize(uint256,bytes)", taskId, pools[taskId]));
        if (block.timestamp <= ready) assertTrue(!ok && bytes4(ret) == TaskMarketBase.TooEarly.selector, "TooEarly");
        else assertTrue(ok, "finalize after the deadline");
        (, uint256 escrowed, uint256 unclaimed) = market.totals();
        assertEq(address(market).balance, escrowed + unclaimed, "funds accounted");
    }

    /// @notice Whatever stake and serving changes follow a submission (top-ups, unstaking, new servers,
    ///         servers leaving), the seats its first commit stores are the ones the submission's pool and
    ///         block hash gave: the pool was frozen at the submission.
    function testFuzzDrawNeverChangesAfterSubmission(uint256 changes, uint96 amount, uint8 k) public {
        k = [1, 3, 5][k % 3];
        uint256 taskId = submit(REQUESTER, k, 3e15);
        uint32[] memory before = seats(taskId);
        for (uint256 i; i < 4; ++i) {
            uint256 action = (changes >> (8 * i)) % 4;
            uint256 agentId = 1 + (changes >> (8 * i + 2)) % 5;
            uint256 value = 1 + uint256(amount) % 50 ether;
            if (action == 0) {
                vm.deal(address(this), value);
                agents.stake{value: value}(agentId); // anyone may top up any agent
            } else if (action == 1) {
                (uint256 bonded,,) = agents.stakeOf(agentId);
                if (bonded == 0) continue;
                vm.prank(ownerOf(agentId));
                agents.requestUnstake(agentId, 1 + value % bonded);
            } else if (action == 2) {
                addNode(operator(10 + i), 1 ether + value); // a new, heavy server
            } else {
                vm.prank(ownerOf(agentId));
                try models.withdrawServes(agentId, modelId) {} catch {}
            }
            mine();
        }
        assertTrue(drawPending(taskId), "still pending");
        uint32[] memory previewed = seats(taskId);
        for (uint256 p; p < k; ++p) assertEq(previewed[p], before[p], "preview unchanged");
        // the first commit (by any seated agent that is still the operator's) stores exactly those seats
        commitAs(taskId, before[0], keccak256("r"));
        uint32[] memory stored = market.taskNodes(taskId);
        for (uint256 p; p < k; ++p) assertEq(stored[p], before[p], "stored seats are the submission's draw");
    }

    function testFuzzClaimAndWithdrawBalancePayOnlyWhatIsOwed(address caller, uint256 agentSeed) public {
        uint256 agentId = 1 + agentSeed % 5;
        vm.prank(caller);
        (bool ok, bytes memory ret) = address(market).call(abi.encodeCall(market.claim, (agentId)));
        bytes4 want = caller == ownerOf(agentId) ? TaskMarketBase.NothingToClaim.selector : TaskMarketBase.NotOperator.selector;
        assertTrue(!ok && bytes4(ret) == want, "claim with nothing owed");
        vm.prank(caller);
        (ok, ret) = address(market).call(abi.encodeCall(market.withdrawBalance, ()));
        assertTrue(!ok && bytes4(ret) == TaskMarketBase.NothingToWithdraw.selector, "withdrawBalance with nothing owed");
    }

    function testFuzzStakeUnstakeWithdrawConserveFunds(uint96 amount, uint96 unstake, uint32 wait) public {
        amount = uint96(bound(amount, 0, 1e27)); // far below the 2^96 cap on one agent's stake
        uint256 agentId = 1;
        address owner = ownerOf(agentId);
        vm.deal(address(this), uint256(amount));
        (bool ok,) = address(agents).call{value: amount}(abi.encodeCall(agents.stake, (agentId)));
        assertTrue(ok == (amount != 0), "stake of a positive amount");
        (uint256 bonded,,) = agents.stakeOf(agentId);
        vm.prank(owner);
        (ok,) = address(agents).call(abi.encodeCall(agents.requestUnstake, (agentId, unstake)));
        assertTrue(ok == (unstake != 0 && unstake <= bonded), "unstake within the bonded stake");
        vm.warp(block.timestamp + wait);
        (, uint256 unbonding, uint256 readyAt) = agents.stakeOf(agentId);
        uint256 before = owner.balance;
        vm.prank(owner);
        (ok,) = address(agents).call(abi.encodeCall(agents.withdraw, (agentId)));
        assertTrue(ok == (unbonding != 0 && block.timestamp >= readyAt), "withdraw after the delay");
        if (ok) assertEq(owner.balance, before + unbonding, "paid the unbonding stake");
        assertEq(address(agents).balance, agents.totalBonded() + agents.totalUnbonding(), "registry holds the stake");
    }

    function testFuzzRegisterModelAcceptsValidEntriesOrNamesTheField(bytes32 w, bytes32 t, bytes32 a, uint8 modes, uint8 nameLength)
        public
    {
        bytes memory name = new bytes(nameLength);
        (bool ok, bytes memory ret) =
            address(models).call(abi.encodeCall(models.registerModel, (w, t, a, string(name), modes)));
        if (w == 0 || t == 0 || a == 0) assertTrue(!ok && bytes4(ret) == ModelRegistry.ZeroHash.selector, "ZeroHash");
        else if (modes == 0 || modes > 7) assertTrue(!ok && bytes4(ret) == ModelRegistry.InvalidModes.selector, "InvalidModes");
        else if (nameLength == 0 || nameLength > 128) assertTrue(!ok && bytes4(ret) == ModelRegistry.InvalidName.selector, "InvalidName");
        else assertTrue(ok, "valid model registered");
    }

    function testFuzzDeclareServesNeedsStakeAndEvictionNeedsItGone(uint96 stakeAmount) public {
        address owner = address(0xD0);
        vm.startPrank(owner);
        uint256 id = agents.register("");
        vm.deal(owner, uint256(stakeAmount));
        if (stakeAmount != 0) agents.stake{value: stakeAmount}(id);
        (bool ok, bytes memory ret) = address(models).call(abi.encodeCall(models.declareServes, (id, modelId)));
        vm.stopPrank();
        bool staked = stakeAmount >= MIN_STAKE;
        if (!staked) {
            assertTrue(!ok && bytes4(ret) == ModelRegistry.NotStaked.selector, "NotStaked");
            return;
        }
        assertTrue(ok, "staked agent declares");
        (ok, ret) = address(models).call(abi.encodeCall(models.evictServer, (id, modelId)));
        assertTrue(!ok && bytes4(ret) == ModelRegistry.StillStaked.selector, "a staked server is not evictable");
    }

    function testFuzzSetTermsBoundsSubmissionsOrNamesTheFault(
        address stranger,
        bool asRegistrant,
        uint32 maxIn,
        uint32 maxOut,
        uint64 price,
        uint16 inputLength,
        uint32 maxTokens,
        uint96 fee,
        bool offChain
    ) public {
        address caller = asRegistrant ? address(this) : stranger;
        vm.prank(caller);
        (bool ok, bytes memory ret) = address(models).call(abi.encodeCall(models.setTerms, (modelId, maxIn, maxOut, price)));
        if (caller != address(this)) {
            assertTrue(!ok && bytes4(ret) == ModelRegistry.NotRegistrant.selector, "NotRegistrant");
            return;
        }
        if (maxIn == 0) {
            assertTrue(!ok && bytes4(ret) == ModelRegistry.InvalidTerms.selector, "InvalidTerms");
            return;
        }
        assertTrue(ok, "the registrant sets terms");
        (uint32 gotIn, uint32 gotOut, uint96 gotPrice) = models.termsOf(modelId);
        assertTrue(gotIn == maxIn && gotOut == maxOut && gotPrice == price, "terms read back");
        assertEq(models.modesOf(modelId), 1, "modes kept");

        bytes memory input = new bytes(offChain ? 0 : 1 + inputLength % 4096);
        fee = uint96(MIN_FEE + fee % 1e18);
        vm.deal(REQUESTER, fee);
        vm.prank(REQUESTER);
        (ok, ret) = address(market).call{value: fee}(
            abi.encodeCall(market.submitTask, (modelId, keccak256(offChain ? bytes("off") : input), input, 1, 0, maxTokens, 0, 1, 0, 0))
        );
        // reference: the rule as documented (bytes bound tokens; an off-chain input counts as maxInputBytes)
        uint256 bound = (offChain ? uint256(maxIn) : input.length) + maxTokens;
        bytes4 expected;
        if (input.length > maxIn) expected = TaskMarketBase.InputOverModelBound.selector;
        else if (maxTokens > maxOut) expected = TaskMarketBase.OutputOverModelBound.selector;
        else if (fee < uint256(price) * bound) expected = TaskMarketBase.FeeBelowModelPrice.selector;
        if (expected == 0) assertTrue(ok, "a task within the terms at their price is accepted");
        else assertTrue(!ok && bytes4(ret) == expected, "named error");
    }

    function testFuzzRegisterModelWithTermsStoresThem(uint32 maxIn, uint32 maxOut, uint96 price) public {
        (bool ok, bytes memory ret) = address(models).call(
            abi.encodeCall(
                models.registerModelWithTerms,
                (keccak256("w2"), keccak256("t2"), keccak256("a2"), "m2", 1, maxIn, maxOut, price)
            )
        );
        if (maxIn == 0) {
            assertTrue(!ok && bytes4(ret) == ModelRegistry.InvalidTerms.selector, "InvalidTerms");
            return;
        }
        assertTrue(ok, "registered");
        (uint32 gotIn, uint32 gotOut, uint96 gotPrice) = models.termsOf(abi.decode(ret, (uint32)));
        assertTrue(gotIn == maxIn && gotOut == maxOut && gotPrice == price, "terms read back");
    }

    function testFuzzDeclineOnlyByAnAssignedOperatorBeforeItCommits(address caller, uint256 agentSeed, uint8 when) public {
        vm.assume(caller != address(0));
        uint256 taskId = submit(REQUESTER, 3, 3e15);
        uint32[] memory nodes = seats(taskId);
        uint256 agentId = 1 + agentSeed % 6; // 1..5 exist; 6 does not
        bool assigned;
        for (uint256 i; i < nodes.length; ++i) if (nodes[i] == agentId) assigned = true;
        uint256 phase = when % 4; // 0: fresh, 1: after its commit, 2: after its decline, 3: after the window
        if (assigned && phase == 1) commitAs(taskId, agentId, keccak256("r"));
        if (assigned && phase == 2) declineAs(taskId, agentId);
        if (phase == 3) vm.warp(block.timestamp + COMMIT_WINDOW + 1);
        bool isOperator = agentId <= 5 && caller == ownerOf(agentId);
        vm.prank(caller);
        (bool ok, bytes memory ret) =
            address(market).call(abi.encodeWithSignature("decline(uint256,uint256,bytes)", taskId, agentId, pools[taskId]));
        bytes4 expected;
        if (phase == 3) expected = TaskMarketBase.CommitWindowClosed.selector;
        else if (!assigned) expected = TaskMarketBase.NotAssigned.selector;
        else if (phase == 1) expected = TaskMarketBase.AlreadyCommitted.selector;
        else if (!isOperator) expected = TaskMarketBase.NotOperator.selector;
        else if (phase == 2) expected = TaskMarketBase.AlreadyDeclined.selector;
        if (expected == 0) assertTrue(ok, "the assigned operator declines");
        else assertTrue(!ok && bytes4(ret) == expected, "named error");
    }

    /// @dev A declined seat is replaced like a missing one but not slashed; one that just vanished is slashed.
    function testFuzzDeclinedSeatsAreReplacedWithoutSlash(uint8 declineMask) public {
        uint256 taskId = submitDistinct(REQUESTER, 3, 3e15);
        uint32[] memory nodes = seats(taskId);
        commitAs(taskId, nodes[0], keccak256("r"));
        uint256[3] memory before;
        for (uint256 i = 1; i < 3; ++i) {
            (before[i],,) = agents.stakeOf(nodes[i]);
            if (declineMask & (1 << i) != 0) declineAs(taskId, nodes[i]);
        }
        vm.warp(block.timestamp + COMMIT_WINDOW + 1);
        finalizeTask(taskId); // records the replacement round's pool
        mine();
        TaskMarketBase.TaskView memory v = market.getTask(taskId);
        assertEq(v.round, 1, "replaced (5 servers, 2 missing)");
        for (uint256 i = 1; i < 3; ++i) {
            (uint256 bonded,,) = agents.stakeOf(nodes[i]);
            uint256 slashed = declineMask & (1 << i) != 0 ? 0 : ABSENCE_SLASH;
            assertEq(bonded, before[i] - slashed, "slashed only when it did not decline");
            assertTrue(seats(taskId)[i] != nodes[i], "replaced (by the pending round's draw)");
        }
    }

    receive() external payable {}
}
