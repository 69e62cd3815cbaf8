import SystemPackage

/// What a run may touch, checked before it touches anything: Settle writes only its outputs and its
/// work directory and deletes only what it made, so an output that is one of the files the run
/// reads, an input given twice, or a work directory that is not Settle's to use stops the run with
/// exit status 2 and a sentence naming both paths and what to do.
package struct RunPreflight {
    /// A file the run reads and must never replace: an input, a ledger, a layout file or a ledger spec.
    package struct ReadFile: Sendable {
        package var role: String
        package var path: String
    }

    package var reads: [ReadFile]
    /// The input files (settlement and ledger) in order, for the duplicate check.
    package var inputs: [String]

    /// The files `options` reads; for `settle resume` (no inputs given) those of the job's manifest.
    package init(options: AggregateOptions, manifest: Manifest?) {
        guard options.inputs.isEmpty, let manifest else {
            self.init(inputs: options.inputs, ledgerSpec: options.ledgerSpec, ledgerLayout: options.ledgerLayout)
            return
        }
        let ledgerLayout = AggregateOptions.Input.ledgerLayout
        self.init(inputs: manifest.inputs.map { AggregateOptions.Input(path: $0.path, layout: $0.layout) }, ledgerSpec: nil, ledgerLayout: nil)
        reads += manifest.layouts.map(\.name).filter { LayoutLoader.isPath($0) && $0 != ledgerLayout && !reads.map(\.path).contains($0) }
            .map { ReadFile(role: "layout", path: $0) }
        if let spec = manifest.ledgerSpec?.name, spec != LedgerSpec.defaultName { reads.append(ReadFile(role: "ledger spec", path: spec)) }
    }

    package init(inputs: [AggregateOptions.Input], ledgerSpec: String?, ledgerLayout: String?) {
        self.inputs = inputs.map(\.path)
        reads = inputs.map { ReadFile(role: $0.isLedger ? "ledger" : "input", path: $0.path) }
        let layouts = inputs.filter { !$0.isLedger }.map(\.layout) + [ledgerLayout].compactMap { $0 }
        var seen: Set<String> = []
        reads += layouts.filter { LayoutLoader.isPath($0) && seen.insert($0).inserted }.map { ReadFile(role: "layout", path: $0) }
        if let ledgerSpec { reads.append(ReadFile(role: "ledger spec", path: ledgerSpec)) }
    }

    /// The same file given twice as an input (by path, another spelling or a link: same device and
    /// inode) would count its records twice.
    package func checkDistinctInputs(allowSameInput: Bool) throws {
        guard !allowSameInput else { return }
        // The first path given for each file: by identity, or by resolved path for a file not there
        // (the run then stops naming it anyway).
        var byIdentity: [FileIdentity: String] = [:]
        var byPath: [String: String] = [:]
        for path in inputs {
            let identity = Syscalls.identity(path)
            let resolved = FilePaths.resolved(path)
            if let first = identity.flatMap({ byIdentity[$0] }) ?? (identity == nil ? byPath[resolved] : nil) {
                let how = first == path ? "twice" : "twice (\(first) and \(path) are the same file)"
                throw SettleError(.usage, "input \(first) is given \(how): its records would be counted twice. "
                    + "Give each file once, or add --allow-same-input to count it twice on purpose.")
            }
            if let identity { byIdentity[identity] = path } else { byPath[resolved] = path }
        }
    }

    /// Every file the run may write, and what it is called in messages.
    package static func outputs(out: String, reconciling: Bool, metricsFile: String?) -> [(label: String, path: String)] {
        var files = OutputFiles.names(reconciling: reconciling).map { ("the output \(out)/\($0)", out + "/" + $0) }
        if let metricsFile { files.append(("--metrics-file \(metricsFile)", metricsFile)) }
        return files
    }

    /// No output, nor any temporary name of one, is a file the run reads (same resolved name, same
    /// target, or same device and inode); the metrics file is none of the outputs either.
    package func checkOutputs(out: String, reconciling: Bool, metricsFile: String?) throws {
        let outputs = Self.outputs(out: out, reconciling: reconciling, metricsFile: metricsFile)
        for read in reads {
            let forms = FilePaths.forms(read.path), identity = Syscalls.identity(read.path)
            let named = FilePaths.named(read.path)
            for output in outputs {
                let target = FilePaths.named(output.path)
                let same = !forms.isDisjoint(with: FilePaths.forms(output.path))
                    || identity != nil && Syscalls.identity(output.path) == identity
                // A temporary beside the output is created, and removed when abandoned, by name.
                let temporary = AtomicFile.split(named).directory == AtomicFile.split(target).directory
                    && AtomicFile.isTemporary(AtomicFile.split(named).name, of: AtomicFile.split(target).name)
                guard same || temporary else { continue }
                let what = temporary ? "named like a temporary file of" : "the same file as"
                throw SettleError(.usage, "the \(read.role) \(read.path) is \(what) \(output.label): Settle would replace the \(read.role). "
                    + "Write the outputs elsewhere (another --out\(metricsFile == nil ? "" : " or --metrics-file")) or move the \(read.role).")
            }
        }
        if let metricsFile, let clash = outputs.dropLast().first(where: { !FilePaths.forms($0.path).isDisjoint(with: FilePaths.forms(metricsFile)) }) {
            throw SettleError(.usage, "--metrics-file \(metricsFile) is \(clash.label): give the metrics file a path of its own")
        }
    }

    /// A work directory is Settle's to fill and, at the end, to empty: it must not be `/`, `$HOME`
    /// or the current directory, must neither be nor contain the output directory, must not
    /// contain a file the run reads, and an existing one must hold a job (a manifest) or nothing but
    /// Settle's own entries.
    package func checkWorkDirectory(_ directory: JobDirectory, out: String?) throws {
        let work = FilePaths.resolved(directory.root)
        let given = directory.root
        let advice = "give a directory of its own with --work (by default Settle uses OUT/.settle-work)"
        var special: [(String, String?)] = [("the root directory", "/"), ("the current directory", Syscalls.currentDirectory)]
        if let home = Syscalls.environment("HOME"), !home.isEmpty { special.insert(("your home directory", home), at: 1) }
        for (name, path) in special {
            if let path, FilePaths.resolved(path) == work {
                throw SettleError(.usage, "the work directory \(given) is \(name): Settle fills its work directory and empties it when the job ends; \(advice)")
            }
        }
        if let out {
            let outDirectory = FilePaths.resolved(out)
            if outDirectory == work || FilePaths.isInside(outDirectory, work) {
                throw SettleError(.usage, "the work directory \(given) \(outDirectory == work ? "is" : "contains") the output directory \(out): "
                    + "work files and outputs must not mix; \(advice)")
            }
        }
        for read in reads where FilePaths.forms(read.path).contains(where: { $0 == work || FilePaths.isInside($0, work) }) {
            throw SettleError(.usage, "the work directory \(given) contains the \(read.role) \(read.path): "
                + "Settle's work files must not mix with the files a run reads; \(advice)")
        }
        let kind: Syscalls.EntryKind
        do throws(Errno) {
            kind = try Syscalls.linkKind(directory.root)
        } catch .noSuchFileOrDirectory {
            return
        } catch {
            throw SettleError(.io, "cannot use the work directory \(given): \(error.explanation)")
        }
        guard kind == .directory || FileIO.isDirectory(directory.root) else {
            throw SettleError(.usage, "the work directory \(given) exists and is not a directory; \(advice)")
        }
        let foreign = directory.foreignEntries()
        if !directory.hasManifest && !foreign.isEmpty {
            let shown = foreign.prefix(3).joined(separator: ", ") + (foreign.count > 3 ? " and \(foreign.count - 3) more" : "")
            throw SettleError(.usage, "the work directory \(given) holds files that are not Settle's (\(shown)) and no job (manifest.json): "
                + "Settle will not mix its work files with them; give an empty or new directory with --work")
        }
    }
}
