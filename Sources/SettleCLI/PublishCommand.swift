import ArgumentParser
import SettleEngine
import SettlePostgres

/// `--publish URL` and `--reprocess`, on every command that publishes an output set.
struct PublishOptions: ParsableArguments {
    @Option(help: ArgumentHelp("After the outputs are published in --out, publish them to PostgreSQL too (schema settle, one transaction, exactly once). The password comes from PGPASSWORD or ~/.pgpass. If the server is unreachable or fails, the outputs stay in --out, the run exits 2, and `settle publish OUT --to URL` publishes them later.",
                               valueName: "postgresql://USER@HOST:PORT/DB"))
    var publish: String?

    @Flag(help: "With --publish: when a file was already published by another job, supersede that job whole (its rows move to settle.superseded_*) instead of refusing.")
    var reprocess = false

    /// The parsed address (nil without --publish); a bad one stops the run before any work.
    func target() throws(SettleError) -> PostgresURL? {
        if reprocess && publish == nil { throw SettleError(.usage, "--reprocess goes with --publish URL") }
        guard let publish else { return nil }
        return try PostgresURL.parse(publish)
    }
}

struct PublishCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Publish a finished output set (--out of aggregate) to PostgreSQL, exactly once.",
        discussion: """
        Reads OUT's summary.json, totals.csv, rejects.csv and, when the job reconciled, mismatches.csv and
        reconciliation.csv (each checked against the SHA-256 the summary records), and writes them in one
        transaction into schema settle (created if missing): settle.jobs, settle.files, settle.totals,
        settle.rejects, settle.mismatches, settle.reconciliation. The job key is derived from the job's
        inputs, so publishing the same job again replaces its rows (row counts never grow). A settlement
        file already published by another job is refused (exit 2) unless --reprocess.
        Exits 0 (or 1 when the job had findings: rejects, control differences, mismatches) once
        published, 2 when it could not publish; then the database holds what it held before.
        """)

    @Argument(help: "The output directory of a finished run.")
    var out: String

    @Option(help: ArgumentHelp("The database (password from PGPASSWORD or ~/.pgpass).", valueName: "postgresql://USER@HOST:PORT/DB"))
    var to: String

    @Flag(help: "When a file was already published by another job, supersede that job whole instead of refusing.")
    var reprocess = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let url: PostgresURL
        let set: PublishedSet
        do {
            url = try PostgresURL.parse(to)
            set = try PublishedSet.read(directory: out)
        } catch {
            throw fail(error)
        }
        do {
            let outcome = try Publisher.publish(set, to: url, reprocess: reprocess, logger: SettleLogging.logger())
            if !quiet { printError(publishedLine(outcome, url: url)) }
        } catch {
            throw fail(error)
        }
        if set.hasFindings { throw ExitCode(ExitStatus.findings) }
    }
}

func publishedLine(_ outcome: Publisher.Outcome, url: PostgresURL) -> String {
    let rows = outcome.rows.map { "\($0.table) \($0.rows)" }.joined(separator: ", ")
    let superseded = outcome.superseded.isEmpty ? "" : "; superseded job\(outcome.superseded.count == 1 ? "" : "s") \(outcome.superseded.joined(separator: ", "))"
    return "settle: published job \(outcome.jobKey) to PostgreSQL at \(url.redacted): \(rows) rows\(superseded)"
}

/// Publishes `out` to `target` after a run: a failure is reported (the outputs stay in `out`, with
/// the command that publishes them later) and returned as exit status 2; nil when published.
func publishAfterRun(out: String, target: PostgresURL, options: PublishOptions, quiet: Bool) -> Int32? {
    do {
        let set = try PublishedSet.read(directory: out)
        let outcome = try Publisher.publish(set, to: target, reprocess: options.reprocess, logger: SettleLogging.logger())
        if !quiet { printError(publishedLine(outcome, url: target)) }
        return nil
    } catch {
        let message = (error as? SettleError)?.message ?? "\(error)"
        printError("settle: error: the outputs are published in \(out), but not to PostgreSQL at \(target.redacted): \(message)")
        printError("settle: publish them later with: settle publish \(shellQuoted(out)) --to \(shellQuoted(options.publish ?? ""))\(options.reprocess ? " --reprocess" : "")")
        return ExitStatus.couldNotRun
    }
}
