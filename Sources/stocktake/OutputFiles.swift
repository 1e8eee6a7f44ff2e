import Dispatch
import Foundation

/// A file as the system knows it: device and inode, which two paths share when they are the
/// same file (the same path, a symbolic link, a hard link, `..` and the like).
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        self.init(info)
    }

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}

/// Where one `--format FORMAT:PATH` output goes, worked out before anything is read: to a file
/// descriptor this process already has (`/dev/stdout`, `/dev/fd/3`, or a path naming the file
/// standard output is redirected to), to a device or pipe written as it is, or to a regular file
/// replaced through a temporary file.
struct OutputFile {
    enum Destination: Equatable {
        /// Written to the descriptor itself, so a stream redirected to a file is appended to
        /// where it stands, never truncated or replaced.
        case descriptor(Int32)
        /// A device, FIFO or socket: opened for appending and written as it is.
        case stream
        /// A regular file (existing or not): a temporary file beside it, renamed over it.
        case file
    }

    var spec: String
    var path: String
    var destination: Destination
    /// The file's identity when it exists.
    var identity: FileIdentity?
    /// The absolute path with symbolic links resolved (of the folder, when the file does not exist yet).
    var resolved: String

    init(spec: String, path: String) throws {
        self.spec = spec
        self.path = path
        resolved = Self.resolve(path)
        var info = stat()
        let exists = stat(path, &info) == 0
        identity = exists ? FileIdentity(info) : nil
        if let fd = Self.descriptor(named: path) ?? identity.flatMap(Self.standardDescriptor(of:)) {
            destination = .descriptor(fd)
            return
        }
        guard exists else {
            destination = .file
            return
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            throw Failure("error: --format \(spec): \(path) is a directory; give a file name", .usage)
        case S_IFREG:
            destination = .file
            // Permissions are checked on the mode bits too: as root, access(2) allows every write.
            if info.st_mode & 0o222 == 0 || access(path, W_OK) != 0 {
                let mode = String(info.st_mode & 0o7777, radix: 8)
                throw Failure("error: --format \(spec): \(path) is read-only (mode \(String(repeating: "0", count: max(0, 4 - mode.count)) + mode)); "
                              + "it is not replaced: make it writable or write elsewhere", .internalError)
            }
        default:
            destination = .stream
        }
    }

    /// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N` name descriptors of this
    /// process: reopening them would start a redirected file again at its beginning.
    static func descriptor(named path: String) -> Int32? {
        switch path {
        case "/dev/stdin": return STDIN_FILENO
        case "/dev/stdout": return STDOUT_FILENO
        case "/dev/stderr": return STDERR_FILENO
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/"] where path.hasPrefix(prefix) {
                if let n = Int32(path.dropFirst(prefix.count)), n >= 0, fcntl(n, F_GETFD) != -1 { return n }
            }
            return nil
        }
    }

    /// Standard output or error, when `identity` is the file one of them is redirected to.
    static func standardDescriptor(of identity: FileIdentity) -> Int32? {
        for fd in [STDOUT_FILENO, STDERR_FILENO] {
            var info = stat()
            if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, FileIdentity(info) == identity { return fd }
        }
        return nil
    }

    /// The absolute path with symbolic links resolved; for a file not there yet, its folder's.
    static func resolve(_ path: String) -> String {
        if let real = realpath(path, nil) {
            defer { free(real) }
            return String(cString: real)
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        guard let real = realpath(folder, nil) else { return url.standardized.path }
        defer { free(real) }
        return (String(cString: real) as NSString).appendingPathComponent(url.lastPathComponent)
    }

    /// The temporary file a regular file is written through: hidden, beside it (so the rename is
    /// atomic), named by this process so that a signal handler knows it without asking.
    var temporaryPath: String {
        let url = URL(fileURLWithPath: resolved)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp").path
    }

    /// Whether this output is the file at `other` (an input, or another output).
    func isSameFile(as otherPath: String, identity other: FileIdentity?) -> Bool {
        guard destination == .file else { return false }
        if let identity, let other { return identity == other }
        return resolved == Self.resolve(otherPath)
    }

    /// Refuses, before anything is read, outputs that would replace an input or each other.
    /// `inputs` are (what it is, path) pairs: "the plan", "the rules", "the waivers" ….
    static func refuseOverwrites(_ outputs: [OutputFile], inputs: [(role: String, path: String)]) throws {
        for (i, output) in outputs.enumerated() {
            for input in inputs {
                guard output.isSameFile(as: input.path, identity: FileIdentity(path: input.path)) else { continue }
                throw Failure("error: --format \(output.spec) would overwrite \(input.role) \(input.path) (the same file); "
                              + "nothing was written: choose another output path", .usage)
            }
            for other in outputs[..<i] where output.isSameFile(as: other.path, identity: other.identity) {
                throw Failure("error: --format \(other.spec) and --format \(output.spec) are the same file, so one would "
                              + "replace the other; nothing was written: give each output its own path", .usage)
            }
        }
    }
}

/// Removes the temporary files of a run's outputs when the run is interrupted (SIGINT, SIGTERM,
/// SIGHUP), then ends it by that signal as it would have ended anyway. The paths are known before
/// any is created (see `OutputFile.temporaryPath`), so the handler shares no state with the
/// writer; removing one that was never created, or already renamed, does nothing.
final class TemporaryFileCleanup {
    private let sources: [any DispatchSourceSignal]

    init(paths: [String]) {
        guard !paths.isEmpty else { sources = []; return }
        let queue = DispatchQueue(label: "stocktake.signals")
        sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            // The default action would end the process before the handler runs.
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                for path in paths { unlink(path) }
                // Ended by the signal itself, so a shell or job runner sees what happened: the
                // default action, unblocked on this thread (a parent may have blocked it for us).
                signal(number, SIG_DFL)
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, number)
                pthread_sigmask(SIG_UNBLOCK, &set, nil)
                raise(number)
                _exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}

extension Output {
    /// Streams chunks to an output: to a file through a temporary file renamed over it at the end
    /// (so a failed run leaves nothing half-written, and the file keeps its mode, owner and
    /// group), to a device or pipe as it is, or to a descriptor this process holds.
    static func stream(to output: OutputFile?, _ body: (([UInt8]) throws -> Void) throws -> Void) throws {
        guard let output else {
            try body { try write($0, to: STDOUT_FILENO) }
            return
        }
        switch output.destination {
        case .descriptor(let fd):
            try body { try write($0, to: fd) }
        case .stream:
            let fd = open(output.path, O_WRONLY | O_APPEND | O_CLOEXEC)
            guard fd >= 0 else { throw Failure("cannot write \(output.path): \(String(cString: strerror(errno)))", .internalError) }
            defer { close(fd) }
            try body { try write($0, to: fd) }
        case .file:
            try replace(output, body)
        }
    }

    private static func replace(_ output: OutputFile, _ body: (([UInt8]) throws -> Void) throws -> Void) throws {
        let temporary = output.temporaryPath
        // Through a symbolic link, the file it points to is replaced and the link kept.
        let target = output.resolved
        var existing = stat()
        let replacing = stat(target, &existing) == 0
        // New files get the usual mode (0666 less the umask); a replaced one its own, set below.
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw Failure("cannot write \(output.path): \(String(cString: strerror(errno))) (the folder must exist and be writable)",
                          .internalError)
        }
        var open = true
        do {
            if replacing {
                guard fchmod(fd, existing.st_mode & 0o7777) == 0 else {
                    throw Failure("cannot write \(output.path): cannot keep its mode (\(String(cString: strerror(errno))))", .internalError)
                }
                // Only root may give a file away; otherwise it stays ours, as the file we replace
                // would be (a file we may not write was refused before the run).
                if existing.st_uid != geteuid() || existing.st_gid != getegid() {
                    _ = fchown(fd, existing.st_uid, existing.st_gid)
                }
            }
            try body { try write($0, to: fd) }
            open = false
            guard close(fd) == 0 else {
                throw Failure("cannot write \(output.path): \(String(cString: strerror(errno)))", .internalError)
            }
        } catch {
            if open { close(fd) }
            unlink(temporary)
            throw error
        }
        guard rename(temporary, target) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure("cannot write \(output.path): \(reason)", .internalError)
        }
    }
}
