package dev.ledgermind.inference.tokenizer.wordpiece;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** A hostile or broken tokenizer.json: every error names the JSON path or the offset of what is wrong. */
class WordPieceConfigErrorsTest {
    static IllegalArgumentException reject(byte[] json) {
        return assertThrows(IllegalArgumentException.class, () -> WordPieceTokenizer.fromJson(json, "t.json", 16));
    }

    static IllegalArgumentException reject(String json) {
        return reject(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void foundByFuzzing_bytesJacksonWouldReadAsUtf32AreAUtf8ErrorWithTheirOffset() {
        // four bytes that Jackson's encoding detection took for UTF-32: its message had no offset in the file
        byte[] json = {0, 0, 0, '{', (byte) 0x81, 1, (byte) 0x81, 0x25};
        IllegalArgumentException e = reject(json);
        assertEquals("t.json is not valid UTF-8: 1 malformed byte(s) at byte offset 4 (0x81)", e.getMessage());
    }

    @Test
    void aSyntaxErrorNamesLineColumnAndOffset() {
        IllegalArgumentException e = reject("{\"model\":\n {\"type\": WordPiece}}");
        assertTrue(e.getMessage().startsWith("t.json: not valid JSON at line 2, column "), e.getMessage());
        assertTrue(e.getMessage().contains("(character offset "), e.getMessage());
    }

    @Test
    void aVocabularyIdOutsideTheVocabularyIsNamedByItsPath() {
        IllegalArgumentException e = reject("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"[CLS]\":0,\"[SEP]\":1,\"[UNK]\":70000}}}");
        assertEquals("t.json: model.vocab['[UNK]'] = 70000 is not an id in [0, 3)", e.getMessage());
        IllegalArgumentException text = reject("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"[CLS]\":\"zero\",\"[SEP]\":1,\"[UNK]\":2}}}");
        assertEquals("t.json: model.vocab['[CLS]'] = \"zero\" is not an id in [0, 3)", text.getMessage());
    }

    @Test
    void aDocumentThatIsNotAnObjectIsNamedAsTheRoot() {
        assertEquals("t.json: $ is not a JSON object", reject("[1,2]").getMessage());
    }
}
