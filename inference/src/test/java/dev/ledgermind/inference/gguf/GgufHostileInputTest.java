package dev.ledgermind.inference.gguf;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Hand-made hostile GGUF images, each for a way a reader can fail other than with its format error:
 * overflowing shape arithmetic, unbounded recursion, names that forge log lines. Each must give a
 * {@link GgufFormatException} that names the field and the byte offset.
 */
class GgufHostileInputTest {
    /** Little-endian GGUF builder for images the writer would never produce. */
    static final class Raw {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Raw u32(long v) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v);
            out.writeBytes(b.array());
            return this;
        }

        Raw u64(long v) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
            out.writeBytes(b.array());
            return this;
        }

        Raw str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            out.writeBytes(b);
            return this;
        }

        Raw header(long tensors, long kvs) {
            return u32(GgufFile.MAGIC).u32(3).u64(tensors).u64(kvs);
        }

        Raw pad(int n) {
            out.writeBytes(new byte[n]);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static GgufFormatException reject(byte[] image) {
        return assertThrows(GgufFormatException.class, () -> GgufFile.parse(MemorySegment.ofArray(image), "hostile.gguf"));
    }

    @Test
    void aShapeWhoseElementCountOverflowsALongIsAFormatError() {
        // three dimensions of 2^31-1: the product needs 93 bits
        byte[] image = new Raw().header(1, 0).str("t").u32(3).u64(Integer.MAX_VALUE).u64(Integer.MAX_VALUE).u64(Integer.MAX_VALUE)
                .u32(GgmlType.F32.id).u64(0).pad(64).bytes();
        GgufFormatException e = reject(image);
        assertTrue(e.getMessage().matches("hostile\\.gguf: dims of tensor 't' at byte offset 33: .*"), e.getMessage());
    }

    @Test
    void aShapeWhoseByteSizeOverflowsALongIsAFormatError() {
        // 2^31-1 x 2^31-1 x 4 elements fit a long (2^64 > 2^63.99) only just; as F64 their bytes do not
        byte[] image = new Raw().header(1, 0).str("t").u32(3).u64(Integer.MAX_VALUE).u64(Integer.MAX_VALUE).u64(2)
                .u32(GgmlType.F64.id).u64(0).pad(64).bytes();
        GgufFormatException e = reject(image);
        assertTrue(e.getMessage().matches("hostile\\.gguf: (dims|data) of tensor 't' at byte offset \\d+: .*"), e.getMessage());
    }

    @Test
    void deeplyNestedArraysAreRejectedBeforeTheStackOverflows() {
        // 100,000 levels of array-of-array (12 bytes each); each level has one element
        Raw r = new Raw().header(0, 1).str("deep").u32(GgufValueType.ARRAY.id);
        for (int i = 0; i < 100_000; i++) r.u32(GgufValueType.ARRAY.id).u64(1);
        r.u32(GgufValueType.UINT8.id).u64(0);
        GgufFormatException e = reject(r.bytes());
        assertTrue(e.getMessage().contains("nested deeper than " + GgufFile.MAX_ARRAY_DEPTH), e.getMessage());
        assertTrue(e.getMessage().matches("hostile\\.gguf: metadata 'deep(\\[0])+' at byte offset \\d+: .*"), e.getMessage());
    }

    @Test
    void aNameWithANewlineCannotForgeALogLine() {
        byte[] image = new Raw().header(0, 1).str("k\nINFO forged line").u32(99).bytes();
        GgufFormatException e = reject(image);
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains("k\\u000aINFO forged line"), e.getMessage());
        assertTrue(e.getMessage().contains("at byte offset 50: unknown metadata value type 99"), e.getMessage());
    }

    @Test
    void aBadAlignmentNamesTheOffsetOfItsValue() {
        byte[] image = new Raw().header(0, 1).str("general.alignment").u32(GgufValueType.UINT32.id).u32(48).bytes();
        GgufFormatException e = reject(image);
        assertEquals("hostile.gguf: metadata 'general.alignment' at byte offset 49: must be a power of two up to 2^20, found 48",
                e.getMessage());
    }

    @Test
    void aMetadataValueOfTheWrongTypeNamesItsOffset() {
        byte[] image = new Raw().header(0, 1).str("general.name").u32(GgufValueType.UINT32.id).u32(7).bytes();
        GgufFile f = GgufFile.parse(MemorySegment.ofArray(image), "hostile.gguf");
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> f.metadata().getString("general.name"));
        assertEquals("hostile.gguf: metadata 'general.name' at byte offset 44 should be a string, found UINT32", e.getMessage());
    }
}
