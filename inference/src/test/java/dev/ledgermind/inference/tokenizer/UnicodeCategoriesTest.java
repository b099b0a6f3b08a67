package dev.ledgermind.inference.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The code point table is llama.cpp's, not the JDK's: the places where they differ are llama.cpp's answer.
 * (The JDK's own tables change with its Unicode version; the split must not.)
 */
class UnicodeCategoriesTest {
    @Test
    void categoriesAndWhitespaceAreLlamaCpps() {
        assertEquals(UnicodeCategories.LETTER, UnicodeCategories.category('a'));
        assertEquals(UnicodeCategories.LETTER, UnicodeCategories.category(0x4E16)); // 世
        assertEquals(UnicodeCategories.NUMBER, UnicodeCategories.category(0x0663)); // ٣
        assertEquals(UnicodeCategories.NUMBER, UnicodeCategories.category(0x2163)); // Ⅳ, a letter-number, is \p{N}
        assertEquals(UnicodeCategories.MARK, UnicodeCategories.category(0x0301));
        assertEquals(UnicodeCategories.PUNCTUATION, UnicodeCategories.category('!'));
        assertEquals(UnicodeCategories.SYMBOL, UnicodeCategories.category('$'));
        assertEquals(UnicodeCategories.SYMBOL, UnicodeCategories.category(0x1F642)); // 🙂
        assertTrue(UnicodeCategories.isWhitespace(0x3000) && UnicodeCategories.isWhitespace(0x0085) && UnicodeCategories.isWhitespace(0x00A0));
        // the JDK calls the ASCII separators U+001C..U+001F whitespace; llama.cpp does not
        assertTrue(Character.isWhitespace(0x1C));
        assertFalse(UnicodeCategories.isWhitespace(0x1C));
        assertFalse(UnicodeCategories.isWhitespace(0x200B), "zero width space is not whitespace");
        assertEquals(UnicodeCategories.UNDEFINED, UnicodeCategories.category(0x10FFFF + 1));
    }

    @Test
    void theTableCoversEveryCodePointWithTheJdksLettersAndNumbersAlmostEverywhere() {
        int differ = 0;
        for (int cp = 0; cp <= 0x10FFFF; cp++) {
            int t = Character.getType(cp);
            boolean jdkLetter = t >= Character.UPPERCASE_LETTER && t <= Character.OTHER_LETTER;
            if (jdkLetter != UnicodeCategories.isLetter(cp)) differ++;
        }
        // the two tables agree but for code points assigned in one Unicode version and not the other
        System.out.println("letters: llama.cpp's table and the JDK's differ on " + differ + " code points");
        assertTrue(differ < 5000, differ + " code points differ: the table is not llama.cpp's categories");
    }
}
