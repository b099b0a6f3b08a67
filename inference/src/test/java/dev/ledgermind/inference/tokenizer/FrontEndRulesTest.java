package dev.ledgermind.inference.tokenizer;

import dev.ledgermind.inference.gguf.GgufFormatException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The front-end rules of issue 14, one by one, on the real vocabularies of the llama.cpp reference data
 * (each failed before the rule was implemented; LlamaCppParityTest checks the whole corpus).
 */
class FrontEndRulesTest {
    private static int[] ids(Tokenizer t, String... pieces) {
        return Arrays.stream(pieces).mapToInt(p -> {
            int id = t.tokenId(p);
            assertTrue(id >= 0, "no token " + p);
            return id;
        }).toArray();
    }

    @Test
    void aLlama3VocabularyWithoutAnAddBosKeyStillStartsPromptsWithBos() {
        assertFalse(LlamaCppReference.metadata("llama3.1.gguf", null).has("tokenizer.ggml.add_bos_token"));
        Tokenizer t = LlamaCppReference.tokenizer("llama3.1.gguf", null);
        assertTrue(t.addBos());
        assertEquals(t.tokenId("<|begin_of_text|>"), t.bos());
        assertFalse(LlamaCppReference.tokenizer("smollm.gguf", null).addBos(), "other BPE vocabularies add none by default");
    }

    @Test
    void endOfGenerationCoversEveryEndOfTurnTokenTheVocabularyHas() {
        Tokenizer llama = LlamaCppReference.tokenizer("llama3.1.gguf", null);
        // the file names only EOS (<|eot_id|>); <|end_of_text|> and <|eom_id|> end generation by their text
        assertArrayEquals(ids(llama, "<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"), llama.endOfGenerationTokens());
        Tokenizer qwen = LlamaCppReference.tokenizer("qwen2.5.gguf", null);
        for (int id : ids(qwen, "<|endoftext|>", "<|im_end|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>")) {
            assertTrue(qwen.isEndOfGeneration(id), qwen.tokenText(id));
        }
        assertFalse(qwen.isEndOfGeneration(qwen.tokenId("<|im_start|>")));
    }

    @Test
    void userDefinedTokensAreSplitOutEvenWithSpecialParsingOff() {
        Tokenizer qwen = LlamaCppReference.tokenizer("qwen2.5.gguf", null);
        int think = qwen.tokenId("<think>"), endThink = qwen.tokenId("</think>");
        int[] plain = qwen.encode("<think>reasoning</think>answer", false);
        assertEquals(think, plain[0], Arrays.toString(plain));
        assertTrue(Arrays.stream(plain).anyMatch(i -> i == endThink), Arrays.toString(plain));
        int[] control = qwen.encode("<|im_end|>", false);
        assertTrue(control.length > 1, "a control token stays text without special parsing");
    }

    @Test
    void sentencePieceAddsTheSpacePrefixAfterEverySpecialTokenAndMatchesUnk() {
        Tokenizer t = LlamaCppReference.tokenizer("llama2.gguf", null);
        int[] first = t.encode("[INST] again [/INST]", true);
        int[] later = t.encode("Hello</s><s>[INST] again [/INST]", true);
        int[] tail = Arrays.copyOfRange(later, later.length - first.length, later.length);
        assertArrayEquals(first, tail, "the turn after </s><s> tokenizes as a first turn: " + Arrays.toString(later));
        assertArrayEquals(new int[]{t.tokenId("<unk>")}, t.encode("<unk>", true));
        assertTrue(t.encode("<unk>", false).length > 1);
    }

    @Test
    void anUnknownPreTokenizerInTheFileIsRefusedNamingTheKey() {
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> LlamaCppReference.tokenizer("smollm.gguf", "gpt-5"));
        assertTrue(e.getMessage().contains("'tokenizer.ggml.pre' = 'gpt-5'") && e.getMessage().contains("llama-bpe"), e.getMessage());
    }
}
