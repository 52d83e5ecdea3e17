/// What a Python pickle stream describes, as a value tree. Nothing is executed: calls
/// (REDUCE, NEWOBJ, INST, OBJ) and their BUILD states are kept as `PickleObject` nodes for
/// the caller to interpret (a numpy array, a PyTorch tensor, an OrderedDict).
///
/// Python objects the stream shares (memo GET) appear once per use here, with the state
/// they had when the stream ended, as Python would see them.
public enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer beyond 64 bits.
    case bigInt(PickleBigInt)
    case float(Double)
    /// Python 3 str.
    case string(String)
    /// Python 3 bytes, and Python 2 str (STRING, BINSTRING, SHORT_BINSTRING), which is how
    /// Python 3 reads it with `encoding='bytes'`.
    case bytes(PickleBytes)
    case byteArray(PickleBytes)
    case list([PickleValue])
    case tuple([PickleValue])
    /// Entries in stream order; a key set twice appears twice (lookups take the last).
    case dict([PickleDictEntry])
    case set([PickleValue])
    case frozenSet([PickleValue])
    /// A module attribute named by GLOBAL or STACK_GLOBAL: usually a class or function.
    case global(PickleGlobal)
    indirect case object(PickleObject)
    /// What the pickler's persistent_id returned (PyTorch storages); resolving it is the caller's.
    indirect case persistent(PickleValue)
}

/// Bytes of a bytes or bytearray object. Small ones are copied out of the stream; large
/// ones stay where they are, as a range of the source (a file offset when the stream was
/// read from a file), so a caller can read them later, and only the part it needs.
public enum PickleBytes: Sendable, Equatable {
    case inline([UInt8])
    case range(offset: Int, count: Int)

    public var count: Int {
        switch self {
        case .inline(let bytes): return bytes.count
        case .range(_, let count): return count
        }
    }
}

/// A key and value of a dict, or an item set on an object by SETITEM(S).
public struct PickleDictEntry: Sendable, Equatable {
    public let key: PickleValue
    public let value: PickleValue

    public init(key: PickleValue, value: PickleValue) {
        self.key = key
        self.value = value
    }
}

/// An integer too large for Int, as little-endian two's complement bytes (LONG1/LONG4 form).
public struct PickleBigInt: Sendable, Equatable {
    public let littleEndian: [UInt8]

    public init(littleEndian: [UInt8]) { self.littleEndian = littleEndian }

    public var isNegative: Bool { (littleEndian.last ?? 0) & 0x80 != 0 }
}

/// `module.name` as the stream spells it (Python 2 names such as `__builtin__` are not mapped).
public struct PickleGlobal: Sendable, Equatable, CustomStringConvertible {
    public let module: String
    public let name: String

    public init(module: String, name: String) {
        self.module = module
        self.name = name
    }

    public var description: String { "\(module).\(name)" }
}

/// A call the stream asks for, never made: `callable(*args, **kwargs)`, then each BUILD
/// state, then the items APPEND(S)/SETITEM(S)/ADDITEMS added to the result.
public struct PickleObject: Sendable, Equatable {
    public enum Construction: Sendable, Equatable {
        case reduce      // REDUCE: callable(*args)
        case newObject   // NEWOBJ, NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
        case instance    // INST, OBJ (protocols 0 and 1): cls(*args)
    }

    public var construction: Construction
    public var callable: PickleValue
    public var args: [PickleValue]
    public var kwargs: [PickleDictEntry]
    /// BUILD arguments in order (almost always one).
    public var states: [PickleValue]
    public var listItems: [PickleValue]
    public var dictItems: [PickleDictEntry]

    public init(construction: Construction, callable: PickleValue, args: [PickleValue],
                kwargs: [PickleDictEntry] = [], states: [PickleValue] = [],
                listItems: [PickleValue] = [], dictItems: [PickleDictEntry] = []) {
        self.construction = construction
        self.callable = callable
        self.args = args
        self.kwargs = kwargs
        self.states = states
        self.listItems = listItems
        self.dictItems = dictItems
    }

    /// The last BUILD state, if any.
    public var state: PickleValue? { states.last }

    /// The callable when it is a global (`numpy.dtype`, `collections.OrderedDict`).
    public var global: PickleGlobal? {
        if case .global(let global) = callable { return global }
        return nil
    }
}

// MARK: - Reading a tree

extension PickleValue {
    public var int: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// A str, or a small bytes object holding UTF-8 (a Python 2 str such as a dict key).
    public var text: String? {
        switch self {
        case .string(let value): return value
        case .bytes(.inline(let bytes)): return String(validating: bytes, as: UTF8.self)
        default: return nil
        }
    }

    /// The items of a list or tuple.
    public var elements: [PickleValue]? {
        switch self {
        case .list(let items), .tuple(let items): return items
        default: return nil
        }
    }

    public var dictEntries: [PickleDictEntry]? {
        if case .dict(let entries) = self { return entries }
        return nil
    }

    public var object: PickleObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    public var global: PickleGlobal? {
        if case .global(let global) = self { return global }
        return nil
    }

    /// A dict's value for a str key or the same key as Python 2 bytes; the last wins, as in Python.
    public subscript(key: String) -> PickleValue? {
        guard let entries = dictEntries else { return nil }
        return entries.last(where: { $0.key.text == key })?.value
    }

    /// A list or tuple whose items are all ints.
    public var intList: [Int]? {
        guard let items = elements else { return nil }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard let value = item.int else { return nil }
            result.append(value)
        }
        return result
    }

    /// A short name of what this is, for messages: "dict", "list of 3", "numpy.dtype(...) object".
    public var kindDescription: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes(let bytes): return "bytes of \(bytes.count)"
        case .byteArray(let bytes): return "bytearray of \(bytes.count)"
        case .list(let items): return "list of \(items.count)"
        case .tuple(let items): return "tuple of \(items.count)"
        case .dict(let entries): return "dict of \(entries.count)"
        case .set(let items): return "set of \(items.count)"
        case .frozenSet(let items): return "frozenset of \(items.count)"
        case .global(let global): return "global \(global)"
        case .object(let object):
            if let global = object.global { return "\(global)(...) object" }
            return "object"
        case .persistent: return "persistent id"
        }
    }
}
