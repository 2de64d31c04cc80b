/// The named rules that can block a cross-province transfer (docs/domain.md), by stable code.
/// `missing-document` is reported as `missing-document:<kind>`.
public enum EligibilityRule: String, Codable, Sendable, CaseIterable {
    case outOfScope = "out-of-scope"
    case seized
    case stolenOrSuspect = "stolen-or-suspect"
    case scrapStandard = "scrap-standard"
    case scrapDeadline = "scrap-deadline"
    case customsWithoutRelease = "customs-without-release"
    case unsettledViolations = "unsettled-violations"
    case unsettledAccidents = "unsettled-accidents"
    case mortgageWithoutConsent = "mortgage-without-consent"
    case inspectionExpiredWithoutCertificate = "inspection-expired-without-certificate"
    case deregisteredOrTransferred = "deregistered-or-transferred"
    case missingDocument = "missing-document"
    case recordMismatch = "record-mismatch"
    case emissionStandard = "emission-standard"
}

/// Extra rules one destination applies. Emission-standard limits on relocation were abolished
/// nationally in 2022, so none are set by default.
public struct DestinationRules: Codable, Sendable, Equatable {
    /// When set, the vehicle's `emissionStandard` must be one of these (rule `emission-standard`).
    public var acceptedEmissionStandards: [String]?

    /// Extras for one destination; nil means no emission rule.
    public init(acceptedEmissionStandards: [String]? = nil) {
        self.acceptedEmissionStandards = acceptedEmissionStandards
    }
}

/// Which transfers are in scope and which rules apply. A plain value, Codable so the daemon can
/// read it from its configuration.
public struct TransferPolicy: Codable, Sendable, Equatable {
    /// Vehicle type codes (cllx) in scope; default: small and micro passenger cars.
    public var vehicleTypes: [String]
    /// Use natures (syxz) in scope; default: non-operating.
    public var useNatures: [String]
    /// Rules that are checked; a rule not listed never blocks.
    public var enabledRules: [EligibilityRule]
    /// Documents every transfer needs (rule `missing-document`).
    public var requiredDocuments: [DocumentKind]
    /// A vehicle whose scrap deadline is this many years away or less is blocked.
    public var scrapDeadlineMarginYears: Int
    /// Extra rules by destination authority code.
    public var destinations: [String: DestinationRules]

    /// A policy with exactly these settings.
    public init(
        vehicleTypes: [String], useNatures: [String], enabledRules: [EligibilityRule],
        requiredDocuments: [DocumentKind], scrapDeadlineMarginYears: Int,
        destinations: [String: DestinationRules]
    ) {
        self.vehicleTypes = vehicleTypes
        self.useNatures = useNatures
        self.enabledRules = enabledRules
        self.requiredDocuments = requiredDocuments
        self.scrapDeadlineMarginYears = scrapDeadlineMarginYears
        self.destinations = destinations
    }

    /// The 2021 national scope (small and micro non-operating passenger cars), every rule on,
    /// the six documents docs/domain.md lists, a one-year scrap margin, no destination extras.
    public static let `default` = TransferPolicy(
        vehicleTypes: ["K31", "K32", "K33", "K34", "K39", "K41", "K42", "K43", "K49"],
        useNatures: ["non-operating"],
        enabledRules: EligibilityRule.allCases,
        requiredDocuments: [.applicationForm, .ownerID, .ownershipProof, .inspectionRecord, .vehiclePhoto, .vinRubbing],
        scrapDeadlineMarginYears: 1,
        destinations: [:]
    )
}
