package dev.ledgermind.cli;

import dev.ledgermind.inference.tensor.ComputeProfile;
import picocli.CommandLine;

/** {@code --profile NAME}: a {@link ComputeProfile} by its id; an unknown name is a usage error listing the known ones. */
final class ProfileConverter implements CommandLine.ITypeConverter<ComputeProfile> {
    @Override
    public ComputeProfile convert(String value) {
        try {
            return ComputeProfile.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
