import Foundation
import Glibc
import Synchronization
import SystemPackage
import Testing
@testable import SettleEngine

/// Signals the `EINTR` test's handler has seen.
private let interruptions = Atomic<Int>(0)

/// Issue 16, item 3: every raw call is in `IO/Syscalls*`, retries `EINTR`, and throws the `Errno`
/// that says why it failed, so that a loop, a file in the path and a missing file read differently.
@Suite("Syscalls: Errno told apart, EINTR retried")
struct SyscallsTests {
    /// A directory with a symbolic link loop (`a` -> `b` -> `a`) and a regular file `file`.
    private static func scratch() throws -> String {
        let directory = TestSupport.temporaryDirectory("syscalls")
        try FileManager.default.createSymbolicLink(atPath: directory + "/a", withDestinationPath: directory + "/b")
        try FileManager.default.createSymbolicLink(atPath: directory + "/b", withDestinationPath: directory + "/a")
        TestSupport.write("x", to: directory + "/file")
        return directory
    }

    @Test func lstatTellsTheLinkItselfFromALoopAboveIt() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try Syscalls.linkKind(directory + "/a") == .symbolicLink, "lstat does not follow the link itself")
        #expect(try Syscalls.linkKind(directory) == .directory)
        #expect(throws: Errno.tooManySymbolicLinkLevels) { _ = try Syscalls.linkKind(directory + "/a/x") }
        #expect(throws: Errno.notDirectory) { _ = try Syscalls.linkKind(directory + "/file/x") }
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try Syscalls.linkKind(directory + "/none") }
        #expect(Syscalls.entryKind(directory + "/none") == nil)
    }

    @Test func identityAndDirectoryListingSayWhy() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try Syscalls.resolvedIdentity(directory + "/file") == Syscalls.identity(directory + "/file"))
        #expect(throws: Errno.tooManySymbolicLinkLevels) { _ = try Syscalls.resolvedIdentity(directory + "/a") }
        #expect(throws: Errno.notDirectory) { _ = try Syscalls.resolvedIdentity(directory + "/file/x") }
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try Syscalls.resolvedIdentity(directory + "/none") }
        #expect(try Syscalls.entries(directory) == ["a", "b", "file"])
        #expect(throws: Errno.tooManySymbolicLinkLevels) { _ = try Syscalls.entries(directory + "/a") }
        #expect(throws: Errno.notDirectory) { _ = try Syscalls.entries(directory + "/file") }
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try Syscalls.entries(directory + "/none") }
        #expect(Syscalls.listDirectory(directory + "/none") == [])
    }

    @Test func theLockFileIsNeverALinkAndIsHeldOnce() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: Errno.tooManySymbolicLinkLevels) { _ = try Syscalls.openLockFile(directory + "/a", create: true) }
        #expect(throws: Errno.noSuchFileOrDirectory) { _ = try Syscalls.openLockFile(directory + "/lock", create: false) }
        let first = try Syscalls.openLockFile(directory + "/lock", create: true)
        defer { Syscalls.close(first) }
        let second = try Syscalls.openLockFile(directory + "/lock", create: false)
        defer { Syscalls.close(second) }
        #expect(try Syscalls.tryLock(first))
        #expect(try Syscalls.tryLock(second) == false, "flock is per open file: the second open waits")
        try Syscalls.replaceContents(first, with: Array("pid 1\n".utf8))
        #expect(try FileIO.readText(path: directory + "/lock") == "pid 1\n")
        Syscalls.unlock(first)
        #expect(try Syscalls.tryLock(second))
        #expect(throws: (any Error).self) { _ = try JobLock(directory: directory + "/none") }
    }

    @Test func messagesNameTheRealReason() throws {
        let directory = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/out", withDestinationPath: directory + "/a")
        #expect {
            _ = try ReportInputs.load(outDirectory: directory + "/out")
        } throws: { error in
            "\(error)" == "cannot read \(directory)/out/summary.json: too many levels of symbolic links (ELOOP): a link in the path points back at itself"
        }
        #expect {
            _ = try ReportInputs.load(outDirectory: directory + "/none")
        } throws: { error in
            "\(error)" == "\(directory)/none has no summary.json: not the --out directory of a run"
        }
        #expect {
            _ = try JobLock(directory: directory + "/file")
        } throws: { error in
            "\(error)" == "cannot open lock file \(directory)/file/lock: a part of the path is not a directory (ENOTDIR)"
        }
    }

    @Test(.enabled(if: getuid() != 0, "root reads a directory of mode 000"))
    func aClosedDirectoryIsPermissionDenied() throws {
        let directory = TestSupport.temporaryDirectory("syscalls-closed")
        defer {
            chmod(directory, 0o700)
            try? FileManager.default.removeItem(atPath: directory)
        }
        TestSupport.write("x", to: directory + "/file")
        chmod(directory, 0)
        #expect(throws: Errno.permissionDenied) { _ = try Syscalls.status(directory + "/file") }
        #expect(throws: Errno.permissionDenied) { _ = try Syscalls.entries(directory) }
    }

    @Test func anInterruptedCallIsRetried() {
        var calls = 0
        let result = Syscalls.retryingInterrupts {
            calls += 1
            if calls < 3 {
                errno = EINTR
                return -1
            }
            return 7
        }
        #expect(result == 7 && calls == 3)
        calls = 0
        let failed = Syscalls.retryingInterrupts {
            calls += 1
            errno = ENOENT
            return -1
        }
        #expect(failed == -1 && calls == 1, "other errors are returned at once")
    }

    /// A sleep that signals keep interrupting (`nanosleep` fails with `EINTR` at each one, whatever
    /// `SA_RESTART` says) still lasts its whole time.
    @Test func aSleepLastsThroughSignals() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in interruptions.add(1, ordering: .relaxed) }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        // The handler stays installed after the test: a signal still pending on this thread is harmless.
        sigaction(SIGUSR2, &action, nil)
        // Dispatch's worker threads (the ones tests run on) block signals: unblock SIGUSR2 here.
        var unblocked = sigset_t(), previousMask = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, SIGUSR2)
        pthread_sigmask(SIG_UNBLOCK, &unblocked, &previousMask)
        defer { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }
        let before = interruptions.load(ordering: .relaxed)
        let target = pthread_self()
        let sender = SignalSender()
        Thread {
            while !sender.done.load(ordering: .relaxed) {
                pthread_kill(target, SIGUSR2)
                usleep(20_000)
            }
            sender.stopped.signal()
        }.start()
        let start = Syscalls.monotonicNanoseconds()
        Syscalls.sleep(milliseconds: 300)
        let elapsed = Syscalls.monotonicNanoseconds() - start
        let during = interruptions.load(ordering: .relaxed) - before
        sender.done.store(true, ordering: .relaxed)
        sender.stopped.wait()
        #expect(during >= 2, "signals arrived during the sleep")
        #expect(elapsed >= 300_000_000, "slept \(elapsed / 1_000_000) ms of 300")
    }
}

private final class SignalSender: Sendable {
    let done = Atomic<Bool>(false)
    let stopped = DispatchSemaphore(value: 0)
}
