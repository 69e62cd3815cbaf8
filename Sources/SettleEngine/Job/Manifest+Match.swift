/// `--match` and `--open-items` as a job's manifest records them: a resumed job (`settle resume`,
/// the task commands) matches with the same passes and carries the same open items; a run that
/// gives other ones is refused (`Manifest.differences`).
extension Manifest {
    /// The passes the job was started with (nil: none given).
    public func matchSpec() throws -> MatchSpec? {
        guard let match else { return openItems == nil ? nil : .default }
        guard SHA256.hash(Array(match.text.utf8)) == match.sha256 else {
            throw SettleError(.jobChanged, "the --match text in the job's manifest does not have its recorded SHA-256: run with --restart")
        }
        return try MatchSpec.parse(text: match.text, source: match.name)
    }

    /// The open-items options the job was started with.
    public var openItemsOptions: OpenItemsOptions? {
        guard let record = openItems, let day = CalendarDay.parse(record.asOf) else { return nil }
        return OpenItemsOptions(directory: record.directory, asOf: day, openDays: record.openDays, restart: record.restart)
    }
}

extension MatchSpec {
    /// What the manifest records of a `--match` file (nil for the default exact pass).
    public var identity: Manifest.LayoutIdentity? {
        fingerprint.isEmpty ? nil : Manifest.LayoutIdentity(name: source, sha256: fingerprint, text: text)
    }
}

extension OpenItemsOptions {
    public var record: Manifest.OpenItemsRecord {
        Manifest.OpenItemsRecord(directory: directory, asOf: CalendarDay.format(asOf), openDays: openDays, restart: restart)
    }
}
