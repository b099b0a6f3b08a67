package dev.ledgermind.inference.encoder;

import java.util.ArrayList;
import java.util.List;

/** Varied test sentences: languages, punctuation, numbers, emoji, accents, and texts long enough to be truncated. */
final class Sentences {
    private Sentences() {}

    static List<String> varied() {
        List<String> s = new ArrayList<>(List.of(
                "The quick brown fox jumps over the lazy dog.",
                "A cat is sleeping on the sofa.",
                "A kitten naps on the couch.",
                "My order arrived broken and nobody answers my emails.",
                "Thank you, the support team was quick and friendly!",
                "How do I change the delivery address of my order?",
                "Hello, world!",
                "What's the capital of France? Paris, of course.",
                "Ledgermind verifies AI answers on-chain.",
                "e = mc^2 (Einstein, 1905)",
                "Prices rose 3.5% in Q3 2024, the highest since 1991.",
                "I can't believe it's not butter!!!",
                "C'est la vie, mon ami.",
                "Der schnelle braune Fuchs springt über den faulen Hund.",
                "El veloz murciélago hindú comía feliz cardillo y kiwi.",
                "Café au lait, naïve résumé, façade, coöperate.",
                "日本語のテキストも処理できますか？",
                "机器学习正在改变世界。",
                "Привет, как дела?",
                "Γειά σου Κόσμε",
                "مرحبا بالعالم",
                "안녕하세요 세계",
                "Emoji test 🚀🔥 works?",
                "   leading and trailing whitespace   ",
                "tabs\tand\nnewlines\r\nmixed",
                "ALL CAPS SENTENCE SHOUTING LOUDLY",
                "snake_case and camelCase and kebab-case identifiers",
                "https://example.com/path?query=1&other=two#frag",
                "user@example.org wrote: \"quotes\" and 'single quotes'",
                "1234567890 0987654321",
                "antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
                "A",
                "?",
                "...",
                "The bank raised interest rates again.",
                "We sat on the bank of the river.",
                "Is this spam? Click here to win $1000 now!!!",
                "The meeting is rescheduled to 3pm tomorrow.",
                "Please refund my money, the product never worked.",
                "I love this phone, the camera is amazing.",
                "Can you recommend a good book about history?",
                "The patient shows symptoms of fever and cough.",
                "Stock markets fell sharply after the announcement.",
                "She plays the violin beautifully.",
                "Water boils at 100 degrees Celsius at sea level.",
                "The contract shall terminate upon written notice.",
                "def add(a, b): return a + b",
                "SELECT * FROM users WHERE id = 42;"));
        StringBuilder longText = new StringBuilder();
        for (int i = 0; i < 40; i++) longText.append("This sentence repeats to make a very long input number ").append(i).append(". ");
        s.add(longText.toString());
        s.add("word ".repeat(300));
        return s;
    }
}
