package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The native kernels ({@code inference/src/main/c/ledgermind_kernels.c}), called through the FFM API: the binary32
 * canonical Q8_0 and Q4_0 products on a packed tensor ({@link BlockQ8Tensor}), the same operations in the same order as the
 * Java kernels, so the same bits (DESIGN.md section 3; {@code NativeKernelBitExactnessTest} compares them); and the
 * kernels that read the mapped file in place: the K-quants ({@code ledgermind_kquants.c}, {@code ledgermind_q6k.c}),
 * Q5_0 and Q5_1 (sections below).
 *
 * <p>The build compiles the C file with gcc into {@code target/classes/native/linux-x86_64/} when gcc is there (the
 * inference module's {@code src/main/c/build.sh}); at run time the library is used when it is on the class path,
 * loads, reports a CPU with AVX-512 (F, BW, DQ, VL), F16C and FMA, the product runs at 512 bits and
 * {@link KernelConfig#nativeKernels()} allows it ({@value #PROPERTY} not {@code false}).
 * Otherwise the Java kernels run, with the same results; {@link #status()} says which and why in one line.
 *
 * <p>Calls are critical downcalls ({@link Linker.Option#critical(boolean)} with heap access): the Java
 * {@code float[]} activations and outputs are passed as heap segments, without a copy, and the weights as the
 * addresses of the tensor's native copy.
 */
public final class NativeKernels {
    /** System property: {@code false} turns the native kernels off (the Java kernels run; same results). */
    static final String PROPERTY = KernelConfig.NATIVE_PROPERTY;
    private static final String RESOURCE = "/native/linux-x86_64/libledgermind_kernels.so";
    private static final int VERSION = 4;

    private static final MethodHandle Q8_0_MATVEC;
    private static final MethodHandle Q8_0_MATMUL;
    private static final MethodHandle Q4_0_MATVEC;
    private static final MethodHandle Q4_0_MATMUL;
    private static final MethodHandle QUANTIZE_INT8;
    private static final MethodHandle Q8_0_MATMUL_INT8;
    private static final boolean LOADED;
    /** The loaded library's symbols (null when not loaded): the K-quant block below looks its kernels up here. */
    private static final SymbolLookup LOOKUP;
    private static final boolean VNNI;
    private static final String STATUS;

    static {
        MethodHandle mv = null, mm = null, qi = null, mi = null, mv4 = null, mm4 = null;
        boolean loaded = false, vnni = false;
        SymbolLookup lookup = null;
        String status;
        try {
            Path lib = libraryPath();
            if (lib == null) {
                status = "not built (no " + RESOURCE.substring(1) + " on the class path: gcc was missing at build time)";
            } else {
                Linker linker = Linker.nativeLinker();
                SymbolLookup look = SymbolLookup.libraryLookup(lib, Arena.global());
                MethodHandle sup = linker.downcallHandle(look.findOrThrow("lm_native_supported"), FunctionDescriptor.of(JAVA_INT));
                MethodHandle ver = linker.downcallHandle(look.findOrThrow("lm_native_version"), FunctionDescriptor.of(JAVA_INT));
                MethodHandle vn = linker.downcallHandle(look.findOrThrow("lm_native_vnni"), FunctionDescriptor.of(JAVA_INT));
                int version = (int) ver.invokeExact();
                if (version != VERSION) {
                    status = "library version " + version + " found, " + VERSION + " expected (a stale build)";
                } else if ((int) sup.invokeExact() == 0) {
                    status = "this CPU lacks AVX-512 F/BW/DQ/VL, F16C or FMA";
                } else {
                    Linker.Option critical = Linker.Option.critical(true);
                    FunctionDescriptor vec = FunctionDescriptor.ofVoid(
                            ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG);
                    FunctionDescriptor mat = FunctionDescriptor.ofVoid(
                            ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT,
                            ADDRESS, JAVA_LONG, JAVA_LONG);
                    // the packed layout groups rows by four (BlockQ8Tensor.codeRow): the kernels take the row count
                    mv = linker.downcallHandle(look.findOrThrow("lm_q8_0r4_matvec"), vec, critical);
                    mm = linker.downcallHandle(look.findOrThrow("lm_q8_0r4_matmul"), mat, critical);
                    mv4 = linker.downcallHandle(look.findOrThrow("lm_q4_0r4_matvec"), vec, critical);
                    mm4 = linker.downcallHandle(look.findOrThrow("lm_q4_0r4_matmul"), mat, critical);
                    qi = linker.downcallHandle(look.findOrThrow("lm_quantize_q8_0_int8"), FunctionDescriptor.ofVoid(
                            ADDRESS, JAVA_LONG, ADDRESS, ADDRESS), critical);
                    mi = linker.downcallHandle(look.findOrThrow("lm_q8_0_matmul_int8"), FunctionDescriptor.ofVoid(
                            ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG), critical);
                    vnni = (int) vn.invokeExact() != 0;
                    loaded = true;
                    lookup = look;
                    status = "loaded (" + lib.getFileName() + ", AVX-512)";
                }
            }
        } catch (Throwable e) {
            status = "failed to load: " + e;
        }
        Q8_0_MATVEC = mv;
        Q8_0_MATMUL = mm;
        Q4_0_MATVEC = mv4;
        Q4_0_MATMUL = mm4;
        QUANTIZE_INT8 = qi;
        Q8_0_MATMUL_INT8 = mi;
        LOADED = loaded;
        LOOKUP = lookup;
        VNNI = vnni;
        boolean on = loaded && KernelConfig.defaults().nativeKernels();
        STATUS = "native kernels " + (on ? "on: " + status
                : loaded ? "off: -D" + PROPERTY + "=false or not 512 bits (Java kernels)" : "off: " + status + " (Java kernels)");
    }

    private NativeKernels() {
    }

    /** One line: whether the native kernels are in use by default, and why not. */
    public static String status() {
        return STATUS;
    }

    /** Whether the library loaded on this CPU (whatever {@value #PROPERTY} says): tests and benchmarks call it directly. */
    public static boolean loaded() {
        return LOADED;
    }

    static boolean vnni() {
        return VNNI;
    }

    private static Path libraryPath() throws IOException {
        if (!"amd64".equals(System.getProperty("os.arch")) && !"x86_64".equals(System.getProperty("os.arch"))) return null;
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) return null;
        URL url = NativeKernels.class.getResource(RESOURCE);
        if (url == null) return null;
        if ("file".equals(url.getProtocol())) {
            try {
                return Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        }
        Path tmp = Files.createTempFile("libledgermind_kernels", ".so"); // inside a jar: load a copy
        tmp.toFile().deleteOnExit();
        try (InputStream in = url.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        return tmp;
    }

    /** Set by the first product that ran natively (read-mostly: written once). */
    private static volatile boolean used;

    /** Whether any product in this process has run in a native kernel (tests check that the native path ran). */
    public static boolean used() {
        return used;
    }

    /** Whether {@code type}'s packed tensors have native kernels: Q8_0 and Q4_0. */
    static boolean hasKernels(GgmlType type) {
        return type == GgmlType.Q8_0 || type == GgmlType.Q4_0;
    }

    /**
     * Decode: {@code y[yOff + r] = dot(row r, x[xOff ..])} for rows {@code [from, to)} of a packed Q8_0 or Q4_0 tensor
     * ({@link BlockQ8Tensor#codes}, {@link BlockQ8Tensor#scales}, {@code blocks} a row, {@code rows} rows: the layout
     * depends on it, {@link BlockQ8Tensor#codeRow}).
     */
    static void matVec(GgmlType type, MemorySegment codes, MemorySegment scales, int blocks, int rows, int from, int to,
                       float[] x, int xOff, float[] y, int yOff) {
        if (!used) used = true;
        try {
            (type == GgmlType.Q4_0 ? Q4_0_MATVEC : Q8_0_MATVEC).invokeExact(codes, scales, (long) blocks, rows, from, to,
                    MemorySegment.ofArray(x), (long) xOff, MemorySegment.ofArray(y), (long) yOff);
        } catch (Throwable e) {
            throw new IllegalStateException("native " + type + " matvec", e);
        }
    }

    /** Batched: {@code y[yOff + t*yStride + r] = dot(row r, x[xOff + t*xStride ..])}, rows {@code [from, to)}, {@code t < batch}. */
    static void matMul(GgmlType type, MemorySegment codes, MemorySegment scales, int blocks, int rows, int from, int to,
                       float[] x, int xOff, int xStride, int batch, float[] y, int yOff, int yStride) {
        if (!used) used = true;
        try {
            (type == GgmlType.Q4_0 ? Q4_0_MATMUL : Q8_0_MATMUL).invokeExact(codes, scales, (long) blocks, rows, from, to,
                    MemorySegment.ofArray(x), (long) xOff, (long) xStride, batch, MemorySegment.ofArray(y), (long) yOff,
                    (long) yStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native " + type + " matmul", e);
        }
    }

    /** Not the canonical product (speed measurements only): llama.cpp's activation quantization to int8 blocks. */
    static void quantizeInt8(MemorySegment x, int blocks, MemorySegment xq, MemorySegment xd) {
        try {
            QUANTIZE_INT8.invokeExact(x, (long) blocks, xq, xd);
        } catch (Throwable e) {
            throw new IllegalStateException("native quantize", e);
        }
    }

    /** Not the canonical product (speed measurements only): llama.cpp's int8 integer product, VNNI. */
    static void q8_0MatMulInt8(MemorySegment codes, MemorySegment scales, int blocks, int rows, int from, int to, MemorySegment xq,
                               MemorySegment xd, int batch, float[] y, int yStride) {
        try {
            Q8_0_MATMUL_INT8.invokeExact(codes, scales, (long) blocks, rows, from, to, xq, xd, batch, MemorySegment.ofArray(y), (long) yStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native int8 matmul", e);
        }
    }

    // ---------------------------------------------------------------- h/kq: the K-quant kernels (ledgermind_kquants.c)

    /**
     * Q4_K ({@link Q4_KTensor}) and Q5_K: the weights are read where the tensor holds them (its segment of the mapped file, 144
     * bytes a super-block of 256), the element values as {@code Q4_KTensor} computes them, the canonical F32 layout
     * over them; the same bits as the Java kernels ({@code KQuantNativeBitExactnessTest}).
     */
    private static final MethodHandle Q4_K_MATVEC = kquant("lm_q4_k_matvec", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle Q4_K_MATMUL = kquant("lm_q4_k_matmul", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    /** Q5_K ({@link Q5_KTensor}, 176 bytes a super-block), as Q4_K's. */
    private static final MethodHandle Q5_K_MATVEC = kquant("lm_q5_k_matvec", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle Q5_K_MATMUL = kquant("lm_q5_k_matmul", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));

    private static MethodHandle kquant(String symbol, FunctionDescriptor fd) {
        if (LOOKUP == null) return null;
        return Linker.nativeLinker().downcallHandle(LOOKUP.findOrThrow(symbol), fd, Linker.Option.critical(true));
    }

    /**
     * Whether {@code type}'s tensors have native kernels here that read the mapped file in place (the library loaded):
     * Q4_K and Q5_K ({@code ledgermind_kquants.c}), and where the library has their symbols Q6_K ({@code ledgermind_q6k.c}),
     * Q5_0 and Q5_1 ({@code ledgermind_kernels.c}); all called through {@link #inPlaceMatVec} and {@link #inPlaceMatMul}.
     */
    static boolean hasInPlaceKernels(GgmlType type) {
        return LOADED && switch (type) {
            case Q4_K, Q5_K -> true;
            case Q6_K -> Q6_K_MATVEC != null && Q6_K_MATMUL != null;
            case Q5_0 -> Q5_0_MATVEC != null && Q5_0_MATMUL != null;
            case Q5_1 -> Q5_1_MATVEC != null && Q5_1_MATMUL != null;
            default -> false;
        };
    }

    private static MethodHandle inPlaceMatVecHandle(GgmlType type) {
        return switch (type) {
            case Q4_K -> Q4_K_MATVEC;
            case Q5_K -> Q5_K_MATVEC;
            case Q6_K -> Q6_K_MATVEC;
            case Q5_0 -> Q5_0_MATVEC;
            case Q5_1 -> Q5_1_MATVEC;
            default -> throw new IllegalArgumentException("no native K-quant kernel for " + type);
        };
    }

    private static MethodHandle inPlaceMatMulHandle(GgmlType type) {
        return switch (type) {
            case Q4_K -> Q4_K_MATMUL;
            case Q5_K -> Q5_K_MATMUL;
            case Q6_K -> Q6_K_MATMUL;
            case Q5_0 -> Q5_0_MATMUL;
            case Q5_1 -> Q5_1_MATMUL;
            default -> throw new IllegalArgumentException("no native K-quant kernel for " + type);
        };
    }

    /**
     * Decode, K-quants (and Q5_0, Q5_1): {@code y[yOff + r] = dot(row r, x[xOff ..])} for rows {@code [from, to)} of the
     * tensor at {@code data} ({@code rowBytes} a row, {@code superBlocks} blocks of the type a row: super-blocks of 256
     * for a K-quant, blocks of 32 for Q5_0 and Q5_1, {@code cols / type.blockSize}).
     */
    static void inPlaceMatVec(GgmlType type, MemorySegment data, long rowBytes, int superBlocks, int from, int to,
                             float[] x, int xOff, float[] y, int yOff) {
        if (!used) used = true;
        try {
            inPlaceMatVecHandle(type).invokeExact(data, rowBytes, (long) superBlocks, from, to, MemorySegment.ofArray(x), (long) xOff,
                    MemorySegment.ofArray(y), (long) yOff);
        } catch (Throwable e) {
            throw new IllegalStateException("native " + type + " matvec", e);
        }
    }

    /** Batched, K-quants: {@code y[yOff + t*yStride + r] = dot(row r, x[xOff + t*xStride ..])}, rows {@code [from, to)}, {@code t < batch}. */
    static void inPlaceMatMul(GgmlType type, MemorySegment data, long rowBytes, int superBlocks, int from, int to,
                             float[] x, int xOff, int xStride, int batch, float[] y, int yOff, int yStride) {
        if (!used) used = true;
        try {
            inPlaceMatMulHandle(type).invokeExact(data, rowBytes, (long) superBlocks, from, to, MemorySegment.ofArray(x), (long) xOff,
                    (long) xStride, batch, MemorySegment.ofArray(y), (long) yOff, (long) yStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native " + type + " matmul", e);
        }
    }

    // ---------------------------------------------------------------- h/q6k: the Q6_K kernels (ledgermind_q6k.c)

    /**
     * Q6_K ({@link Q6_KTensor}): the weights are read where the tensor holds them (its segment of the mapped file, 210
     * bytes a super-block of 256), the element values as {@code Q6_KTensor} computes them, {@code (d * sc) * (q - 32)},
     * the canonical F32 layout over them; the same bits as the Java kernels ({@code Q6KNativeBitExactnessTest}). Looked
     * up optionally: a library without the symbol leaves Q6_K in Java. Called through {@link #inPlaceMatVec} and
     * {@link #inPlaceMatMul}, as Q4_K and Q5_K.
     */
    private static final MethodHandle Q6_K_MATVEC = optional("lm_q6_k_matvec", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle Q6_K_MATMUL = optional("lm_q6_k_matmul", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));

    /** A kernel the library may lack (a library built before it): null then, and its type stays in the Java kernels. */
    static MethodHandle optional(String symbol, FunctionDescriptor fd) {
        if (LOOKUP == null) return null;
        return LOOKUP.find(symbol).map(s -> Linker.nativeLinker().downcallHandle(s, fd, Linker.Option.critical(true))).orElse(null);
    }

    // ---------------------------------------------------------------- h/q5n: the Q5_0 and Q5_1 kernels (ledgermind_kernels.c)

    /**
     * Q5_0 ({@link Q5_0Tensor}, 22 bytes a block of 32) and Q5_1 ({@link Q5_1Tensor}, 24 bytes): read where the tensor
     * holds them (its segment of the mapped file; no packed copy), Q5_0 with its canonical per-block-scale product,
     * Q5_1 with the canonical F32 layout over its element values {@code d * q + m}; the same bits as the Java kernels
     * ({@code Q5NativeBitExactnessTest}). Looked up optionally, as Q6_K's; called through {@link #inPlaceMatVec} and
     * {@link #inPlaceMatMul} with the row's count of 32-element blocks.
     */
    private static final MethodHandle Q5_0_MATVEC = optional("lm_q5_0_matvec", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle Q5_0_MATMUL = optional("lm_q5_0_matmul", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle Q5_1_MATVEC = optional("lm_q5_1_matvec", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG));
    private static final MethodHandle Q5_1_MATMUL = optional("lm_q5_1_matmul", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
}
