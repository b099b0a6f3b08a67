package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;

import static dev.ledgermind.inference.gguf.GgmlType.F32;
import static dev.ledgermind.inference.gguf.GgmlType.Q4_K;
import static dev.ledgermind.inference.gguf.GgmlType.Q5_0;
import static dev.ledgermind.inference.gguf.GgmlType.Q5_1;
import static dev.ledgermind.inference.gguf.GgmlType.Q5_K;
import static dev.ledgermind.inference.gguf.GgmlType.Q6_K;
import static dev.ledgermind.inference.gguf.GgmlType.Q8_0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The K_M mixtures pick each tensor's type as llama.cpp's quantizer does. Expected types are written out by
 * hand from llama.cpp's rule ({@code llama_tensor_get_type}): for 16 layers, {@code use_more_bits} holds for
 * layers 0, 1 (first eighth), 14, 15 (last eighth) and 4, 7, 10, 13 (every third from layer 2, offset 2).
 */
class QuantMixTest {
    private static final Set<Integer> MORE_BITS_OF_16 = Set.of(0, 1, 4, 7, 10, 13, 14, 15);

    @Test
    void q4KmOnLlama32OneBShapesGivesQ6KToTheTiedEmbeddingAndToAttnVAndFfnDownOfTheChosenLayers() {
        QuantMix m = QuantMix.KMix.Q4_K_M;
        assertEquals(15, m.fileType());
        assertEquals(Q6_K, m.typeOf("token_embd.weight", -1, 16, 2048, true), "tied: the embedding is the output");
        assertEquals(Q4_K, m.typeOf("token_embd.weight", -1, 16, 2048, false), "untied: the base type");
        assertEquals(Q6_K, m.typeOf("output.weight", -1, 16, 2048, false));
        for (int l = 0; l < 16; l++) {
            GgmlType more = MORE_BITS_OF_16.contains(l) ? Q6_K : Q4_K;
            assertEquals(more, m.typeOf("blk." + l + ".attn_v.weight", l, 16, 2048, true), "attn_v layer " + l);
            assertEquals(more, m.typeOf("blk." + l + ".ffn_down.weight", l, 16, 8192, true), "ffn_down layer " + l);
            for (String t : new String[]{"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"}) {
                assertEquals(Q4_K, m.typeOf("blk." + l + "." + t + ".weight", l, 16, 2048, true), t + " layer " + l);
            }
        }
    }

    @Test
    void q5KmUsesQ5KAsItsBaseAndTheSameQ6KLayers() {
        QuantMix m = QuantMix.KMix.Q5_K_M;
        assertEquals(17, m.fileType());
        assertEquals(Q6_K, m.typeOf("token_embd.weight", -1, 16, 2048, true));
        assertEquals(Q5_K, m.typeOf("blk.2.attn_v.weight", 2, 16, 2048, true));
        assertEquals(Q6_K, m.typeOf("blk.4.attn_v.weight", 4, 16, 2048, true));
        assertEquals(Q5_K, m.typeOf("blk.5.ffn_down.weight", 5, 16, 8192, true));
        assertEquals(Q6_K, m.typeOf("blk.15.ffn_down.weight", 15, 16, 8192, true));
        assertEquals(Q5_K, m.typeOf("blk.3.ffn_up.weight", 3, 16, 2048, true));
    }

    @Test
    void rowsThatAreNotAMultipleOf256FallBackAsLlamaCppDoes() {
        // Qwen2.5-0.5B: dim 896 = 3.5 x 256, FFN 4864 = 19 x 256, 24 layers, tied embeddings.
        assertEquals(Q8_0, QuantMix.KMix.Q4_K_M.typeOf("token_embd.weight", -1, 24, 896, true));
        assertEquals(Q5_0, QuantMix.KMix.Q4_K_M.typeOf("blk.5.attn_q.weight", 5, 24, 896, true));
        assertEquals(Q8_0, QuantMix.KMix.Q4_K_M.typeOf("blk.0.attn_v.weight", 0, 24, 896, true), "Q6_K -> Q8_0");
        assertEquals(Q4_K, QuantMix.KMix.Q4_K_M.typeOf("blk.6.ffn_down.weight", 6, 24, 4864, true), "(6 - 3) % 3 != 2");
        assertEquals(Q6_K, QuantMix.KMix.Q4_K_M.typeOf("blk.5.ffn_down.weight", 5, 24, 4864, true), "(5 - 3) % 3 == 2");
        assertEquals(Q5_1, QuantMix.KMix.Q5_K_M.typeOf("blk.5.ffn_gate.weight", 5, 24, 896, true));
        assertEquals(GgmlType.F16, QuantMix.KMix.Q4_K_M.typeOf("blk.5.ffn_gate.weight", 5, 24, 100, true), "not even 32 divides the row");
    }

    @Test
    void synthWritesTheMixtureIntoTheFileAndTheFileTypeAsLlamaCppNumbersIt(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("m.gguf");
        SyntheticModel.write(p, "llama3", SyntheticModel.TINY_UNALIGNED, QuantMix.KMix.Q4_K_M, 3);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(15, f.metadata().getLong("general.file_type"));
            assertEquals(Q5_0, f.tensor("token_embd.weight").type(), "untied embedding: Q4_K, 288 columns -> Q5_0");
            assertEquals(Q8_0, f.tensor("output.weight").type(), "output: Q6_K, 288 columns -> Q8_0");
            assertEquals(Q5_0, f.tensor("blk.0.attn_v.weight").type(), "2 layers: layer 0 is not in the last eighth");
            assertEquals(Q8_0, f.tensor("blk.1.attn_v.weight").type(), "layer 1 >= 7*2/8: Q6_K -> Q8_0");
            assertEquals(Q4_K, f.tensor("blk.0.ffn_down.weight").type(), "768 columns: K-quants fit");
            assertEquals(Q6_K, f.tensor("blk.1.ffn_down.weight").type());
            assertEquals(F32, f.tensor("blk.0.attn_norm.weight").type());
        }
        try (LlamaModel m = LlamaModel.load(p)) {
            assertEquals(288, m.config().dim(), "the engine loads the mixture");
        }
        Path q8 = dir.resolve("q8.gguf");
        SyntheticModel.write(q8, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, 3);
        try (GgufFile f = GgufFile.open(q8)) {
            assertEquals(7, f.metadata().getLong("general.file_type"), "LLAMA_FTYPE_MOSTLY_Q8_0 is 7 (its ggml type id is 8)");
        }
    }

    @Test
    void aPureKTypeOnRowsItsBlockDoesNotDivideIsRefusedWithTheTensorNamed(@TempDir Path dir) {
        var e = assertThrows(IllegalArgumentException.class,
                () -> SyntheticModel.write(dir.resolve("x.gguf"), "llama3", SyntheticModel.TINY_UNALIGNED, Q4_K, 1));
        assertTrue(e.getMessage().contains("token_embd.weight") && e.getMessage().contains("288"), e.getMessage());
    }

    @Test
    void parseTakesMixturesAndTypesAndNamesTheChoicesOtherwise() {
        assertEquals(QuantMix.KMix.Q5_K_M, QuantMix.parse("Q5_K_M"));
        assertEquals(new QuantMix.Pure(Q5_0), QuantMix.parse("q5_0"));
        var e = assertThrows(IllegalArgumentException.class, () -> QuantMix.parse("q3_k_m"));
        assertTrue(e.getMessage().contains("q3_k_m") && e.getMessage().contains("q4_k_m") && e.getMessage().contains("q5_k"), e.getMessage());
    }
}
