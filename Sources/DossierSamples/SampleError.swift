import DossierSystem

/// Why sample dossiers could not be made.
public enum SampleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Writing a file or folder failed.
    case system(SystemError)
    /// `--ineligible` named no rule the generator can break.
    case unknownRule(String)
    /// An office code the generator has no name or plate letter for.
    case unknownOffice(String)

    public var description: String {
        switch self {
        case .system(let error): return error.description
        case .unknownRule(let rule):
            return "cannot make a dossier breaking \"\(rule)\"; choose one of: "
                + SampleGenerator.breakableRules.joined(separator: ", ")
        case .unknownOffice(let code):
            return "no sample data for office \(code); choose one of: "
                + SampleOffices.all.map(\.code).sorted().joined(separator: ", ")
        }
    }
}
