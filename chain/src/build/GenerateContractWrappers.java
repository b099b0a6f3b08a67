import org.web3j.codegen.SolidityFunctionWrapperGenerator;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Build step (run by exec-maven-plugin in the chain module's generate-sources phase): generates one
 * web3j wrapper per compiled contract, from the NAME.abi / NAME.bin pairs that contracts/scripts/compile.js
 * wrote. Wrappers are never written by hand. Skips the work when every wrapper is newer than its ABI.
 *
 * usage: java -cp CLASSPATH GenerateContractWrappers.java ABI_DIR OUT_DIR PACKAGE
 */
public class GenerateContractWrappers {
    public static void main(String[] args) throws Exception {
        Path abiDir = Path.of(args[0]);
        Path outDir = Path.of(args[1]);
        String pkg = args[2];
        if (!Files.isDirectory(abiDir)) {
            throw new IllegalStateException("no compiled contracts at " + abiDir + ": build the contracts module first");
        }
        Path pkgDir = outDir.resolve(pkg.replace('.', '/'));
        int generated = 0, upToDate = 0;
        try (Stream<Path> files = Files.list(abiDir)) {
            for (Path abi : files.filter(p -> p.toString().endsWith(".abi")).sorted().toList()) {
                String name = abi.getFileName().toString().replaceFirst("\\.abi$", "");
                Path bin = abiDir.resolve(name + ".bin");
                Path wrapper = pkgDir.resolve(name + ".java");
                if (Files.exists(wrapper)
                        && Files.getLastModifiedTime(wrapper).compareTo(Files.getLastModifiedTime(abi)) > 0) {
                    upToDate++;
                    continue;
                }
                new SolidityFunctionWrapperGenerator(
                        bin.toFile(), abi.toFile(), outDir.toFile(), name, pkg,
                        true /* java native types */, false /* primitive types */, 20 /* address bytes */).generate();
                generated++;
            }
        }
        System.out.println("web3j wrappers: " + generated + " generated, " + upToDate + " up to date, in " + pkgDir);
    }
}
