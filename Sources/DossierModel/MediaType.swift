/// The document formats an archive may carry (docs/domain.md), by their IANA media type.
public enum MediaType: String, Codable, Sendable, CaseIterable {
    case pdf = "application/pdf"
    case ofd = "application/ofd"
    case jpeg = "image/jpeg"
    case png = "image/png"
    case tiff = "image/tiff"
}
