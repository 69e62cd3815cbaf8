import ArgumentParser
import SettleEngine
import SettlePostgres

/// `settle plan`: the first step of a job for an external scheduler.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan a job: write the manifest and partition plan into --work (first step for external schedulers).")

    @OptionGroup var pipeline: PipelineOptions

    @Option(help: "The job's work directory.")
    var work: String

    @Flag(help: "Discard the work directory's state and plan again.")
    var restart = false

    @Flag(help: "Print the plan as JSON on stdout (partitions and buckets), for drivers.")
    var json = false

    func run() throws {
        let job: Job
        do {
            let inputs = try pipeline.inputs()
            job = try JobTasks.plan(inputs: inputs, partitionSizeBytes: try pipeline.partitionSizeBytes(),
                                    buckets: pipeline.buckets, directory: JobDirectory(root: work), restart: restart,
                                    ledgerSpec: pipeline.ledgerSpec, ledgerLayout: pipeline.ledgerLayout, strict: pipeline.strict,
                                    allowSameInput: pipeline.allowSameInput, logger: SettleLogging.logger())
        } catch {
            throw fail(error)
        }
        if json {
            print("{\"partitions\": \(job.partitionCount), \"buckets\": \(job.bucketCount), \"work\": \"\(work)\"}")
        } else {
            printError("settle: planned \(job.partitionCount) partitions and \(job.bucketCount) buckets in \(work)")
        }
    }
}

/// Options of the single-task commands (map, reduce).
struct TaskOptions: ParsableArguments {
    @Option(help: "The job's work directory.")
    var work: String

    @Option(parsing: .unconditional, help: "Memory for this task (the map table; the reduce merge fan-in).")
    var memory: String = "256MiB"

    @Option(help: "Attempts when Settle's own files fail.")
    var maxAttempts: Int = 4

    @Option(help: ArgumentHelp("The external scheduler's attempt number for this task (e.g. Spark's TaskContext.attemptNumber()); recorded in the marker and summary.json.", valueName: "n"))
    var schedulerAttempt: Int?

    func validate() throws {
        _ = try SizeArgument.bytes(memory, option: "--memory", example: "256M")
        if maxAttempts < 1 { throw ValidationError("--max-attempts must be at least 1") }
        if let schedulerAttempt, schedulerAttempt < 0 { throw ValidationError("--scheduler-attempt must be 0 or more") }
    }

    var memoryBytes: Int { ByteSize.parse(memory) ?? 256 << 20 }
    var retry: RetryPolicy { RetryPolicy(maxAttempts: maxAttempts) }
    var directory: JobDirectory { JobDirectory(root: work) }
}

struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Map one partition of a planned job (idempotent; safe to run twice or concurrently).")

    @OptionGroup var task: TaskOptions

    @Option(help: "The partition to map (0-based).")
    var partition: Int

    func run() throws {
        do {
            let outcome = try JobTasks.map(directory: task.directory, partition: partition, memoryBytes: task.memoryBytes,
                                           retry: task.retry, schedulerAttempt: task.schedulerAttempt, logger: SettleLogging.logger())
            printError("settle: partition \(partition): \(outcome == .done ? "mapped" : "already done")")
        } catch {
            throw fail(error)
        }
    }
}

struct ReduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reduce",
        abstract: "Reduce one bucket of a job whose partitions are all mapped (idempotent).")

    @OptionGroup var task: TaskOptions

    @Option(help: "The bucket to reduce (0-based).")
    var bucket: Int

    func run() throws {
        do {
            let outcome = try JobTasks.reduce(directory: task.directory, bucket: bucket, memoryBytes: task.memoryBytes,
                                              retry: task.retry, schedulerAttempt: task.schedulerAttempt, logger: SettleLogging.logger())
            printError("settle: bucket \(bucket): \(outcome == .done ? "reduced" : "already done (or empty)")")
        } catch {
            throw fail(error)
        }
    }
}

struct FinalizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finalize",
        abstract: "Publish the outputs of a job whose partitions and buckets are all done.")

    @Option(help: "The job's work directory.")
    var work: String

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(parsing: .unconditional, help: "Memory for the final merge.")
    var memory: String = "256MiB"

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    @Flag(help: "Begin CSV text cells that start with =, +, -, @, tab or CR with ' (see aggregate --help).")
    var excelSafe = false

    @OptionGroup(title: "Publishing to PostgreSQL") var publishing: PublishOptions

    func run() throws {
        let bytes: Int
        let target: PostgresURL?
        do {
            bytes = try SizeArgument.bytes(memory, option: "--memory", example: "256M")
            target = try publishing.target()
        } catch let error as SettleError {
            throw fail(error)
        } catch {
            throw fail(SettleError(.usage, "\(error)"))
        }
        let report: AggregateReport
        do {
            var options = AggregateOptions(inputs: [], outDirectory: out, workDirectory: work, workers: 1, memoryBytes: bytes, keepWork: true)
            options.excelSafe = excelSafe
            report = try JobTasks.finalize(directory: JobDirectory(root: work), options: options, logger: SettleLogging.logger())
        } catch {
            throw fail(error)
        }
        if !quiet { printReport(report) }
        if let target, let status = publishAfterRun(out: out, target: target, options: publishing, quiet: quiet) { throw ExitCode(status) }
        if report.hasFindings { throw ExitCode(ExitStatus.findings) }
    }
}
