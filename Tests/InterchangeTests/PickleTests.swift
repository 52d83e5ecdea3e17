import Foundation
import XCTest
@testable import Interchange

/// The pickle reader on streams CPython writes (hex below, made by `pickle.dumps` in
/// Python 3.11 with numpy 2.4) and on hand-written ones (each checked against CPython's
/// Unpickler where CPython can run it), plus malformed streams, which must all throw.
final class PickleTests: XCTestCase {
    // MARK: - What CPython writes

    /// `{'a': [1, -2, 2.5, 'xé中', None, True, False, 12345678901234567890123, b"by\0'te"], 't': (1, 2)}`
    /// at protocol 0: text opcodes, PUT, UNICODE raw escapes, LONG text, bytes via _codecs.encode.
    func testProtocol0() throws {
        let value = try Pickle.parse(hex("286470300a56610a70310a286c70320a49310a61492d320a6146322e350a615678e95c75346532640a70330a614e614930310a614930300a614c31323334353637383930313233343536373839303132334c0a61635f636f646563730a656e636f64650a70340a285662795c75303030302774650a70350a566c6174696e310a70360a7470370a5270380a617356740a70390a2849310a49320a747031300a732e"), source: "p0")
        let list = try XCTUnwrap(value["a"]?.elements)
        XCTAssertEqual(Array(list.prefix(7)), [.int(1), .int(-2), .float(2.5), .string("xé中"), .none, .bool(true), .bool(false)])
        // 12345678901234567890123 = 0x029d42b64e76714244cb, little-endian two's complement.
        XCTAssertEqual(list[7], .bigInt(PickleBigInt(littleEndian: [0xcb, 0x44, 0x42, 0x71, 0x76, 0x4e, 0xb6, 0x42, 0x9d, 0x02])))
        let encode = try XCTUnwrap(list[8].object)
        XCTAssertEqual(encode.construction, .reduce)
        XCTAssertEqual(encode.global, PickleGlobal(module: "_codecs", name: "encode"))
        XCTAssertEqual(encode.args, [.string("by\u{0}'te"), .string("latin1")])
        XCTAssertEqual(value["t"], .tuple([.int(1), .int(2)]))
    }

    /// `{'big': 2**70, 'neg': -2**70, 'n': -129, 'l': 2**40, 'f': 1.5, 's': {1}, 'fs': frozenset([2]), 'b': b'ab'}`
    /// at protocol 2: LONG1, BININT, BINFLOAT, sets as __builtin__ reduces.
    func testProtocol2() throws {
        let value = try Pickle.parse(hex("80027d710028580300000062696771018a0900000000000000004058030000006e656771028a090000000000000000c058010000006e71034a7fffffff58010000006c71048a060000000000015801000000667105473ff80000000000005801000000737106635f5f6275696c74696e5f5f0a7365740a71075d71084b016185710952710a58020000006673710b635f5f6275696c74696e5f5f0a66726f7a656e7365740a710c5d710d4b026185710e52710f5801000000627110635f636f646563730a656e636f64650a711158020000006162711258060000006c6174696e317113867114527115752e"), source: "p2")
        XCTAssertEqual(value["big"], .bigInt(PickleBigInt(littleEndian: [0, 0, 0, 0, 0, 0, 0, 0, 0x40])))
        XCTAssertEqual(value["neg"], .bigInt(PickleBigInt(littleEndian: [0, 0, 0, 0, 0, 0, 0, 0, 0xC0])))
        XCTAssertEqual(value["neg"].map { if case .bigInt(let b) = $0 { return b.isNegative } else { return false } }, true)
        XCTAssertEqual(value["n"], .int(-129))
        XCTAssertEqual(value["l"], .int(1 << 40))
        XCTAssertEqual(value["f"], .float(1.5))
        let set = try XCTUnwrap(value["s"]?.object)
        XCTAssertEqual(set.global?.description, "__builtin__.set")
        XCTAssertEqual(set.args, [.list([.int(1)])])
    }

    /// `{'s': {1, 2}, 'fs': frozenset([3]), 'u': 'é', 'b': b'xy'}` at protocol 4: FRAME, MEMOIZE,
    /// EMPTY_SET + ADDITEMS, FROZENSET, SHORT_BINUNICODE, SHORT_BINBYTES.
    func testProtocol4() throws {
        let value = try Pickle.parse(hex("8004952d000000000000007d94288c0173948f94284b014b02908c02667394284b0391948c0175948c02c3a9948c0162944302787994752e"), source: "p4")
        XCTAssertEqual(value, .dict([
            PickleDictEntry(key: .string("s"), value: .set([.int(1), .int(2)])),
            PickleDictEntry(key: .string("fs"), value: .frozenSet([.int(3)])),
            PickleDictEntry(key: .string("u"), value: .string("é")),
            PickleDictEntry(key: .string("b"), value: .bytes(.inline([0x78, 0x79]))),
        ]))
    }

    // MARK: - Opcodes, hand-written

    func testOpcodes() throws {
        func parse(_ text: String) throws -> PickleValue { try Pickle.parse(latin1(text), source: "test") }
        XCTAssertEqual(try parse("(K\u{1}imod\nname\n."), .object(PickleObject(
            construction: .instance, callable: .global(PickleGlobal(module: "mod", name: "name")), args: [.int(1)])))
        XCTAssertEqual(try parse("(cmod\nname\nK\u{2}o."), .object(PickleObject(
            construction: .instance, callable: .global(PickleGlobal(module: "mod", name: "name")), args: [.int(2)])))
        XCTAssertEqual(try parse("\u{8b}\u{2}\0\0\0\0\u{80}."), .int(-32768))        // LONG4
        XCTAssertEqual(try parse("\u{8a}\0."), .int(0))                              // LONG1, empty
        XCTAssertEqual(try parse("\u{8a}\u{1}\u{ff}."), .int(-1))
        XCTAssertEqual(try parse("S'a\\x41\\n\\'b\\101'\n."), .bytes(.inline(Array("aA\n'bA".utf8))))
        XCTAssertEqual(try parse("F-0.25\nG\u{40}\u{09}\u{21}\u{fb}\u{54}\u{44}\u{2d}\u{18}\u{86}."), .tuple([.float(-0.25), .float(Double.pi)]))
        XCTAssertEqual(try parse("K\u{1}K\u{2}2K\u{3}0(K\u{4}1\u{87}."), .tuple([.int(1), .int(2), .int(2)]))  // DUP POP POP_MARK
        XCTAssertEqual(try parse("K\u{1}p5\n0g5\n."), .int(1))                        // PUT, GET
        XCTAssertEqual(try parse("K\u{9}r\0\u{1}\0\0j\0\u{1}\0\0\u{85}."), .tuple([.int(9)]))  // LONG_BINPUT, LONG_BINGET
        XCTAssertEqual(try parse("(K\u{1}K\u{2}l(K\u{3}K\u{4}d(K\u{5}t."), .tuple([.int(5)]))
        XCTAssertEqual(try parse("(K\u{1}K\u{2}l(K\u{3}K\u{4}d\u{86}."), .tuple([.list([.int(1), .int(2)]), .dict([PickleDictEntry(key: .int(3), value: .int(4))])]))
        XCTAssertEqual(try parse("\u{8d}\u{2}\0\0\0\0\0\0\0hi\u{8e}\u{1}\0\0\0\0\0\0\0z\u{86}."), .tuple([.string("hi"), .bytes(.inline([0x7a]))]))
        XCTAssertEqual(try parse("T\u{2}\0\0\0abU\u{1}cC\u{1}d\u{87}."), .tuple([.bytes(.inline([0x61, 0x62])), .bytes(.inline([0x63])), .bytes(.inline([0x64]))]))
        XCTAssertEqual(try parse("V\\u00e9\\U0001f600x\n."), .string("é😀x"))
        XCTAssertEqual(try parse("I01\nI00\nI-7\nL-99999999999999999999L\n\u{87}."), .tuple([.bool(false), .int(-7),
            .bigInt(PickleBigInt(littleEndian: [0x01, 0x00, 0xf0, 0x9c, 0xd2, 0xa1, 0x38, 0x94, 0xfa]))]))
        XCTAssertEqual(try parse("}K\u{1}K\u{2}s\u{8f}(K\u{3}\u{90}\u{86}."), .tuple([.dict([PickleDictEntry(key: .int(1), value: .int(2))]), .set([.int(3)])]))
        XCTAssertEqual(try parse("\u{88}\u{89}N\u{86}\u{86}."), .tuple([.bool(true), .tuple([.bool(false), .none])]))
        XCTAssertEqual(try parse("\u{88}N)\u{87}."), .tuple([.bool(true), .none, .tuple([])]))
    }

    func testPersistentIDsAndNewObjects() throws {
        // PERSID text, BINPERSID on a value: what torch.save writes for storages.
        XCTAssertEqual(try Pickle.parse(latin1("Pabc\nK\u{7}Q\u{86}."), source: "t"),
                       .tuple([.persistent(.string("abc")), .persistent(.int(7))]))
        // NEWOBJ_EX: cls, args, kwargs.
        let value = try Pickle.parse(latin1("\u{80}\u{4}\u{8c}\u{1}m\u{8c}\u{1}C\u{93})}(\u{8c}\u{1}kK\u{1}u\u{92}."), source: "t")
        XCTAssertEqual(value.object, PickleObject(construction: .newObject, callable: .global(PickleGlobal(module: "m", name: "C")),
                                                  args: [], kwargs: [PickleDictEntry(key: .string("k"), value: .int(1))]))
        // An OrderedDict as PyTorch state dicts are: REDUCE with no arguments, then SETITEMS, then BUILD.
        let ordered = try Pickle.parse(latin1("\u{80}\u{2}ccollections\nOrderedDict\nq\u{0})Rq\u{1}(X\u{1}\0\0\0wK\u{5}u}b."), source: "t")
        let object = try XCTUnwrap(ordered.object)
        XCTAssertEqual(object.global?.description, "collections.OrderedDict")
        XCTAssertEqual(object.dictItems, [PickleDictEntry(key: .string("w"), value: .int(5))])
        XCTAssertEqual(object.state, .dict([]))
    }

    /// Objects are shared and mutable: a list memoised empty and filled later is filled everywhere.
    func testMemoSharesLaterMutations() throws {
        // EMPTY_LIST BINPUT 0, BINGET 0, TUPLE2, BINGET 0, 5, APPEND, POP: CPython gives ([5], [5]).
        let value = try Pickle.parse(hex("80025d710068008668004b0561302e"), source: "t")
        XCTAssertEqual(value, .tuple([.list([.int(5)]), .list([.int(5)])]))
    }

    func testSelfContainingListThrows() {
        // l = []; l.append(l); pickle.dumps(l, 2)
        assertThrows(hex("80025d71006800612e")) { problem in
            guard case .unsupported(let text) = problem else { return false }
            return text.contains("contains itself")
        }
    }

    // MARK: - Byte ranges

    func testLargeBytesAreARangeNotACopy() throws {
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        // PROTO 3, BINBYTES 5000, STOP: the data starts at byte 7.
        let stream: [UInt8] = [0x80, 3, 0x42] + le32(5000) + payload + [0x2E]
        XCTAssertEqual(try Pickle.parse(stream, source: "t"), .bytes(.range(offset: 7, count: 5000)))
        XCTAssertEqual(try Pickle.parse(stream, source: "t", inlineLimit: 5000), .bytes(.inline(payload)))

        let url = try temporaryFile(stream)
        let value = try Pickle.load(file: url.path)
        guard case .bytes(let bytes) = value else { return XCTFail("not bytes: \(value)") }
        XCTAssertEqual(bytes, .range(offset: 7, count: 5000))
        XCTAssertEqual(try Pickle.read(bytes, file: url.path), payload)
        // A range beyond the end of the file (it shrank) is an error, not short data.
        try Data(stream.prefix(100)).write(to: url)
        XCTAssertThrowsError(try Pickle.read(bytes, file: url.path))
    }

    func testSeveralPicklesInOneFile() throws {
        // Legacy torch.save files hold pickles back to back.
        let url = try temporaryFile(latin1("K\u{1}.K\u{2}."))
        let first = try Pickle.load(file: url.path, from: 0)
        XCTAssertEqual(first.value, .int(1))
        XCTAssertEqual(first.end, 3)
        XCTAssertEqual(try Pickle.load(file: url.path, from: first.end).value, .int(2))
    }

    // MARK: - Malformed streams

    func testMalformedStreamsThrowNamingTheOffset() {
        let cases: [(String, [UInt8], (PickleError.Problem) -> Bool)] = [
            ("empty", [], { if case .truncated = $0 { true } else { false } }),
            ("no STOP", latin1("K\u{1}"), { if case .truncated = $0 { true } else { false } }),
            ("truncated argument", latin1("\u{80}\u{2}K"), { if case .truncated = $0 { true } else { false } }),
            ("unknown opcode", latin1("\u{80}\u{2}\u{ff}."), { $0 == .unknownOpcode(0xFF) }),
            ("STOP on empty stack", latin1("\u{80}\u{2}."), { $0 == .stackUnderflow("STOP") }),
            ("APPEND on empty stack", latin1("a."), { $0 == .stackUnderflow("APPEND") }),
            ("APPEND across a MARK", latin1("K\u{1}(a."), { $0 == .stackUnderflow("APPEND") }),
            ("APPENDS without MARK", latin1("]K\u{1}e."), { $0 == .missingMark("APPENDS") }),
            ("memo miss", latin1("h\u{5}."), { $0 == .memoMiss(5) }),
            ("negative BINSTRING", latin1("T\u{ff}\u{ff}\u{ff}\u{ff}."), { if case .badLength = $0 { true } else { false } }),
            ("absurd BINBYTES8", latin1("\u{8e}\u{ff}\u{ff}\u{ff}\u{ff}\u{ff}\u{ff}\u{ff}\u{ff}."), { if case .badLength = $0 { true } else { false } }),
            ("BINUNICODE beyond the end", latin1("X\u{ff}\u{ff}\u{ff}\u{ff}ab."), { if case .truncated = $0 { true } else { false } }),
            ("FRAME beyond the end", latin1("\u{95}\u{ff}\0\0\0\0\0\0\0K\u{1}."), { if case .truncated = $0 { true } else { false } }),
            ("protocol 6", latin1("\u{80}\u{6}."), { if case .unsupported = $0 { true } else { false } }),
            ("NEXT_BUFFER", latin1("\u{97}."), { if case .unsupported = $0 { true } else { false } }),
            ("READONLY_BUFFER", latin1("C\u{1}a\u{98}."), { if case .unsupported = $0 { true } else { false } }),
            ("EXT1", latin1("\u{82}\u{1}."), { if case .unsupported = $0 { true } else { false } }),
            ("SETITEM on an int", latin1("K\u{1}K\u{2}K\u{3}s."), { if case .malformed = $0 { true } else { false } }),
            ("odd DICT", latin1("(K\u{1}K\u{2}K\u{3}d."), { if case .malformed = $0 { true } else { false } }),
            ("REDUCE without a tuple", latin1("cm\nf\nK\u{1}R."), { if case .malformed = $0 { true } else { false } }),
            ("BUILD on a list", latin1("]}b."), { if case .malformed = $0 { true } else { false } }),
            ("STACK_GLOBAL of ints", latin1("K\u{1}K\u{2}\u{93}."), { if case .malformed = $0 { true } else { false } }),
            ("bad INT", latin1("I12x\n."), { if case .malformed = $0 { true } else { false } }),
            ("unquoted STRING", latin1("S'abc\n."), { if case .malformed = $0 { true } else { false } }),
            ("bad escape", latin1("S'\\x4'\n."), { if case .malformed = $0 { true } else { false } }),
            ("GLOBAL without newline", latin1("cmodule"), { if case .truncated = $0 { true } else { false } }),
            ("negative PUT", latin1("K\u{1}p-1\n."), { if case .malformed = $0 { true } else { false } }),
        ]
        for (name, stream, matches) in cases {
            do {
                let value = try Pickle.parse(stream, source: "case.pkl")
                XCTFail("\(name): parsed as \(value)")
            } catch {
                XCTAssertTrue(matches(error.problem), "\(name): \(error.problem)")
                XCTAssertNotNil(error.offset, name)
                let text = error.errorDescription ?? ""
                XCTAssertTrue(text.hasPrefix("case.pkl: byte "), "\(name): \(text)")
                XCTAssertFalse(text.contains("\n"), name)
            }
        }
        // The offset is the opcode at fault.
        XCTAssertEqual(parseError(latin1("\u{80}\u{2}K\u{1}h\u{9}."))?.offset, 4)
    }

    func testEveryTruncationThrows() throws {
        let streams = [Self.numpyProtocol2, Self.numpyProtocol4, Self.numpyProtocol5].map(hex)
        for stream in streams {
            XCTAssertNoThrow(try Pickle.parse(stream, source: "t"))
            for length in 0..<stream.count {
                XCTAssertNotNil(parseError(Array(stream.prefix(length))), "prefix of \(length) bytes parsed")
            }
        }
    }

    func testMutatedAndRandomStreamsNeverCrash() {
        var random = SplitMix64(seed: 42)
        let streams = [Self.numpyProtocol2, Self.numpyProtocol4, Self.numpyProtocol5].map(hex)
        for round in 0..<3000 {
            var stream = streams[round % streams.count]
            for _ in 0...(random.next() % 4) {
                let position = Int(random.next() % UInt64(stream.count))
                stream[position] = UInt8(truncatingIfNeeded: random.next())
            }
            _ = try? Pickle.parse(stream, source: "fuzz")
        }
        for length in [1, 2, 7, 64, 1000] {
            for _ in 0..<200 {
                let stream = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                _ = try? Pickle.parse(stream, source: "fuzz")
            }
        }
    }

    func testDeepNestingThrowsInsteadOfOverflowingTheStack() {
        for depth in [PickleMachine.maxDepth + 5, 200_000] {
            // depth empty lists, each appended into the one before it.
            let stream = [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
            XCTAssertEqual(parseError(stream)?.problem, .tooDeep(PickleMachine.maxDepth))
        }
        let shallow = [UInt8](repeating: 0x5D, count: 50) + [UInt8](repeating: 0x61, count: 49) + [0x2E]
        XCTAssertNoThrow(try Pickle.parse(shallow, source: "t"))
    }

    func testMissingFileIsAnError() {
        XCTAssertThrowsError(try Pickle.load(file: "/nonexistent/batch")) { error in
            XCTAssertEqual((error as? PickleError)?.offset, nil)
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.hasPrefix("/nonexistent/batch: cannot read file") == true)
        }
    }

    // MARK: - numpy arrays

    /// `np.arange(6, dtype='<i8').reshape(2, 3)` at protocol 2 (Python 3: rawdata as _codecs.encode).
    static let numpyProtocol2 = "8002636e756d70792e5f636f72652e6d756c746961727261790a5f7265636f6e7374727563740a7100636e756d70790a6e6461727261790a71014b00857102635f636f646563730a656e636f64650a7103580100000062710458060000006c6174696e317105867106527107877108527109284b014b024b0386710a636e756d70790a64747970650a710b58020000006938710c898887710d52710e284b0358010000003c710f4e4e4e4affffffff4affffffff4b0074711062896803583000000000000000000000000100000000000000020000000000000003000000000000000400000000000000050000000000000071116805867112527113747114622e"
    /// The same at protocol 4 (_reconstruct, rawdata as SHORT_BINBYTES).
    static let numpyProtocol4 = "800495bb000000000000008c166e756d70792e5f636f72652e6d756c74696172726179948c0c5f7265636f6e7374727563749493948c056e756d7079948c076e6461727261799493944b0085944301629487945294284b014b024b03869468038c0564747970659493948c02693894898887945294284b038c013c944e4e4e4affffffff4affffffff4b00749462894330000000000000000001000000000000000200000000000000030000000000000004000000000000000500000000000000947494622e"
    /// The same at protocol 5 (_frombuffer, data as BYTEARRAY8).
    static let numpyProtocol5 = "800595a6000000000000008c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f6d62756666657294939428963000000000000000000000000000000001000000000000000200000000000000030000000000000004000000000000000500000000000000948c056e756d7079948c0564747970659493948c02693894898887945294284b038c013c944e4e4e4affffffff4affffffff4b007494624b024b0386948c014394749452942e"

    func testNumpyArraysOfEveryProtocol() throws {
        // numpy 1.x names _frombuffer's module numpy.core.numeric (one byte shorter, and so the frame).
        let numpy1Protocol5 = Self.numpyProtocol5
            .replacingOccurrences(of: "95a600", with: "95a500")
            .replacingOccurrences(of: "8c136e756d70792e5f636f72652e6e756d65726963", with: "8c126e756d70792e636f72652e6e756d65726963")
        for (name, stream) in [("p2", Self.numpyProtocol2), ("p4", Self.numpyProtocol4), ("p5", Self.numpyProtocol5), ("numpy1 p5", numpy1Protocol5)] {
            let array = try NumpyArray(try Pickle.parse(hex(stream), source: name), source: name)
            XCTAssertEqual(array.shape, [2, 3], name)
            XCTAssertEqual(array.dtype.description, "<i8", name)
            XCTAssertEqual(array.dtype.itemSize, 8, name)
            XCTAssertFalse(array.fortranOrder, name)
            guard case .inline(let bytes) = array.data else { return XCTFail("\(name): small data not inline") }
            XCTAssertEqual(array.integers(from: bytes), [0, 1, 2, 3, 4, 5], name)
        }
        // With nothing inline, the data is a range of the stream, read back on demand.
        let stream = hex(Self.numpyProtocol4)
        let url = try temporaryFile(stream)
        let array = try NumpyArray(try Pickle.load(file: url.path, inlineLimit: 0), source: url.path)
        guard case .range = array.data else { return XCTFail("data not a range") }
        XCTAssertEqual(array.integers(from: try Pickle.read(array.data, file: url.path)), [0, 1, 2, 3, 4, 5])
    }

    /// `np.asfortranarray(np.arange(6, dtype='>i4').reshape(2, 3))` at protocol 5.
    func testNumpyFortranBigEndian() throws {
        let stream = "8005958e000000000000008c136e756d70792e5f636f72652e6e756d65726963948c0b5f66726f6d62756666657294939428961800000000000000000000000000000300000001000000040000000200000005948c056e756d7079948c0564747970659493948c02693494898887945294284b038c013e944e4e4e4affffffff4affffffff4b007494624b024b0386948c014694749452942e"
        let array = try NumpyArray(try Pickle.parse(hex(stream), source: "f"), source: "f")
        XCTAssertEqual(array.shape, [2, 3])
        XCTAssertEqual(array.dtype.description, ">i4")
        XCTAssertTrue(array.fortranOrder)
        guard case .inline(let bytes) = array.data else { return XCTFail("small data not inline") }
        XCTAssertEqual(array.integers(from: bytes), [0, 3, 1, 4, 2, 5])
    }

    func testNotANumpyArray() {
        XCTAssertThrowsError(try NumpyArray(.dict([]), source: "x.pkl")) { error in
            XCTAssertEqual((error as? LocalizedError)?.errorDescription, "x.pkl: not a numpy array: a dict of 0")
        }
        // A shape that does not match the data.
        let wrongShape = Self.numpyProtocol4.replacingOccurrences(of: "4b014b024b0386", with: "4b014b024b0486")
        XCTAssertThrowsError(try NumpyArray(try Pickle.parse(hex(wrongShape), source: "s"), source: "s")) { error in
            XCTAssertTrue((error as? LocalizedError)?.errorDescription?.contains("needs 64 bytes, the pickle holds 48") == true, "\(error)")
        }
    }

    // MARK: - Helpers

    private func assertThrows(_ stream: [UInt8], file: StaticString = #filePath, line: UInt = #line,
                              _ matches: (PickleError.Problem) -> Bool) {
        guard let error = parseError(stream) else { return XCTFail("parsed", file: file, line: line) }
        XCTAssertTrue(matches(error.problem), "\(error.problem)", file: file, line: line)
    }

    private func parseError(_ stream: [UInt8]) -> PickleError? {
        do { _ = try Pickle.parse(stream, source: "t"); return nil } catch { return error }
    }

    private func temporaryFile(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pickle-\(UUID().uuidString)")
        try Data(bytes).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }
}

/// Bytes from a string of hex digits.
private func hex(_ text: String) -> [UInt8] {
    let digits = Array(text.utf8)
    precondition(digits.count % 2 == 0, "odd hex string")
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}

/// Bytes from a string whose characters are all below U+0100 (pickle opcodes are written as
/// `\u{80}` and so on).
private func latin1(_ text: String) -> [UInt8] {
    text.unicodeScalars.map { scalar in
        precondition(scalar.value < 256, "not a byte: \(scalar)")
        return UInt8(scalar.value)
    }
}

private func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

/// A small deterministic generator for fuzzing.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
}
