/// An error that stops a run (as opposed to a rejected record, which is a value and never stops one).
/// The CLI maps each code to an exit status in one table (`ExitCode+Settle.swift`).
public struct SettleError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Bad arguments or options.
        case usage
        /// An input file that cannot be opened, mapped or read.
        case unreadableInput = "unreadable_input"
        /// A layout that does not parse or validate.
        case invalidLayout = "invalid_layout"
        /// A failure reading or writing Settle's own files (work directory, outputs).
        case io
        /// A sum that does not fit even 128 bits.
        case overflow
        /// Another process holds the job directory.
        case locked
        /// The job directory belongs to different inputs, layout or options.
        case jobChanged = "job_changed"
        /// Stopped by SIGINT or SIGTERM.
        case interrupted
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
