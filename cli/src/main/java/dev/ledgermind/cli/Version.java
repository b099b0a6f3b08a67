package dev.ledgermind.cli;

import picocli.CommandLine;

/** Reports the build's version (from the jar manifest when packaged). */
final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Ledgermind.class.getPackage().getImplementationVersion();
        return new String[] {"ledgermind " + (v != null ? v : "dev"), "JVM " + Runtime.version()};
    }
}
