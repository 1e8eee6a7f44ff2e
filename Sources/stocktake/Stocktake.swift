import ArgumentParser
import Foundation
import Reports

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
          3  rule set (or waiver file) invalid
          4  plan data or another input file missing, unreadable or invalid
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
    /// Messages for people, which may quote plan text: shown through `TerminalText.visible`.
    static func error(_ message: String) {
        let shown = TerminalText.visible(message)
        FileHandle.standardError.write(Data((shown.hasSuffix("\n") ? shown : shown + "\n").utf8))
    }

    static func standardOutput(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Text for people on standard output (`plan show`, `notify`): plan text cannot send the
    /// terminal escape sequences.
    static func terminalText(_ text: String) {
        standardOutput(TerminalText.visible(text))
    }

    /// Writes all of `bytes` with write(2): reports run to gigabytes, and going through `Data`
    /// copied every chunk and cost several times the kernel's own time.
    static func write(_ bytes: [UInt8], to fd: Int32) throws {
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
}
