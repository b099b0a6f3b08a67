package dev.ledgermind.inference.chat;

import dev.ledgermind.inference.tokenizer.Tokenizer;

import java.util.List;

/**
 * The fallback forms for a file without {@code tokenizer.chat_template}: Llama 3
 * ({@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>}), ChatML
 * ({@code <|im_start|>role\ncontent<|im_end|>\n}, Qwen2 and SmolLM) and Llama 2 / Mistral
 * ({@code [INST] content [/INST]}, a system message as Llama 2's {@code <<SYS>>} block in the first turn,
 * each answer closed by EOS). The vocabulary decides: the first family whose special tokens it has.
 */
enum BuiltInChatForm {
    LLAMA3, CHATML, INST;

    static BuiltInChatForm forVocabulary(Tokenizer t) {
        if (t.tokenId("<|start_header_id|>") >= 0) return LLAMA3;
        if (t.tokenId("<|im_start|>") >= 0) return CHATML;
        return INST;
    }

    String render(List<ChatMessage> messages, boolean addGenerationPrompt, String bos, String eos) {
        StringBuilder sb = new StringBuilder();
        switch (this) {
            case LLAMA3 -> {
                sb.append(bos);
                for (ChatMessage m : messages) {
                    sb.append("<|start_header_id|>").append(m.role()).append("<|end_header_id|>\n\n").append(m.content().strip()).append("<|eot_id|>");
                }
                if (addGenerationPrompt) sb.append("<|start_header_id|>assistant<|end_header_id|>\n\n");
            }
            case CHATML -> {
                for (ChatMessage m : messages) sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
                if (addGenerationPrompt) sb.append("<|im_start|>assistant\n");
            }
            case INST -> {
                String system = null;
                boolean first = true;
                for (ChatMessage m : messages) {
                    switch (m.role()) {
                        case "system" -> system = m.content().strip();
                        case "assistant" -> sb.append(' ').append(m.content().strip()).append(' ').append(eos);
                        default -> {
                            String content = m.content().strip();
                            if (first && system != null) content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
                            sb.append(bos).append("[INST] ").append(content).append(" [/INST]");
                            first = false;
                        }
                    }
                }
            }
        }
        return sb.toString();
    }

    String description() {
        return switch (this) {
            case LLAMA3 -> "the built-in Llama 3 form";
            case CHATML -> "the built-in ChatML form";
            case INST -> "the built-in Llama 2 [INST] form";
        };
    }
}
