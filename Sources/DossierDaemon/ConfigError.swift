import DossierText

/// A configuration problem, naming the file, the key and what is wrong. The daemon refuses to
/// start (and a reload is refused) on any of these.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    /// Dotted key path, e.g. `peers[1].url`; empty for whole-file problems.
    public var key: String
    /// What is wrong, in English and Chinese (`DaemonText.Config`).
    public var text: Bilingual

    /// What is wrong, in English (logs, tests).
    public var problem: String { text.en }

    public init(file: String, key: String, problem: Bilingual) {
        self.file = file
        self.key = key
        self.text = problem
    }

    /// A problem the catalogue has no Chinese words for: the same text in both languages.
    public init(file: String, key: String, problem: String) {
        self.init(file: file, key: key, problem: Bilingual(problem, problem))
    }

    /// In English, for logs: `file: key: problem`.
    public var description: String { located(text.en) }

    /// In the operator's language (`dossierd --check-config`, a refused start).
    public var operatorDescription: String { located(text.description) }

    private func located(_ problem: String) -> String { key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)" }
}
