/// The shape of what a value encodes to, for `StrictKeys`: objects as `[String: Any]`, arrays as
/// `[Any]`, every scalar (and an explicit null) as `true`. The same tree as encoding the value to
/// JSON and parsing that back, in a fraction of the time: `JSONEncoder` then `JSONSerialization`
/// took a third of `DossierRecord.decode` (`perf` of the origin under `dossier-bench e2e`).
/// Holds only for types encoded through the containers alone, without `JSONEncoder`'s special
/// cases (`Date`, `Data`, `URL`, `Decimal`), which the record's types do not use.
enum KeyShape {
    static func of(_ value: some Encodable) throws -> Any {
        let root = Node()
        try value.encode(to: ShapeEncoder(node: root, codingPath: []))
        return root.tree
    }

    /// One value being encoded; a container fills it in once asked for.
    final class Node {
        var object: [String: Node]?
        var array: [Node]?

        var tree: Any {
            if let object { return object.mapValues(\.tree) }
            if let array { return array.map(\.tree) }
            return true
        }

        /// The node for `key` of this object, made an object when it was not one.
        func child(_ key: String) -> Node {
            let node = Node()
            if object == nil { object = [:] }
            object?[key] = node
            return node
        }

        /// A new last element of this array, made an array when it was not one.
        func appended() -> Node {
            let node = Node()
            if array == nil { array = [] }
            array?.append(node)
            return node
        }
    }
}

private struct ShapeEncoder: Encoder {
    let node: KeyShape.Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if node.object == nil { node.object = [:] }
        return KeyedEncodingContainer(KeyedShape<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if node.array == nil { node.array = [] }
        return UnkeyedShape(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleShape(node: node, codingPath: codingPath) }
}

private struct KeyedShape<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: KeyShape.Node
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { _ = node.child(key.stringValue) }

    mutating func encode(_ value: some Encodable, forKey key: Key) throws {
        try value.encode(to: ShapeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        ShapeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ShapeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ShapeEncoder(node: node.child("super"), codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ShapeEncoder(node: node.child(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedShape: UnkeyedEncodingContainer {
    let node: KeyShape.Node
    let codingPath: [any CodingKey]
    var count: Int { node.array?.count ?? 0 }

    mutating func encodeNil() throws { _ = node.appended() }

    mutating func encode(_ value: some Encodable) throws {
        try value.encode(to: ShapeEncoder(node: node.appended(), codingPath: codingPath))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        ShapeEncoder(node: node.appended(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        ShapeEncoder(node: node.appended(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ShapeEncoder(node: node.appended(), codingPath: codingPath) }
}

/// A scalar leaves the node a leaf; a value of another type encodes its own shape into it.
private struct SingleShape: SingleValueEncodingContainer {
    let node: KeyShape.Node
    let codingPath: [any CodingKey]

    mutating func encode(_ value: some Encodable) throws { try value.encode(to: ShapeEncoder(node: node, codingPath: codingPath)) }
    mutating func encodeNil() throws {}
    mutating func encode(_ value: Bool) throws {}
    mutating func encode(_ value: String) throws {}
    mutating func encode(_ value: Double) throws {}
    mutating func encode(_ value: Float) throws {}
    mutating func encode(_ value: Int) throws {}
    mutating func encode(_ value: Int8) throws {}
    mutating func encode(_ value: Int16) throws {}
    mutating func encode(_ value: Int32) throws {}
    mutating func encode(_ value: Int64) throws {}
    mutating func encode(_ value: UInt) throws {}
    mutating func encode(_ value: UInt8) throws {}
    mutating func encode(_ value: UInt16) throws {}
    mutating func encode(_ value: UInt32) throws {}
    mutating func encode(_ value: UInt64) throws {}
}
