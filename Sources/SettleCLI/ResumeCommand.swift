import ArgumentParser
import SettleEngine

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Resume an interrupted job from its work directory (inputs and layouts come from its manifest).")

    @Argument(help: "The job's work directory (e.g. OUT/.settle-work).")
    var directory: String

    @Option(help: "Output directory (default: the one the job was started with).")
    var out: String?

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int?

    @Option(parsing: .unconditional, help: "Memory Settle may allocate (64M, 1GiB, ...).")
    var memory: String = "1GiB"

    @OptionGroup var runOptions: RunOptions

    @OptionGroup(title: "Watching the run") var observe: OperatorOptions

    @OptionGroup(title: "Publishing to PostgreSQL") var publishing: PublishOptions

    func validate() throws {
        try runOptions.check()
        if runOptions.work != nil { throw ValidationError("give the work directory as the argument, not --work") }
    }

    func run() throws {
        let job = JobDirectory(root: directory)
        let manifest: Manifest
        do {
            manifest = try Manifest.read(job)
        } catch {
            throw fail(error)
        }
        guard let outDirectory = out ?? manifest.outDirectory else {
            throw fail(SettleError(.usage, "the job in \(directory) was planned without an output directory: give --out"))
        }
        let memoryBytes: Int
        do {
            memoryBytes = try SizeArgument.bytes(memory, option: "--memory", example: "512M or 2GiB")
        } catch {
            throw fail(SettleError(.usage, error.message))
        }
        var options = AggregateOptions(inputs: [], outDirectory: outDirectory, workDirectory: directory, workers: workers,
                                       memoryBytes: memoryBytes, partitionSizeBytes: manifest.partitionSizeBytes,
                                       buckets: manifest.buckets, keepWork: runOptions.keepWork,
                                       retry: RetryPolicy(maxAttempts: runOptions.maxAttempts))
        options.excelSafe = runOptions.excelSafe
        options.metricsFile = observe.metricsFile
        options.checkpoint = CheckpointPolicy.parse(runOptions.checkpoint) ?? .automatic
        try runJob(options, run: runOptions, observe: observe, publishing: publishing, resumeHint: commandLineForShell())
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show how far a job has got (partitions done, records, rejects, lock), or a watch root's batches and files.")

    @Argument(help: "The job's work directory, or the --out of settle watch.")
    var directory: String

    func run() throws {
        if WatchStatus.isWatchRoot(directory) {
            do {
                for line in try WatchStatus.lines(root: directory) { print(line) }
            } catch {
                throw fail(error)
            }
            return
        }
        let status: JobStatus
        do {
            status = try JobStatus.read(JobDirectory(root: directory))
        } catch {
            throw fail(error)
        }
        print("job \(directory): \(status.inputs.joined(separator: ", "))")
        print("partitions: \(status.partitionsDone) of \(status.partitionsTotal) done")
        print("buckets: \(status.bucketsDone) of \(status.bucketsTotal) reduced")
        print("records so far: \(status.records), rejects so far: \(status.rejects)")
        if let elapsed = status.elapsedSeconds { print("elapsed since planned: \(elapsed) s") }
        print("lock: \(status.lockHolder.map { "held by \($0)" } ?? "free (no process is running this job)")")
    }
}
