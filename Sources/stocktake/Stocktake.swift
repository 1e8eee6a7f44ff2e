import ArgumentParser
import Foundation

/// The command-line entry point. Commands stay thin: they parse options, call the library
/// modules and map failures to the documented exit codes.
@main
struct Stocktake: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "stocktake",
        abstract: "Check improvement plans against a YAML rule set and list what must be escalated.",
        discussion: """
        Exit codes:
          0  no finding at or above --fail-on
          1  findings at or above --fail-on (default: error)
          2  command-line usage error
          3  rule set invalid
          4  plan data unreadable or invalid
          5  internal error, or an output could not be written
        """,
        version: version,
        subcommands: [Check.self, Notify.self, Diff.self, HistoryCommand.self, RulesCommand.self, PlanCommand.self, Eval.self],
        defaultSubcommand: nil
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let failure as Failure {
            Output.error(failure.message)
            Foundation.exit(failure.code.rawValue)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            Output.error(message)
            // swift-argument-parser uses 64 (EX_USAGE); stocktake documents 2 for usage errors.
            Foundation.exit(code == .validationFailure || code.rawValue == 64 ? Outcome.usage.rawValue : Outcome.internalError.rawValue)
        }
    }
}

/// The documented exit codes.
enum Outcome: Int32 {
    case ok = 0, findings = 1, usage = 2, invalidRules = 3, invalidPlan = 4, internalError = 5
}

/// An error that ends the run with a message on stderr and a specific exit code.
struct Failure: Error {
    var message: String
    var code: Outcome

    init(_ message: String, _ code: Outcome) {
        self.message = message
        self.code = code
    }
}

enum Output {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
    }

    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Writes all of `bytes` with write(2): reports run to gigabytes, and going through `Data`
    /// copied every chunk and cost several times the kernel's own time.
    private static func write(_ bytes: [UInt8], to fd: Int32) throws {
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure("cannot write the report: \(String(cString: strerror(errno)))", .internalError)
                }
                done += n
            }
        }
    }

    /// Streams chunks to a file (through a temporary file renamed at the end, so a failed run
    /// leaves nothing half-written) or to standard output.
    static func stream(to path: String?, _ body: (([UInt8]) throws -> Void) throws -> Void) throws {
        guard let path else {
            try body { try write($0, to: STDOUT_FILENO) }
            return
        }
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG {
            try streamInPlace(to: path, isDirectory: info.st_mode & S_IFMT == S_IFDIR, body)
            return
        }
        // Through a symbolic link, the file it points to is replaced and the link kept.
        let url = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: temporary) else {
            throw Failure("cannot write \(path): the folder does not exist or is not writable", .internalError)
        }
        do {
            try body { try write($0, to: handle.fileDescriptor) }
            try handle.close()
            if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
            try FileManager.default.moveItem(at: temporary, to: url)
        } catch let failure as Failure {
            try? FileManager.default.removeItem(at: temporary)
            throw failure
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw Failure("cannot write \(path): \(error.localizedDescription)", .internalError)
        }
    }

    /// A device, pipe or socket (`/dev/stdout`, `/dev/null`, a FIFO another job reads) is
    /// written as it is: renaming a temporary file onto it would replace it with a regular file.
    private static func streamInPlace(to path: String, isDirectory: Bool, _ body: (([UInt8]) throws -> Void) throws -> Void) throws {
        if isDirectory { throw Failure("cannot write \(path): it is a directory", .usage) }
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure("cannot write \(path): \(String(cString: strerror(errno)))", .internalError) }
        defer { close(fd) }
        try body { try write($0, to: fd) }
    }
}
