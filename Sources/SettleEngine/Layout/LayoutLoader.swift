import SystemPackage

/// Turns a `--layout` value into a layout: a built-in name, or a path to a YAML file.
public enum LayoutLoader {
    /// A value containing `/` or ending in `.yaml`/`.yml` is always a path; anything else is a
    /// built-in name.
    public static func isPath(_ value: String) -> Bool {
        value.contains("/") || value.hasSuffix(".yaml") || value.hasSuffix(".yml")
    }

    public static func load(_ value: String) throws -> LayoutSpec {
        let (text, source) = try self.text(value)
        return try parse(text: text, source: source)
    }

    /// The YAML text of a layout and where it came from.
    public static func text(_ value: String) throws -> (text: String, source: String) {
        let text: String
        let source: String
        if isPath(value) {
            do {
                text = try FileIO.readSmallText(path: value)
            } catch {
                throw SettleError(.unreadableInput, "cannot read layout file \(PathText.display(value)): \(error)")
            }
            source = value
        } else if let builtin = BuiltinLayouts.texts[value] {
            text = builtin
            source = "builtin:\(value)"
        } else {
            throw SettleError(.usage, "unknown layout '\(value)': built-in layouts are \(BuiltinLayouts.names.joined(separator: ", ")); give a path to a .yaml file for your own")
        }
        return (text, source)
    }

    public static func parse(text: String, source: String) throws -> LayoutSpec {
        do {
            return try LayoutParser.parse(yaml: text, source: source)
        } catch {
            throw SettleError(.invalidLayout, error.description)
        }
    }

    public static func compile(_ value: String) throws -> CompiledLayout {
        try compile(spec: load(value))
    }

    public static func compile(spec: LayoutSpec) throws -> CompiledLayout {
        do {
            return try CompiledLayout(spec)
        } catch {
            throw SettleError(.invalidLayout, error.description)
        }
    }
}
