import SettleLayouts

/// Layouts compiled into the binary, so `--layout NAME` works from any directory and on a host that
/// has only the `settle` binary. The one copy of each is `datasets/layouts/NAME.yaml`, embedded by
/// SwiftPM as a resource of the `SettleLayouts` target (see `BuiltinLayoutFiles`).
public enum BuiltinLayouts {
    /// Each built-in layout's YAML text, by name.
    public static let texts: [String: String] = BuiltinLayoutFiles.bytes.mapValues { String(decoding: $0, as: UTF8.self) }

    public static var names: [String] { texts.keys.sorted() }
}
