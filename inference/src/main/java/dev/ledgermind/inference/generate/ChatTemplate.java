package dev.ledgermind.inference.generate;

import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.tokenizer.Tokenizer;

import java.util.List;

/**
 * Basic chat templates for the supported families: Llama 3 ({@code <|start_header_id|>role<|end_header_id|>\n\n
 * content<|eot_id|>}), ChatML ({@code <|im_start|>role\ncontent<|im_end|>\n}, Qwen2 and SmolLM) and Llama 2 /
 * Mistral ({@code [INST] content [/INST]}). The model's vocabulary decides: the first family whose special
 * tokens it has.
 */
public enum ChatTemplate {
    LLAMA3, CHATML, INST;

    public record Message(String role, String content) {
    }

    public static ChatTemplate forModel(LlamaModel m) {
        Tokenizer t = m.tokenizer();
        if (t.tokenId("<|start_header_id|>") >= 0) return LLAMA3;
        if (t.tokenId("<|im_start|>") >= 0) return CHATML;
        return INST;
    }

    /** The conversation as prompt text; with {@code addAssistantPrefix}, ready for the assistant's answer. */
    public String format(List<Message> messages, boolean addAssistantPrefix) {
        StringBuilder sb = new StringBuilder();
        switch (this) {
            case LLAMA3 -> {
                for (Message m : messages) {
                    sb.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n").append(m.content()).append("<|eot_id|>");
                }
                if (addAssistantPrefix) sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            case CHATML -> {
                for (Message m : messages) sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
                if (addAssistantPrefix) sb.append("<|im_start|>assistant\n");
            }
            case INST -> {
                for (Message m : messages) {
                    if (m.role().equals("assistant")) sb.append(' ').append(m.content()).append(' ');
                    else sb.append("[INST] ").append(m.content()).append(" [/INST]");
                }
            }
        }
        return sb.toString();
    }
}
