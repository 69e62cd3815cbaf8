import ArgumentParser
import Logging
import SettleEngine

/// Options of the commands that drive a whole job, for whoever watches it: progress, logs, metrics.
struct OperatorOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Least severe log level shown: trace, debug, info, notice, warning, error, critical (debug logs every partition).",
                               valueName: "level"))
    var logLevel: String = "notice"

    @Option(help: ArgumentHelp("Log format on stderr: text, or json (one object per line; progress lines become records too).",
                               valueName: "text|json"))
    var logFormat: String = "text"

    @Option(help: ArgumentHelp("Seconds between progress lines when stderr is not a terminal.", valueName: "seconds"))
    var progressInterval: Double = 5

    @Option(help: ArgumentHelp("Write Prometheus metrics (text exposition) to this file, atomically, every --metrics-interval seconds and at the end (for node_exporter's textfile collector).",
                               valueName: "path"))
    var metricsFile: String?

    @Option(help: ArgumentHelp("Seconds between writes of --metrics-file.", valueName: "seconds"))
    var metricsInterval: Double = 5

    func validate() throws {
        if Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level: '\(logLevel)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        if StderrSink.Format(rawValue: logFormat) == nil { throw ValidationError("--log-format: '\(logFormat)' is not text or json") }
        if !(progressInterval > 0) { throw ValidationError("--progress-interval must be more than 0 seconds") }
        if !(metricsInterval > 0) { throw ValidationError("--metrics-interval must be more than 0 seconds") }
        if let metricsFile, metricsFile.isEmpty || metricsFile.hasSuffix("/") {
            throw ValidationError("--metrics-file needs a file path (e.g. /var/lib/node_exporter/textfile/settle.prom)")
        }
    }

    /// The level asked for; `--quiet` raises it to errors only.
    func level(quiet: Bool) -> Logger.Level {
        let level = Logger.Level(rawValue: logLevel) ?? .notice
        return quiet ? max(level, .error) : level
    }

    var format: StderrSink.Format { StderrSink.Format(rawValue: logFormat) ?? .text }
}
