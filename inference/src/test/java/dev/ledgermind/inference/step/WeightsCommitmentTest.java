package dev.ledgermind.inference.step;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufTensorInfo;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.inference.trace.TraceRoot;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightsCommitmentTest {
    /** F32 rows of 20 columns (heads of 20): blocks of 32 never cross rows, so each row is one short block. */
    static final SyntheticModel.Shape SHORT_ROWS = new SyntheticModel.Shape(40, 1, 2, 1, 24, 300, 8, true);

    @Test
    void tensorsAreInCanonicalOrderWithTheRopeTableLast() {
        try (LlamaModel m = StepModels.load("qwen2", StepModels.VECTORS, GgmlType.Q8_0, 2)) {
            WeightsCommitment w = WeightsCommitment.of(m);
            List<String> names = new ArrayList<>();
            for (WeightsCommitment.Tensor t : w.tensors()) names.add(t.name());
            assertEquals(List.of("blk.0.attn_norm.weight", "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight",
                    "blk.0.attn_q.bias", "blk.0.attn_k.bias", "blk.0.attn_v.bias", "blk.0.attn_output.weight", "blk.0.ffn_norm.weight",
                    "blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight"), names.subList(0, 12));
            assertEquals(List.of("token_embd.weight", "output_norm.weight", "output.weight", "rope_table"), names.subList(names.size() - 4, names.size()));
            assertEquals(2 * 12 + 4, names.size());
            int[] types = w.tensorTypes();
            assertEquals(GgmlType.F32.id, types[0]);
            assertEquals(GgmlType.Q8_0.id, types[1]);
            assertEquals(GgmlType.F32.id, types[types.length - 1]);
        }
    }

    @Test
    void aTensorRootIsTheTreeOverItsRawBlocksAndTheRootIsTheTreeOverTensorRoots() {
        for (GgmlType type : new GgmlType[]{GgmlType.F32, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            try (LlamaModel m = StepModels.load("llama3", StepModels.vectorsShape(type), type, 2)) {
                WeightsCommitment w = WeightsCommitment.of(m);
                List<byte[]> roots = new ArrayList<>();
                for (int i = 0; i < w.size(); i++) {
                    WeightsCommitment.Tensor t = w.tensor(i);
                    List<byte[]> nodes = new ArrayList<>();
                    byte[] all = t.data() == null ? null : t.data().toArray(ValueLayout.JAVA_BYTE);
                    int blockBytes = t.type() == GgmlType.F32 ? 128 : t.type().blockBytes;
                    assertEquals(t.type() == GgmlType.F32 ? 32 : t.type().blockSize, t.elementsPerBlock(), t.name());
                    for (int b = 0; b < t.blocks(); b++) {
                        byte[] bytes = all == null ? t.block(b) : Arrays.copyOfRange(all, b * blockBytes, (b + 1) * blockBytes);
                        nodes.add(Keccak256.hash(new byte[]{0}, bytes)); // full-width rows: blocks are consecutive file bytes
                    }
                    byte[] root = MerkleTree.ofLeafNodes(nodes).rootBytes();
                    assertArrayEquals(root, w.tensorRoot(i), t.name());
                    roots.add(root);
                }
                assertArrayEquals(MerkleTree.of(roots).rootBytes(), w.root());
                try (Parallel par = new Parallel(2)) {
                    assertArrayEquals(w.root(), WeightsCommitment.of(m, par).root());
                }
                int q = w.indexOf("blk.1.attn_q.weight");
                for (int b : new int[]{0, 5, w.tensor(q).blocks() - 1}) {
                    assertTrue(w.blockProof(q, b).verifyNode(new TraceRoot(w.tensorRoot(q)), w.tensor(q).blockNode(b)));
                    assertFalse(w.blockProof(q, b).verifyNode(new TraceRoot(w.tensorRoot(q)), w.tensor(q).blockNode((b + 1) % 4)));
                }
                assertTrue(w.tensorProof(q).verify(new TraceRoot(w.root()), w.tensorRoot(q)));
            }
        }
    }

    @Test
    void shortRowsEndInShortBlocksAndTheRopeTableHoldsTheEnginesCosinesAndSines() {
        try (LlamaModel m = StepModels.load("llama3", SHORT_ROWS, GgmlType.F32, 3)) {
            WeightsCommitment w = WeightsCommitment.of(m);
            WeightsCommitment.Tensor q = w.tensor(w.indexOf("blk.0.attn_q.weight"));
            assertEquals(40, q.cols());
            assertEquals(2, q.blocksPerRow());
            assertEquals(32 * 4, q.block(0).length);
            assertEquals(8 * 4, q.block(1).length);
            GgufTensorInfo info = m.file().tensor("blk.0.attn_q.weight");
            assertArrayEquals(info.data().asSlice(40 * 4 + 32 * 4, 32).toArray(ValueLayout.JAVA_BYTE), q.block(3)); // row 1, cols 32..39
            WeightsCommitment.Tensor rope = w.tensor(w.size() - 1);
            assertEquals("rope_table", rope.name());
            assertEquals(m.config().contextLength(), rope.rows());
            assertEquals(20, rope.cols());
            var r = m.rope(8);
            byte[] row5 = rope.block(5);
            for (int i = 0; i < 10; i++) {
                assertEquals(Float.floatToIntBits(r.cos(5, i)), le(row5, 8 * i));
                assertEquals(Float.floatToIntBits(r.sin(5, i)), le(row5, 8 * i + 4));
            }
            assertFalse(w.tensors().stream().anyMatch(t -> t.name().equals("output.weight")), "tied: no output tensor");
        }
    }

    static int le(byte[] b, int o) {
        return (b[o] & 255) | (b[o + 1] & 255) << 8 | (b[o + 2] & 255) << 16 | (b[o + 3] & 255) << 24;
    }

    @Test
    void uncoveredWeightTypesAreRefusedByName() {
        try (LlamaModel m = StepModels.load("llama3", StepModels.VECTORS, GgmlType.Q5_0, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightsCommitment.of(m));
            assertTrue(e.getMessage().contains("blk.0.attn_q.weight") && e.getMessage().contains("Q5_0"), e.getMessage());
            assertTrue(WeightsCommitment.notCovered(m).orElseThrow().contains("blk.0.attn_q.weight"));
        }
        for (GgmlType covered : new GgmlType[]{GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            try (LlamaModel m = StepModels.load("llama3", StepModels.vectorsShape(covered), covered, 2)) {
                assertTrue(WeightsCommitment.notCovered(m).isEmpty(), covered.name());
            }
        }
        // the game reads norms and biases as raw floats: a quantized one is refused, a quantized matrix is not
        assertFalse(WeightsCommitment.covered("blk.0.attn_norm.weight", GgmlType.Q8_0));
        assertFalse(WeightsCommitment.covered("blk.3.attn_k.bias", GgmlType.Q4_0));
        assertTrue(WeightsCommitment.covered("blk.0.ffn_norm.weight", GgmlType.F32));
        assertTrue(WeightsCommitment.covered("token_embd.weight", GgmlType.Q6_K));
        assertFalse(WeightsCommitment.covered("blk.0.ffn_down.weight", GgmlType.Q5_K));
    }

    /** A chunk of a super-block row lies in super-block c / 8 (sub-block c % 8); 32-element blocks are the chunk. */
    @Test
    void aChunksBlockIsItsSuperBlockForKTypesAndItselfOtherwise() {
        try (LlamaModel m = StepModels.load("llama3", StepModels.K_VECTORS, GgmlType.Q4_K, 2)) {
            WeightsCommitment w = WeightsCommitment.of(m);
            WeightsCommitment.Tensor down = w.tensor(w.indexOf("blk.1.ffn_down.weight"));
            assertEquals(1, down.blocksPerRow());
            assertEquals(144, down.block(0).length);
            assertEquals(3 * 1 + 0, down.chunkBlock(3, 7));
            assertEquals(5, WeightsCommitment.Tensor.subBlockOfChunk(13, GgmlType.Q6_K));
            assertEquals(0, WeightsCommitment.Tensor.subBlockOfChunk(13, GgmlType.Q4_0));
            byte[] raw = m.file().tensor("blk.1.ffn_down.weight").data().asSlice(3L * 144, 144).toArray(ValueLayout.JAVA_BYTE);
            assertArrayEquals(raw, down.block(down.chunkBlock(3, 7)));
            assertEquals(3, down.blockOf(3L * 256 + 255));
            assertEquals(255, down.offsetInBlock(3L * 256 + 255));
        }
        try (LlamaModel m = StepModels.load("llama3", StepModels.VECTORS, GgmlType.Q4_0, 2)) {
            WeightsCommitment w = WeightsCommitment.of(m);
            WeightsCommitment.Tensor q = w.tensor(w.indexOf("blk.0.attn_q.weight"));
            assertEquals(2, q.blocksPerRow());
            assertEquals(18, q.block(0).length);
            assertEquals(2 * 5 + 1, q.chunkBlock(5, 1));
        }
    }

    @Test
    void theSpecEncodingIsAbiEncodeWordByWord() {
        try (LlamaModel m = StepModels.load("qwen2", StepModels.VECTORS, GgmlType.F32, 2)) {
            WeightsCommitment w = WeightsCommitment.of(m);
            StepModelSpec s = StepModelSpec.of(m, w);
            byte[] enc = s.encode();
            long[] expected = {1, 2, 64, 2, 1, 32, 96, 320, Float.floatToIntBits(1e-6f), Float.floatToIntBits((float) (1 / Math.sqrt(32))),
                    1, 32, 16, 1, 0, 512, w.size()};
            assertEquals(32 * (17 + w.size()), enc.length);
            for (int i = 0; i < expected.length; i++) {
                byte[] word = Arrays.copyOfRange(enc, 32 * i, 32 * i + 32);
                byte[] want = new byte[32];
                for (int k = 0; k < 8; k++) want[31 - k] = (byte) (expected[i] >>> (8 * k));
                assertArrayEquals(want, word, "word " + i);
            }
            int[] types = w.tensorTypes();
            for (int i = 0; i < types.length; i++) assertEquals(types[i], enc[32 * (17 + i) + 31] & 255);
            assertArrayEquals(Keccak256.hash(enc), s.hash());
            StepModelSpec tied = new StepModelSpec(1, 2, 64, 2, 1, 32, 96, 320, 0, 0, 1, 32, 16, true, true, types);
            assertFalse(Arrays.equals(tied.hash(), s.hash()));
        }
    }
}
