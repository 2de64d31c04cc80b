import DossierFuzzing

/// libFuzzer's entry point: every input goes through the archive reader (tar, bag, manifests,
/// signature, four-property check) and the receipt parser. Any trap, leak or memory error is a
/// finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzHarness.shared.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
