import Foundation

// The parts of a `dossier/1` record (docs/domain.md "The record"). Codes stay `String` so that a
// record with a bad code still decodes and `RecordValidator` can name every bad field at once.

/// The number plate (号牌): number (hphm), type code (hpzl, e.g. "02") and issuing office (fzjg)
/// as its 6-digit division code.
public struct Plate: Codable, Sendable, Equatable {
    public var number: String
    public var type: String
    public var issuer: String
    /// Stores the values as given; `RecordValidator` checks them.
    public init(number: String, type: String, issuer: String) {
        self.number = number
        self.type = type
        self.issuer = issuer
    }
}

/// The vehicle itself. `vehicleType` is the cllx code (K33 small car); `useNature` the syxz
/// word (`non-operating`, `operating`, …); `origin` is `domestic` or `import`.
public struct Vehicle: Codable, Sendable, Equatable {
    public var vin: String
    public var engineNumber: String
    public var brand: String
    public var model: String
    public var vehicleType: String
    public var bodyColor: String
    public var useNature: String
    public var fuel: String
    public var emissionStandard: String
    public var manufactureDate: CalendarDate
    public var origin: String
    /// Stores the values as given; `RecordValidator` checks them.
    public init(
        vin: String, engineNumber: String, brand: String, model: String, vehicleType: String,
        bodyColor: String, useNature: String, fuel: String, emissionStandard: String,
        manufactureDate: CalendarDate, origin: String
    ) {
        self.vin = vin
        self.engineNumber = engineNumber
        self.brand = brand
        self.model = model
        self.vehicleType = vehicleType
        self.bodyColor = bodyColor
        self.useNature = useNature
        self.fuel = fuel
        self.emissionStandard = emissionStandard
        self.manufactureDate = manufactureDate
        self.origin = origin
    }
}

/// How a person or organisation is identified: `resident-id` (GB 11643) or `uscc` (GB 32100).
public enum IdentityType: String, Codable, Sendable, CaseIterable {
    case residentID = "resident-id"
    case uscc
}

/// The registered owner (所有人).
public struct Owner: Codable, Sendable, Equatable {
    public var name: String
    public var idType: IdentityType
    public var idNumber: String
    public var address: String
    public var divisionCode: String
    /// Stores the values as given; `RecordValidator` checks them.
    public init(name: String, idType: IdentityType, idNumber: String, address: String, divisionCode: String) {
        self.name = name
        self.idType = idType
        self.idNumber = idNumber
        self.address = address
        self.divisionCode = divisionCode
    }
}

/// Registration facts. `status` is the zt field: one or more status letters, e.g. "A" or "GQ".
public struct Registration: Codable, Sendable, Equatable {
    public var certificateNumber: String
    public var firstRegistrationDate: CalendarDate
    public var inspectionValidUntil: CalendarDate
    public var scrapDeadline: CalendarDate
    public var insuranceValidUntil: CalendarDate
    public var status: String
    public var managingOffice: String
    /// Stores the values as given; `RecordValidator` checks them.
    public init(
        certificateNumber: String, firstRegistrationDate: CalendarDate, inspectionValidUntil: CalendarDate,
        scrapDeadline: CalendarDate, insuranceValidUntil: CalendarDate, status: String, managingOffice: String
    ) {
        self.certificateNumber = certificateNumber
        self.firstRegistrationDate = firstRegistrationDate
        self.inspectionValidUntil = inspectionValidUntil
        self.scrapDeadline = scrapDeadline
        self.insuranceValidUntil = insuranceValidUntil
        self.status = status
        self.managingOffice = managingOffice
    }
}

/// A mortgage (抵押). `mortgageeConsent` records the mortgagee's consent to the transfer (joint
/// application); absent means not recorded.
public struct Mortgage: Codable, Sendable, Equatable {
    public var active: Bool
    public var mortgagee: String
    public var since: CalendarDate?
    public var mortgageeConsent: Bool?
    /// Stores the values as given; `RecordValidator` checks them.
    public init(active: Bool, mortgagee: String, since: CalendarDate?, mortgageeConsent: Bool? = nil) {
        self.active = active
        self.mortgagee = mortgagee
        self.since = since
        self.mortgageeConsent = mortgageeConsent
    }
}

/// A seizure (查封) by a court or another authority.
public struct Seizure: Codable, Sendable, Equatable {
    public var active: Bool
    public var authority: String
    /// Stores the values as given; `RecordValidator` checks them.
    public init(active: Bool, authority: String) {
        self.active = active
        self.authority = authority
    }
}

/// What restricts disposal of the vehicle.
public struct Encumbrances: Codable, Sendable, Equatable {
    public var mortgage: Mortgage
    public var seizure: Seizure
    public var customsSupervision: Bool
    /// Stores the values as given; `RecordValidator` checks them.
    public init(mortgage: Mortgage, seizure: Seizure, customsSupervision: Bool) {
        self.mortgage = mortgage
        self.seizure = seizure
        self.customsSupervision = customsSupervision
    }
}

/// Business not yet settled.
public struct Pending: Codable, Sendable, Equatable {
    public var unsettledViolations: Int
    public var unsettledAccidents: Int
    /// Stores the values as given; `RecordValidator` checks them.
    public init(unsettledViolations: Int, unsettledAccidents: Int) {
        self.unsettledViolations = unsettledViolations
        self.unsettledAccidents = unsettledAccidents
    }
}

/// Kinds of registration business in the history.
public enum HistoryEventKind: String, Codable, Sendable, CaseIterable {
    case registration, transfer, change
    case transferOut = "transfer-out"
    case transferIn = "transfer-in"
}

/// One past registration business.
public struct HistoryEvent: Codable, Sendable, Equatable {
    public var event: HistoryEventKind
    public var date: CalendarDate
    public var office: String
    /// Stores the values as given; `RecordValidator` checks them.
    public init(event: HistoryEventKind, date: CalendarDate, office: String) {
        self.event = event
        self.date = date
        self.office = office
    }
}

/// The buyer of a transfer.
public struct Buyer: Codable, Sendable, Equatable {
    public var name: String
    public var idType: IdentityType
    public var idNumber: String
    /// Stores the values as given; `RecordValidator` checks them.
    public init(name: String, idType: IdentityType, idNumber: String) {
        self.name = name
        self.idType = idType
        self.idNumber = idNumber
    }
}

/// The transfer this dossier is prepared for; offices are 6-digit division codes.
public struct Transfer: Codable, Sendable, Equatable {
    public var fromOffice: String
    public var toOffice: String
    public var buyer: Buyer
    public var agreedOn: CalendarDate
    public var temporaryPlateValidUntil: CalendarDate
    /// Stores the values as given; `RecordValidator` checks them.
    public init(
        fromOffice: String, toOffice: String, buyer: Buyer, agreedOn: CalendarDate,
        temporaryPlateValidUntil: CalendarDate
    ) {
        self.fromOffice = fromOffice
        self.toOffice = toOffice
        self.buyer = buyer
        self.agreedOn = agreedOn
        self.temporaryPlateValidUntil = temporaryPlateValidUntil
    }
}

/// The kinds of scanned documents a dossier may hold (docs/domain.md).
public enum DocumentKind: String, Codable, Sendable, CaseIterable {
    case applicationForm = "application-form"
    case ownerID = "owner-id"
    case ownershipProof = "ownership-proof"
    case compulsoryInsurance = "compulsory-insurance"
    case inspectionRecord = "inspection-record"
    case vehiclePhoto = "vehicle-photo"
    case vinRubbing = "vin-rubbing"
    case safetyInspectionCertificate = "safety-inspection-certificate"
    case customsRelease = "customs-release"
}

/// One scanned document. `file` is relative to the dossier folder and lies under `documents/`
/// (e.g. `documents/photo-1.jpg`), the same form as `DocumentSample.path`. `kind` stays a string
/// so an unknown kind is reported by the validator rather than failing the whole decode.
public struct DocumentEntry: Codable, Sendable, Equatable {
    public var kind: String
    public var file: String
    public var mediaType: MediaType
    /// Stores the values as given; `RecordValidator` checks them.
    public init(kind: String, file: String, mediaType: MediaType) {
        self.kind = kind
        self.file = file
        self.mediaType = mediaType
    }
}
