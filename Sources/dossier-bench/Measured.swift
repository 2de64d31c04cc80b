import Foundation

/// A finished child process: wall time, peak resident memory and exit status.
struct Measured {
    var seconds: Double
    var maxRSSBytes: Double
    var status: Int32
    /// CPU seconds, user and system, of the program and the children it waited for.
    var cpuSeconds: Double = 0
}

/// Runs `argv` (no shell unless asked) with stdout and stderr sent to /dev/null and measures it.
/// The peak RSS comes from GNU time (`/usr/bin/time -f %M`) when installed: `wait4`'s own
/// figure is useless here, because posix_spawn's vfork child reports the parent's (the
/// benchmark's) resident size as its peak.
func measure(_ argv: [String]) throws -> Measured {
    let timeTool = "/usr/bin/time"
    guard FileManager.default.isExecutableFile(atPath: timeTool) else { return try spawnAndWait(argv, rssFile: nil) }
    let rssFile = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-bench-rss-\(UUID().uuidString)").path
    defer { unlink(rssFile) }
    return try spawnAndWait([timeTool, "-f", "%M", "-o", rssFile] + argv, rssFile: rssFile)
}

private func spawnAndWait(_ argv: [String], rssFile: String?) throws -> Measured {
    var pid: pid_t = 0
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    let start = DispatchTime.now()
    let spawned = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
    guard spawned == 0 else { throw BenchFailure.spawn(argv[0], spawned) }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    let kilobytes = rssFile.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }
        .flatMap { $0.split(separator: "\n").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }
    return Measured(
        seconds: seconds, maxRSSBytes: (kilobytes ?? Double(usage.ru_maxrss)) * 1024, status: exitStatus, cpuSeconds: cpuSeconds(usage))
}

/// Runs `argv` and fails the benchmark if it does not exit 0.
@discardableResult
func measureOK(_ argv: [String]) throws -> Measured {
    let result = try measure(argv)
    guard result.status == 0 else { throw BenchFailure.failed(argv.joined(separator: " "), result.status) }
    return result
}

/// CPU seconds, user and system, this process has used so far (every thread).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return cpuSeconds(usage)
}

/// User plus system seconds of `usage`.
private func cpuSeconds(_ usage: rusage) -> Double {
    [usage.ru_utime, usage.ru_stime].reduce(0.0) { $0 + Double($1.tv_sec) + Double($1.tv_usec) / 1e6 }
}

/// Runs a round's two runs, ours and the baseline's, ours first in even rounds and second in
/// odd ones, each after `sync()`: the second run of a pair would otherwise find the first one's
/// writes and deletions (discards, on this mount), or the samples just written, still draining.
func inAlternatingOrder(round: Int, ours: () async throws -> Void, theirs: () async throws -> Void) async rethrows {
    for oursNow in round % 2 == 0 ? [true, false] : [false, true] {
        sync()
        if oursNow { try await ours() } else { try await theirs() }
    }
}

/// Seconds taken by `body`.
func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now()
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// The package root (for Certs/make-dev-pki.sh), from this source file's location.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The folder holding this executable and its sibling products (dossierctl).
let productsDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
