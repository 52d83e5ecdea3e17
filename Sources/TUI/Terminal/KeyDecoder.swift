import CNcursesw

/// What one `wget_wch` result means. Pure: the driver reads the code, this decides.
enum DecodedInput: Equatable {
    case key(Key)
    /// KEY_RESIZE: ncurses has already resized its screen to the terminal.
    case resize
    /// KEY_MOUSE: a mouse event is waiting for getmouse.
    case mouse
    /// Nothing the application handles (unknown function keys, NUL, C1 controls).
    case ignored
}

enum KeyDecoder {
    /// Decodes a `wget_wch` result: `code` is the wint_t it stored, `isFunctionKey` whether it
    /// returned KEY_CODE_YES (a KEY_* constant) rather than OK (a character).
    ///
    /// Characters: 3 (Ctrl-C) -> `.interrupt`; 8 and 127 -> `.backspace`; 9 -> `.tab`; 10 and 13
    /// -> `.enter` (so Ctrl-H, Ctrl-I, Ctrl-J, Ctrl-M read as those keys); 27 -> `.escape`;
    /// other 1...26 -> `.control("a"..."z")`; printable Unicode -> `.character`.
    static func decode(code: UInt32, isFunctionKey: Bool) -> DecodedInput {
        isFunctionKey ? decodeFunctionKey(Int32(truncatingIfNeeded: code)) : decodeCharacter(code)
    }

    static func decodeCharacter(_ code: UInt32) -> DecodedInput {
        switch code {
        case 3: return .key(.interrupt)
        case 8, 127: return .key(.backspace)
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 1...26:
            let letter = Unicode.Scalar(UInt8(ascii: "a") + UInt8(code - 1))
            return .key(.control(Character(letter)))
        case 0, 28...31, 0x80...0x9F:
            return .ignored  // Ctrl-@, Ctrl-\ ] ^ _, C1 controls: no key of ours
        default:
            guard let scalar = Unicode.Scalar(code) else { return .ignored }
            return .key(.character(Character(scalar)))
        }
    }

    static func decodeFunctionKey(_ code: Int32) -> DecodedInput {
        switch code {
        case KEY_UP: return .key(.up)
        case KEY_DOWN: return .key(.down)
        case KEY_LEFT: return .key(.left)
        case KEY_RIGHT: return .key(.right)
        case KEY_ENTER: return .key(.enter)
        case KEY_BACKSPACE: return .key(.backspace)
        case KEY_DC: return .key(.delete)
        case KEY_PPAGE: return .key(.pageUp)
        case KEY_NPAGE: return .key(.pageDown)
        // Some terminals (VT220 style keypads) send Find/Select for Home/End.
        case KEY_HOME, KEY_FIND: return .key(.home)
        case KEY_END, KEY_SELECT: return .key(.end)
        case KEY_RESIZE: return .resize
        case KEY_MOUSE: return .mouse
        case hs_key_f(1)...hs_key_f(63): return .key(.function(Int(code - hs_key_f(0))))
        default: return .ignored
        }
    }
}
